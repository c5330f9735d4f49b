-- Web channel: unmet demand (customer photos that found no match), demo catalog marks, and
-- training runs started from the dashboard.

-- Small thumbnails (never the original photo, never who sent it) of photo searches that ended in
-- "no match", so the owner sees what customers wanted that the shop lacks. Personal data: deleted
-- after UNMET_DEMAND_RETENTION_DAYS by the assistant.
CREATE TABLE unmet_demand (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel    text NOT NULL CHECK (length(channel) BETWEEN 1 AND 32),
  -- JPEG, at most 160 px on its longer side, metadata stripped.
  thumbnail  bytea NOT NULL CHECK (octet_length(thumbnail) BETWEEN 1 AND 65536),
  width      integer NOT NULL CHECK (width > 0),
  height     integer NOT NULL CHECK (height > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unmet_demand_created_idx ON unmet_demand (created_at);

-- Products of the one-click demo catalog, so "remove demo" deletes exactly those and never an
-- owner's own product, whatever its SKU.
CREATE TABLE demo_products (
  product_id integer PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE
);

ALTER TABLE training_runs DROP CONSTRAINT training_runs_trigger_check;
ALTER TABLE training_runs ADD CONSTRAINT training_runs_trigger_check CHECK (trigger IN ('cli', 'cron', 'chat', 'test', 'web'));
