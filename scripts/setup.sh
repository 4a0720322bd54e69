#!/usr/bin/env bash
# Sets actlab up on a Debian machine: packages, a Release build in build/, the data
# sets. Idempotent: a second run only checks. Usage: scripts/setup.sh [--no-data]
set -euo pipefail
cd "$(dirname "$0")/.."

fetch=1
for a in "$@"; do
  case "$a" in
    --no-data) fetch=0 ;;
    *) echo "setup: unknown option '$a' (valid: --no-data)" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
if [ "$fetch" = 1 ]; then
  scripts/fetch-data.sh
fi
echo "setup: done; the program is build/actlab"
