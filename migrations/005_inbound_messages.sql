-- Messages a channel has already taken in, by the channel's own id (Instagram `mid`, Telegram
-- `<bot id>:<update_id>`). Meta and Telegram redeliver what they think was not acknowledged, also
-- while or after ShopLens restarts; one row per message makes sure a customer never gets two
-- answers. Rows older than a week are pruned.
CREATE TABLE inbound_messages (
  channel     text NOT NULL CHECK (length(channel) BETWEEN 1 AND 32),
  message_id  text NOT NULL CHECK (length(message_id) BETWEEN 1 AND 512),
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, message_id)
);

CREATE INDEX inbound_messages_received_at_idx ON inbound_messages (received_at);
