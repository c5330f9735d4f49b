/**
 * A process that takes a data directory's lock and keeps it, for tests that need a real holder:
 * `node --import tsx test/helpers/lock-holder.ts <dataDir> [idle|busy]`. Prints `locked <pid>`
 * once it holds the lock. `busy` then blocks its own event loop for good (a holder that is alive
 * but unresponsive, the case an mtime-based lock would wrongly steal from).
 */
import { acquireDataDirLock } from '../../src/db/data-dir-lock.ts';

const [dataDir, mode = 'idle'] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: lock-holder.ts <dataDir> [idle|busy]');
await acquireDataDirLock(dataDir, { role: 'command', command: 'lock-holder', timeoutMs: 0 });
process.stdout.write(`locked ${process.pid}\n`, () => {
  if (mode === 'busy') {
    for (;;) {
      // Spin without ever yielding: no timer, no I/O callback runs again in this process.
    }
  }
  setInterval(() => undefined, 1 << 30);
});
