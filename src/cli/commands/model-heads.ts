/** `npx shoplens model list | promote <id> | rollback`: which trained category head is active. */
import type { Command } from 'commander';
import type { StoredHead } from '../../core/training/index.ts';
import type { CliContext } from '../context.ts';

type Run = (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>;

/** Adds `list`, `promote` and `rollback` to the existing `model` command. */
export function registerModelHeads(model: Command, run: Run): void {
  model.command('list').description('list trained category heads (newest first)').option('--json', 'one JSON object per head', false)
    .action(async (options: { json: boolean }) => run(options.json, (context) => runModelList(context)));
  model.command('promote').description('make a trained head the active one').argument('<id>', 'head id from `model list`').option('--json', 'JSON output', false)
    .action(async (id: string, options: { json: boolean }) => run(options.json, (context) => runModelPromote(context, id)));
  model.command('rollback').description('re-activate the previously active head').option('--json', 'JSON output', false)
    .action(async (options: { json: boolean }) => run(options.json, (context) => runModelRollback(context)));
}

async function components(context: CliContext) {
  const assistant = await context.assistant();
  const model = await assistant.model();
  return { model, heads: assistant.training.heads };
}

function describe(head: StoredHead): Record<string, unknown> {
  return { id: head.id, active: head.active, recipe: head.recipe, valAccuracy: head.valAccuracy, categories: head.categories, backboneModelId: head.backboneModelId, createdAt: head.createdAt.toISOString() };
}

export async function runModelList(context: CliContext): Promise<number> {
  const { heads } = await components(context);
  const list = await heads.list();
  if (list.length === 0) context.output.line('no trained heads yet: run `npx shoplens train`');
  for (const head of list) {
    context.output.record(describe(head));
    context.output.line(`${head.active ? '*' : ' '} ${head.id}  ${head.recipe}  val acc ${(head.valAccuracy * 100).toFixed(1)}%  ${head.categories.length} categories  ${head.createdAt.toISOString()}  [${head.backboneModelId}]`);
  }
  return 0;
}

export async function runModelPromote(context: CliContext, id: string): Promise<number> {
  const { heads, model } = await components(context);
  const head = await heads.promote(id, model.modelId);
  context.output.record(describe(head));
  context.output.line(`active head: ${head.id} (${head.recipe}, val acc ${(head.valAccuracy * 100).toFixed(1)}%)`);
  return 0;
}

export async function runModelRollback(context: CliContext): Promise<number> {
  const { heads, model } = await components(context);
  const head = await heads.rollback(model.modelId);
  context.output.record(describe(head));
  context.output.line(`rolled back to ${head.id} (${head.recipe}, val acc ${(head.valAccuracy * 100).toFixed(1)}%)`);
  return 0;
}
