/** Every command that works on the catalog: the CLI runs them here or inside the running assistant, which accepts exactly these. */
import type { CommandSpec } from '../context.ts';
import { backupCommand } from './backup.ts';
import { classifyCommand } from './classify.ts';
import { importCommand } from './import.ts';
import { modelListCommand, modelPromoteCommand, modelRollbackCommand } from './model-heads.ts';
import { reindexCommand } from './reindex.ts';
import { searchCommand } from './search.ts';
import { statsCommand } from './stats.ts';
import { trainCommand } from './train.ts';

export const CATALOG_COMMANDS: ReadonlyMap<string, CommandSpec<never>> = new Map(
  [importCommand, searchCommand, statsCommand, reindexCommand, trainCommand, classifyCommand, modelListCommand, modelPromoteCommand, modelRollbackCommand, backupCommand].map(
    (command) => [command.name, command as unknown as CommandSpec<never>],
  ),
);
