/**
 * `npx shoplens model list | promote <id> | rollback`: the backbones in the models directory (which
 * one is active) and the trained category heads (which one is active).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { headRecord } from '../../core/records.ts';
import { listBackbones, type StoredBackbone } from '../../ml/model-library.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { noArguments } from './shared.ts';

export const modelListCommand: CommandSpec<Record<string, never>> = {
  name: 'model list', scope: 'catalog', requestSchema: noArguments, execute: (context) => runModelList(context),
};
export const modelPromoteCommand: CommandSpec<{ id: string }> = {
  name: 'model promote', scope: 'catalog', requestSchema: z.object({ id: z.string().min(1) }), execute: (context, request) => runModelPromote(context, request.id),
};
export const modelRollbackCommand: CommandSpec<Record<string, never>> = {
  name: 'model rollback', scope: 'catalog', requestSchema: noArguments, execute: (context) => runModelRollback(context),
};

/** Adds `list`, `promote` and `rollback` to the existing `model` command. */
export function registerModelHeads(model: Command, runner: CommandRunner): void {
  model.command('list').description('list backbones (active first) and trained category heads (newest first)')
    .option('--json', 'one JSON object per backbone ({"kind":"backbone",…}) and per head ({"kind":"head",…})', false)
    .action(async (options: { json: boolean }) => runner.run(modelListCommand, options, () => ({})));
  model.command('promote').description('make a trained head the active one').argument('<id>', 'head id from `model list`').option('--json', 'JSON output', false)
    .action(async (id: string, options: { json: boolean }) => runner.run(modelPromoteCommand, options, () => ({ id })));
  model.command('rollback').description('re-activate the previously active head').option('--json', 'JSON output', false)
    .action(async (options: { json: boolean }) => runner.run(modelRollbackCommand, options, () => ({})));
}

async function components(context: CommandContext) {
  const assistant = await context.assistant();
  const model = await assistant.model();
  return { model, heads: assistant.training.heads };
}

function describeBackbone(backbone: StoredBackbone): Record<string, unknown> {
  const { manifest } = backbone;
  return {
    kind: 'backbone', id: manifest.id, backboneModelId: backbone.modelId, pretrained: manifest.pretrained, active: backbone.active,
    source: manifest.source, dimension: manifest.dimension, files: backbone.files,
  };
}

/** Backbones need no database, so they are listed even when it cannot be opened. */
async function listBackboneLines(context: CommandContext): Promise<void> {
  const modelsDir = path.dirname(context.config.model.path);
  const backbones = await listBackbones(modelsDir, context.config.model.path);
  context.output.line(`backbones in ${modelsDir} (* = active, MODEL_PATH=${context.config.model.path}):`);
  if (backbones.length === 0) context.output.line('  none: run `npx shoplens model fetch`, or `npx shoplens model import <file.onnx>`');
  else if (!backbones.some((backbone) => backbone.active)) context.output.line('  (MODEL_PATH holds no usable backbone)');
  for (const backbone of backbones) {
    context.output.record(describeBackbone(backbone));
    const files = backbone.files.map((file) => path.basename(file)).join(', ');
    context.output.line(`${backbone.active ? '*' : ' '} ${backbone.modelId}  ${backbone.manifest.pretrained ? 'pretrained' : 'NOT pretrained'}  ${backbone.manifest.source}  ${files}`);
  }
}

export async function runModelList(context: CommandContext): Promise<number> {
  await listBackboneLines(context);
  const list = await (await context.assistant()).training.heads.list();
  context.output.line('category heads (* = active):');
  if (list.length === 0) context.output.line('  none yet: run `npx shoplens train`');
  for (const head of list) {
    context.output.record({ kind: 'head', ...headRecord(head) });
    context.output.line(`${head.active ? '*' : ' '} ${head.id}  ${head.recipe}  val acc ${(head.valAccuracy * 100).toFixed(1)}%  ${head.categories.length} categories  ${head.createdAt.toISOString()}  [${head.backboneModelId}]`);
  }
  return 0;
}

export async function runModelPromote(context: CommandContext, id: string): Promise<number> {
  const { heads, model } = await components(context);
  const head = await heads.promote(id, model.modelId);
  context.output.record(headRecord(head));
  context.output.line(`active head: ${head.id} (${head.recipe}, val acc ${(head.valAccuracy * 100).toFixed(1)}%)`);
  return 0;
}

export async function runModelRollback(context: CommandContext): Promise<number> {
  const { heads, model } = await components(context);
  const head = await heads.rollback(model.modelId);
  context.output.record(headRecord(head));
  context.output.line(`rolled back to ${head.id} (${head.recipe}, val acc ${(head.valAccuracy * 100).toFixed(1)}%)`);
  return 0;
}
