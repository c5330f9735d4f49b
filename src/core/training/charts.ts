/**
 * The thesis's two figures, drawn with Vega-Lite: learning curves (Figure 14: loss and accuracy
 * per epoch, train vs validation) and the validation confusion matrix (Figure 15, with class
 * names and counts). Rendered to SVG headlessly and rasterized with sharp (librsvg), so no native
 * canvas is needed.
 */
import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite';
import type { EpochMetrics } from '../../../training/softmax.ts';

const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const CONFIG = { font: FONT, background: 'white' };

/** SVG of a Vega-Lite spec, rendered without a browser or canvas. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on the first chart, not at start-up: Vega and Vega-Lite are ~50 MB of memory and ~0.7 s
  // of module loading that a shop answering customers may never need.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG bytes of a Vega-Lite spec at `density` DPI-equivalent scale (72 = 1×). */
export async function renderPng(spec: TopLevelSpec, density = 144): Promise<Buffer> {
  const svg = await renderSvg(spec);
  return sharp(Buffer.from(svg), { density }).flatten({ background: '#ffffff' }).png().toBuffer();
}

/** Figure 14: two panels (loss, accuracy), each with a train and a validation line per epoch. */
export function curvesSpec(history: readonly EpochMetrics[], title: string): TopLevelSpec {
  const values = history.flatMap((m) => [
    { epoch: m.epoch, metric: 'loss', split: 'train', value: m.trainLoss },
    { epoch: m.epoch, metric: 'loss', split: 'validation', value: m.valLoss },
    { epoch: m.epoch, metric: 'accuracy', split: 'train', value: m.trainAccuracy },
    { epoch: m.epoch, metric: 'accuracy', split: 'validation', value: m.valAccuracy },
  ]);
  const panel = (metric: string) => ({
    width: 320,
    height: 220,
    title: metric === 'loss' ? 'Cross-entropy loss' : 'Accuracy',
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line' as const, point: history.length <= 40 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch' },
      y: { field: 'value', type: 'quantitative' as const, title: metric, ...(metric === 'accuracy' ? { scale: { domain: [0, 1] } } : {}) },
      color: { field: 'split', type: 'nominal' as const, title: null, scale: { domain: ['train', 'validation'], range: ['#1f77b4', '#ff7f0e'] } },
    },
  });
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, config: CONFIG, data: { values }, hconcat: [panel('loss'), panel('accuracy')] };
}

/** Figure 15: `confusion[actual][predicted]` as a heatmap with counts and class names. */
export function confusionSpec(confusion: readonly (readonly number[])[], classes: readonly string[], title: string): TopLevelSpec {
  const values = confusion.flatMap((row, a) => row.map((count, p) => ({ actual: classes[a], predicted: classes[p], count })));
  const max = Math.max(1, ...values.map((v) => v.count));
  const side = Math.max(160, Math.min(640, classes.length * 48));
  const axis = { sort: [...classes], type: 'nominal' as const };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: CONFIG,
    data: { values },
    width: side,
    height: side,
    encoding: { x: { field: 'predicted', title: 'predicted', ...axis, axis: { labelAngle: -40 } }, y: { field: 'actual', title: 'actual', ...axis } },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues', domain: [0, max] }, title: 'images' } } },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
