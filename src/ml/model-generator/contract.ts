/** The tensor interface every generated model exposes; the app's embedding pipeline relies on it. */
export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'embedding';
export const BATCH_DIM = 'batch';
export const INPUT_SIZE = 224;
export const INPUT_CHANNELS = 3;
export const EMBEDDING_DIMENSION = 2048;
/** ImageNet normalisation the generated models are meant to be fed with (RGB order). */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
/** The classifier variant's head: 1,000 ImageNet classes, softmax probabilities. */
export const CLASSIFIER_CLASSES = 1000;
export const CLASSIFIER_OUTPUT_NAME = 'probabilities';
