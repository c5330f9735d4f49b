-- Category classifier: cached backbone features, trained heads, training runs and the lease
-- that keeps training single-flight across processes.

-- Raw (not normalized) pooled backbone features of an image or one of its augmented copies.
CREATE TABLE feature_cache (
  sha256       char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  model_id     text NOT NULL,
  -- 'original', or the augmentation id (version, seed, copy index).
  augmentation text NOT NULL,
  -- float32 little-endian, model dimension values.
  features     bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sha256, model_id, augmentation)
);

CREATE TABLE classifier_models (
  id                text PRIMARY KEY,
  backbone_model_id text NOT NULL,
  recipe            text NOT NULL CHECK (recipe IN ('thesis', 'best')),
  categories        jsonb NOT NULL,
  hyperparameters   jsonb NOT NULL,
  metrics           jsonb NOT NULL,
  -- Serialized head: weights, bias and feature standardization.
  parameters        jsonb NOT NULL,
  val_accuracy      real NOT NULL,
  active            boolean NOT NULL DEFAULT false,
  -- When this head was last made active (for rollback order).
  activated_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now()
);
-- At most one active head.
CREATE UNIQUE INDEX classifier_models_one_active ON classifier_models (active) WHERE active;

CREATE TABLE training_runs (
  id               text PRIMARY KEY,
  trigger          text NOT NULL CHECK (trigger IN ('cli', 'cron', 'chat', 'test')),
  status           text NOT NULL CHECK (status IN ('running', 'success', 'skipped', 'failed')),
  reason           text,
  recipe           text,
  catalog_revision bigint,
  backbone_model_id text,
  head_id          text REFERENCES classifier_models (id) ON DELETE SET NULL,
  promoted         boolean,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX training_runs_started_idx ON training_runs (started_at);

-- A lease, not a session advisory lock: it works identically through a connection pool and on
-- PGlite, and a crashed holder's lease simply expires.
CREATE TABLE training_lock (
  name       text PRIMARY KEY,
  holder     text NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Search answers record the classifier's guess (NULL when no head was active).
ALTER TABLE search_log
  ADD COLUMN predicted_category text,
  ADD COLUMN category_confidence real CHECK (category_confidence BETWEEN 0 AND 1);
