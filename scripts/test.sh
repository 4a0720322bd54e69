#!/usr/bin/env bash
# Sets up (packages, build, data) and runs the whole test suite with ctest.
# Usage: scripts/test.sh [--sanitize]   (--sanitize: ASan + UBSan build in build-sanitize/)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build type=Release flags=()
for a in "$@"; do
  case "$a" in
    --sanitize) dir=build-sanitize type=Debug flags=(-DACTLAB_SANITIZE=ON) ;;
    *) echo "test: unknown option '$a' (valid: --sanitize)" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
# PyTorch for the cross-check (tests/scripts/test_torch.sh): large, and only one test
# needs it, so a failed install skips that test instead of stopping the suite.
scripts/install-deps.sh python3-torch ||
  echo "test: could not install python3-torch; the PyTorch cross-check will be skipped" >&2
scripts/fetch-data.sh
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j"$(nproc)"
