#!/usr/bin/env bash
# Cross-check against PyTorch: every activation's f and f' on a grid, and small networks
# trained by actlab and by torch.optim.SGD from the same weights on the same batches,
# must agree to float32 rounding (tests/torch/crosscheck.{lua,py}).
# Exit 77 (skipped) without python3's torch (Debian's python3-torch, which
# scripts/test.sh installs).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ACTLAB_BIN:-$src/build/actlab}
[ -x "$bin" ] || { echo "test_torch: no actlab program at '$bin' (set ACTLAB_BIN)" >&2; exit 1; }
# Debian's torch belongs to Debian's python3, which another python3 (pyenv, a venv) on
# PATH may hide.
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import torch' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "skipped: python3 cannot import torch (apt-get install python3-torch)"; exit 77; }

tmp=${ACTLAB_TEST_TMP:-}
if [ -n "$tmp" ]; then mkdir -p "$tmp" && tmp=$(mktemp -d "$tmp/torch.XXXXXX"); else tmp=$(mktemp -d); fi
trap 'rm -rf "$tmp"' EXIT

OPENBLAS_NUM_THREADS=1 "$bin" "$src/tests/torch/crosscheck.lua" "$tmp/actlab.json" || exit 1
"$py" "$src/tests/torch/crosscheck.py" "$tmp/actlab.json"
