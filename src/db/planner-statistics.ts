/**
 * PostgreSQL's planner picks index paths from table statistics, which a server's autovacuum keeps
 * current. PGlite runs no autovacuum, so an embedded catalog that grew from nothing to 100,000
 * products kept the statistics of an empty table, and the planner answered every search's row
 * lookup by reading a whole index: 5.2 ms of execution instead of 0.8 ms at 100,000 products,
 * all of it blocking the event loop (the embedded database runs on the main thread). Analysing
 * the two catalog tables took 36 ms at 1,000 products and 0.4 s at 100,000.
 */
import type { Database } from './database.ts';

/**
 * Refreshes the planner's statistics of the catalog tables on the embedded database (a no-op on
 * a PostgreSQL server, where autovacuum does it). Call after opening and after bulk changes.
 */
export async function refreshPlannerStatistics(db: Pick<Database, 'engine' | 'exec'>): Promise<void> {
  if (db.engine !== 'pglite') return;
  await db.exec('ANALYZE products, product_images');
}
