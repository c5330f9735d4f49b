-- Telegram: the file_id Telegram returned when a product photo was first uploaded, so every later
-- answer re-sends it by reference instead of uploading the bytes again. file_ids are valid only
-- for the bot that received them, hence the bot id in the key.
CREATE TABLE telegram_media (
  bot_id     bigint  NOT NULL,
  image_id   integer NOT NULL REFERENCES product_images (id) ON DELETE CASCADE,
  file_id    text    NOT NULL CHECK (length(file_id) BETWEEN 1 AND 512),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bot_id, image_id)
);

-- /stats reads the search log per channel and day.
CREATE INDEX search_log_channel_created_idx ON search_log (channel, created_at);
