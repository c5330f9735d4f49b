/**
 * The promotion rule. A new head replaces the active one only if, on the new run's validation
 * images, its accuracy is at least the active head's accuracy on those same images minus the
 * tolerance. When the two are not comparable (no active head, another backbone, another category
 * list) the new head is promoted, because the active one cannot serve the current catalog.
 */

export interface PromotionInput {
  /** Candidate's validation accuracy in [0, 1]. */
  readonly candidateAccuracy: number;
  readonly candidateBackbone: string;
  readonly candidateCategories: readonly string[];
  readonly active?: {
    readonly id: string;
    readonly backbone: string;
    readonly categories: readonly string[];
    /** Active head's accuracy on the candidate's validation set, in [0, 1]. */
    readonly accuracyOnSameSplit: number;
  };
  /** Accuracy points (0–100) the candidate may lose and still be promoted. */
  readonly tolerancePoints: number;
}

export interface PromotionDecision {
  readonly promote: boolean;
  /** One sentence for the owner. */
  readonly reason: string;
}

const points = (accuracy: number) => `${(accuracy * 100).toFixed(1)}%`;

export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { active } = input;
  if (!active) return { promote: true, reason: 'no head was active' };
  if (active.backbone !== input.candidateBackbone) return { promote: true, reason: `the active head ${active.id} was trained on another backbone` };
  if (!sameCategories(active.categories, input.candidateCategories)) return { promote: true, reason: `the categories changed since ${active.id} was trained` };
  const floor = active.accuracyOnSameSplit - input.tolerancePoints / 100;
  if (input.candidateAccuracy + 1e-9 >= floor) {
    return { promote: true, reason: `validation accuracy ${points(input.candidateAccuracy)} vs ${points(active.accuracyOnSameSplit)} for ${active.id} on the same images (tolerance ${input.tolerancePoints} points)` };
  }
  return { promote: false, reason: `validation accuracy ${points(input.candidateAccuracy)} is below ${points(active.accuracyOnSameSplit)} of the active head ${active.id} on the same images by more than ${input.tolerancePoints} points; keeping it` };
}

function sameCategories(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((category, i) => category === b[i]);
}
