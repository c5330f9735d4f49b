/**
 * The two training recipes. `thesis` reproduces the thesis exactly; `best` is what measurably
 * beat it on the same features and split (see docs/training.md for the numbers).
 */
import { OperationalError } from '../src/domain/errors.ts';

export type RecipeName = 'thesis' | 'best';
export const RECIPE_NAMES: readonly RecipeName[] = ['thesis', 'best'];

/** Every knob of a run. Stored with each head. */
export interface Hyperparameters {
  readonly recipe: RecipeName;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly schedule: 'constant' | 'cosine';
  /** Decoupled weight decay (AdamW), 0 = plain Adam. */
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  /** Weight each class by N / (C · n_c) in the loss. */
  readonly classBalanced: boolean;
  /** Standardize each feature by the training mean and standard deviation (stored in the head). */
  readonly standardize: boolean;
  /** Early-stopping patience in epochs on an inner hold-out of the training split; 0 = off. */
  readonly patience: number;
  /** Fraction of the training split held out for early stopping (when patience > 0). */
  readonly monitorFraction: number;
  /** Fraction of each category held out for validation (0.2 = the thesis's 80/20). */
  readonly validationFraction: number;
  /** Augmented copies per training image (flip, rotation, colour jitter), embedded once and cached. */
  readonly augmentCopies: number;
  readonly seed: number;
}

/** The thesis: raw features, Adam lr 1e-4, batch 64, 34 epochs, 80/20, flip/rotate/jitter augmentations. */
export const THESIS: Hyperparameters = Object.freeze({
  recipe: 'thesis',
  epochs: 34,
  batchSize: 64,
  learningRate: 1e-4,
  schedule: 'constant',
  weightDecay: 0,
  labelSmoothing: 0,
  classBalanced: false,
  standardize: false,
  patience: 0,
  monitorFraction: 0,
  validationFraction: 0.2,
  augmentCopies: 1,
  seed: 42,
});

/** Standardized features, AdamW (lr 1e-3) with cosine decay, label smoothing, class-balanced loss, early stopping. */
export const BEST: Hyperparameters = Object.freeze({
  recipe: 'best',
  epochs: 60,
  batchSize: 64,
  learningRate: 1e-3,
  schedule: 'cosine',
  weightDecay: 1e-2,
  labelSmoothing: 0.1,
  classBalanced: true,
  standardize: true,
  patience: 8,
  monitorFraction: 0.15,
  validationFraction: 0.2,
  augmentCopies: 1,
  seed: 42,
});

/** Largest accepted epoch count: anything above is a typo, not a plan. */
export const MAX_EPOCHS = 1000;
export const MAX_BATCH = 4096;
export const MAX_AUGMENT_COPIES = 8;

/** What a caller may override from the command line or a chat command. */
export type HyperparameterOverrides = Partial<Pick<Hyperparameters, 'epochs' | 'batchSize' | 'learningRate' | 'seed' | 'augmentCopies'>>;

/** Hyperparameters that make no sense; `problems` lists each, one line each. */
export class InvalidHyperparametersError extends OperationalError {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid training settings: ${problems.join('; ')}`);
    this.name = 'InvalidHyperparametersError';
  }
}

/** The recipe's settings with `overrides` applied, validated. @throws {InvalidHyperparametersError} */
export function resolveHyperparameters(recipe: RecipeName, overrides: HyperparameterOverrides = {}): Hyperparameters {
  const base = recipe === 'thesis' ? THESIS : BEST;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const merged: Hyperparameters = { ...base, ...defined };
  const problems = hyperparameterProblems(merged);
  if (problems.length > 0) throw new InvalidHyperparametersError(problems);
  return merged;
}

/** Every problem with `h`, empty when valid. */
export function hyperparameterProblems(h: Hyperparameters): string[] {
  const problems: string[] = [];
  const integerIn = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  };
  integerIn('epochs', h.epochs, 1, MAX_EPOCHS);
  integerIn('batch size', h.batchSize, 1, MAX_BATCH);
  integerIn('augmented copies', h.augmentCopies, 0, MAX_AUGMENT_COPIES);
  integerIn('seed', h.seed, 0, 2 ** 32 - 1);
  integerIn('patience', h.patience, 0, MAX_EPOCHS);
  if (!(Number.isFinite(h.learningRate) && h.learningRate > 0 && h.learningRate <= 1)) problems.push(`learning rate must be in (0, 1], got ${h.learningRate}`);
  if (!(h.weightDecay >= 0 && h.weightDecay < 1)) problems.push(`weight decay must be in [0, 1), got ${h.weightDecay}`);
  if (!(h.labelSmoothing >= 0 && h.labelSmoothing < 1)) problems.push(`label smoothing must be in [0, 1), got ${h.labelSmoothing}`);
  if (!(h.validationFraction > 0 && h.validationFraction < 1)) problems.push(`validation fraction must be in (0, 1), got ${h.validationFraction}`);
  if (!(h.monitorFraction >= 0 && h.monitorFraction < 1)) problems.push(`monitor fraction must be in [0, 1), got ${h.monitorFraction}`);
  return problems;
}
