/** The owner's `/stats` message, in their language. */
import type { LastTraining, ShopStats } from '../stats/stats-service.ts';
import { formatMs, formatPercent } from './format.ts';
import type { Translate } from './i18n/translator.ts';

/** The `/stats` message: catalog, searches, latency, top categories, backbone and category head. */
export function statsText(stats: ShopStats, t: Translate): string {
  const topCategories = stats.topCategories;
  const { catalog, searches, backbone } = stats;
  const none = t('stats_none');
  const head = stats.classifier
    ? t('stats_classifier', { recipe: stats.classifier.recipe, accuracy: `${(stats.classifier.valAccuracy * 100).toFixed(1)}%`, date: stats.classifier.createdAt.toISOString().slice(0, 10) })
    : t('stats_classifier_none');
  const text = t('stats', {
    products: catalog.products,
    active: catalog.activeProducts,
    inStock: catalog.inStock,
    images: catalog.images,
    last24h: searches.last24h,
    last7d: searches.last7d,
    total: searches.total,
    noMatch: searches.noMatch,
    noMatchRate: formatPercent(searches.noMatch, searches.total),
    p50: formatMs(searches.imageLatencyP50Ms, none),
    p95: formatMs(searches.imageLatencyP95Ms, none),
    topCategories: topCategories.length === 0 ? none : topCategories.map((entry) => `${entry.category} (${entry.searches})`).join(', '),
    modelId: backbone.modelId,
    pretrained: t(backbone.pretrained ? 'stats_pretrained' : 'stats_generated'),
  });
  return [text, head, ...(stats.lastTraining ? [lastTrainingLine(stats.lastTraining, t)] : [])].join('\n');
}

/** The last training run's outcome: scheduled, chat or CLI, when, and why it was skipped or failed. */
function lastTrainingLine(last: LastTraining, t: Translate): string {
  const reason = last.reason ?? '—';
  const outcome = last.status === 'success' ? t('stats_training_success') : t(`stats_training_${last.status}`, { reason });
  return t('stats_last_training', { trigger: last.trigger, date: last.at.toISOString().slice(0, 16).replace('T', ' '), outcome });
}
