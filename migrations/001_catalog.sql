-- Catalog: products, their images with backbone embeddings, and a revision counter that every
-- catalog change bumps (training uses it to decide whether to retrain).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE products (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku         text NOT NULL UNIQUE CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '',
  price       numeric(12, 2) NOT NULL CHECK (price >= 0),
  currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  category    text NOT NULL CHECK (length(btrim(category)) BETWEEN 1 AND 100),
  stock       integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
  url         text,
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_category_idx ON products (category);
CREATE INDEX products_in_stock_idx ON products (id) WHERE active AND stock > 0;

CREATE TABLE product_images (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  product_id  integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  -- Where the owner's image came from (a path or URL), kept for reference only.
  source      text NOT NULL,
  -- Our own copy under DATA_DIR, relative to it, so the catalog survives the import folder moving.
  file_path   text NOT NULL,
  sha256      char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  width       integer NOT NULL CHECK (width > 0),
  height      integer NOT NULL CHECK (height > 0),
  -- Which backbone produced the embedding; vectors of different models are never compared.
  model_id    text NOT NULL,
  -- pgvector indexes `vector` only up to 2,000 dimensions; ResNet-50 gives 2,048, so half precision.
  embedding   halfvec(2048) NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (product_id, sha256)
);
CREATE INDEX product_images_sha256_idx ON product_images (sha256);
CREATE INDEX product_images_model_idx ON product_images (model_id);
CREATE INDEX product_images_product_idx ON product_images (product_id);

CREATE TABLE catalog_state (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  revision   bigint NOT NULL DEFAULT 0,
  changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO catalog_state DEFAULT VALUES;

CREATE FUNCTION bump_catalog_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_state SET revision = revision + 1, changed_at = now();
  RETURN NULL;
END;
$$;

CREATE TRIGGER products_bump_revision
  AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_revision();
CREATE TRIGGER product_images_bump_revision
  AFTER INSERT OR UPDATE OF product_id, embedding, model_id OR DELETE ON product_images
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_revision();

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$;
CREATE TRIGGER products_touch_updated_at
  BEFORE UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- One row per customer or CLI search, for /stats.
CREATE TABLE search_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel         text NOT NULL,
  user_ref        text,
  query_kind      text NOT NULL CHECK (query_kind IN ('image', 'text', 'similar')),
  model_id        text,
  latency_ms      real NOT NULL CHECK (latency_ms >= 0),
  matched         boolean NOT NULL,
  top_product_ids integer[] NOT NULL DEFAULT '{}',
  top_scores      real[] NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX search_log_created_idx ON search_log (created_at);
