-- Change tracking, so a process holding the catalog's embeddings in memory (the in-memory search
-- index) can catch up with changes made by anyone — itself, the CLI, another instance on a shared
-- PostgreSQL — by reading only the rows changed since the catalog revision it last saw.

-- The revision that last changed each row, and a tombstone for each deleted row.
ALTER TABLE products ADD COLUMN revision bigint NOT NULL DEFAULT 0;
ALTER TABLE product_images ADD COLUMN revision bigint NOT NULL DEFAULT 0;
CREATE INDEX products_revision_idx ON products (revision);
CREATE INDEX product_images_revision_idx ON product_images (revision);

CREATE TABLE catalog_deletions (
  kind     text NOT NULL CHECK (kind IN ('product', 'image')),
  id       integer NOT NULL,
  revision bigint NOT NULL
);
CREATE INDEX catalog_deletions_revision_idx ON catalog_deletions (revision);

-- The revision is now bumped before each catalog statement instead of after it. The writer then
-- holds catalog_state's row lock from its first catalog change until it commits, so revisions are
-- handed out in commit order and every row it writes can be stamped with its own revision: a
-- reader that saw revision R and later reads "rows with revision > R" misses nothing.
DROP TRIGGER products_bump_revision ON products;
DROP TRIGGER product_images_bump_revision ON product_images;
CREATE TRIGGER products_bump_revision
  BEFORE INSERT OR UPDATE OR DELETE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_revision();
CREATE TRIGGER product_images_bump_revision
  BEFORE INSERT OR UPDATE OF product_id, embedding, model_id OR DELETE ON product_images
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_revision();

CREATE FUNCTION stamp_catalog_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := (SELECT revision FROM catalog_state);
  RETURN NEW;
END;
$$;
CREATE TRIGGER products_stamp_revision
  BEFORE INSERT OR UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION stamp_catalog_revision();
CREATE TRIGGER product_images_stamp_revision
  BEFORE INSERT OR UPDATE OF product_id, embedding, model_id ON product_images
  FOR EACH ROW EXECUTE FUNCTION stamp_catalog_revision();

CREATE FUNCTION record_catalog_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_deletions (kind, id, revision) VALUES (TG_ARGV[0], OLD.id, (SELECT revision FROM catalog_state));
  RETURN OLD;
END;
$$;
CREATE TRIGGER products_record_deletion
  AFTER DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION record_catalog_deletion('product');
CREATE TRIGGER product_images_record_deletion
  AFTER DELETE ON product_images
  FOR EACH ROW EXECUTE FUNCTION record_catalog_deletion('image');
