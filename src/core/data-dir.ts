/**
 * Who owns the data directory: the lock that lets one process at a time open the embedded
 * database (see `src/db/data-dir-lock.ts` for how it works). Channels and commands reach it here,
 * through the core, like everything else below it.
 */
export {
  acquireDataDirLock,
  dataDirHolder,
  DataDirAccessError,
  DataDirBusyError,
  describeHolder,
  type AcquireLockOptions,
  type DataDirLock,
  type LockHolder,
} from '../db/data-dir-lock.ts';
