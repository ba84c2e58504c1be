/**
 * The `.gitattributes` of a new repo. The Hub does not publish its list; this is the one widely copied
 * by HF-compatible servers (hub-api.md §1.8). Datasets add audio, image and compression patterns.
 */
const COMMON = [
  "*.7z",
  "*.arrow",
  "*.bin",
  "*.bz2",
  "*.ckpt",
  "*.ftz",
  "*.gz",
  "*.h5",
  "*.joblib",
  "*.lfs.*",
  "*.mlmodel",
  "*.model",
  "*.msgpack",
  "*.npy",
  "*.npz",
  "*.onnx",
  "*.ot",
  "*.parquet",
  "*.pb",
  "*.pickle",
  "*.pkl",
  "*.pt",
  "*.pth",
  "*.rar",
  "*.safetensors",
  "saved_model/**/*",
  "*.tar.*",
  "*.tar",
  "*.tflite",
  "*.tgz",
  "*.wasm",
  "*.xz",
  "*.zip",
  "*.zst",
  "*tfevents*",
];

const DATASET_EXTRA = [
  "*.lz4",
  "*.mds",
  "*.mp3",
  "*.ogg",
  "*.wav",
  "*.flac",
  "*.jpg",
  "*.jpeg",
  "*.png",
  "*.webp",
  "*.mp4",
  "*.webm",
];

export function defaultGitattributes(type: "model" | "dataset" | "space"): string {
  const patterns = type === "dataset" ? [...COMMON, ...DATASET_EXTRA] : COMMON;
  return patterns.map((pattern) => `${pattern} filter=lfs diff=lfs merge=lfs -text\n`).join("");
}
