/**
 * Where the real, ImageNet-pretrained ResNet-50 comes from. The file is pinned by SHA-256, so the
 * URL may move or be mirrored without ever silently changing which weights the shop runs on.
 */
import { IMAGENET_MEAN, IMAGENET_STD } from './manifest.ts';

/** Everything needed to download a backbone and write its manifest. */
export interface PretrainedModelDescriptor {
  /** Manifest id; embeddings are stamped with it (plus the hash prefix). */
  id: string;
  arch: string;
  /** HTTPS URL of the `.onnx` file. */
  url: string;
  /** Lower-case hex SHA-256 the downloaded bytes must have. */
  sha256: string;
  /** Approximate size in bytes, for messages before the server reports a length. */
  approximateBytes: number;
  /** File name inside the models directory; matches the default `MODEL_PATH`. */
  fileName: string;
  /** Expected tensor names; {@link fetchPretrainedModel} records the names the file really has. */
  inputName: string;
  outputName: string;
  /** Square input side in pixels. */
  inputSize: number;
  /** Values per image in the output (2048 pooled ResNet-50 features). */
  dimension: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Where a person can read about the file and its licence. */
  homepage: string;
  license: string;
}

/**
 * torchvision's ImageNet ResNet-50 (IMAGENET1K_V1 weights) with the classifier removed, exported
 * to ONNX by Qdrant for fastembed's `Qdrant/resnet50-onnx` image embedding (Apache-2.0):
 * input `input` [N, 3, 224, 224] normalized with ImageNet mean/std after Resize(256) +
 * CenterCrop(224); output `output` [N, 2048, 1, 1], the average-pooled features (fastembed
 * flattens it to [N, 2048]; {@link Backbone} accepts either layout).
 *
 * The SHA-256 is the Git LFS object id Hugging Face lists for `model.onnx` (94 MB), uploaded in
 * commit 7481a46 and unchanged on `main` since (later commits touched only the README).
 */
export const PRETRAINED_RESNET50: PretrainedModelDescriptor = {
  id: 'resnet50-imagenet-v1',
  arch: 'resnet50',
  url: 'https://huggingface.co/Qdrant/resnet50-onnx/resolve/main/model.onnx',
  sha256: '4f0558b775c85b568012f7174cadda33fb4b4e5a253ce17e5d839f123e0bc7e6',
  approximateBytes: 94_000_000,
  fileName: 'resnet50-imagenet.onnx',
  inputName: 'input',
  outputName: 'output',
  inputSize: 224,
  dimension: 2048,
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  homepage: 'https://huggingface.co/Qdrant/resnet50-onnx',
  license: 'Apache-2.0',
};
