-- Telegram: update ids already taken by this bot, so an update delivered twice (a webhook request
-- Telegram repeats, or a polling offset not yet confirmed when the bot restarted) is answered
-- once. Telegram keeps undelivered updates for 24 hours; rows older than that are pruned.
CREATE TABLE telegram_updates (
  bot_id      bigint      NOT NULL,
  update_id   bigint      NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX telegram_updates_received_idx ON telegram_updates (received_at);
