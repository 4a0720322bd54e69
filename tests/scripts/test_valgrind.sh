#!/usr/bin/env bash
# A short end-to-end pass under valgrind memcheck: the IDX and model C tests, one process
# loading, training, saving and refusing bad input, and a tiny sweep writing its CSVs.
# Any memory error or definite/indirect leak fails. Skipped (77) without valgrind or on
# a sanitizer build (ASan and valgrind cannot share a process).
# Usage: tests/scripts/test_valgrind.sh [BUILD_DIR]   (default: the folder of $ACTLAB_BIN)
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$(dirname "${ACTLAB_BIN:-build/actlab}")}
bin="$build/actlab"

command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed"; exit 77; }
[ -x "$bin" ] || { echo "test_valgrind: no program at $bin (give the build folder)" >&2; exit 1; }
if grep -q __asan_init "$bin" 2>/dev/null || ldd "$bin" 2>/dev/null | grep -q libasan; then
  echo "skipped: $bin is a sanitizer build"; exit 77
fi

tmp=${ACTLAB_TEST_TMP:-}
if [ -n "$tmp" ]; then mkdir -p "$tmp" && tmp=$(mktemp -d "$tmp/valgrind.XXXXXX"); else tmp=$(mktemp -d); fi
trap 'rm -rf "$tmp"' EXIT

# One BLAS thread: OpenBLAS's thread pool only confuses memcheck and slows it down.
export OPENBLAS_NUM_THREADS=1 ACTLAB_TEST_TMP="$tmp/c" ACTLAB_SOURCE_DIR="$src"
# shellcheck disable=SC2054  # the commas are inside one option's value
vg=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)
failed=0

check() { # name, command…: runs it under memcheck, shows the log when it fails
  local name=$1; shift
  local start=$SECONDS
  if "${vg[@]}" --log-file="$tmp/$name.vg" "$@" >"$tmp/$name.out" 2>&1; then
    echo "ok    $name ($((SECONDS - start)) s)"
  else
    local rc=$?
    failed=1
    echo "FAIL  $name (exit $rc$([ $rc -eq 99 ] && echo ': memcheck found errors'))"
    tail -n 20 "$tmp/$name.out"
    cat "$tmp/$name.vg"
  fi
}

for t in test_idx test_model; do
  if [ -x "$build/$t" ]; then check "$t" "$build/$t"; else echo "skip  $t (not built)"; fi
done
check e2e "$bin" "$src/tests/lua/fixtures/reliability_e2e.lua" "$tmp/e2e"
# --jobs 1: training stays in this process, under memcheck (workers would run outside it)
check sweep "$bin" "$src/tests/lua/fixtures/tiny_sweep.lua" --out "$tmp/sweep" --epochs 2 --jobs 1
# The sweep's own output must be there too: the rows were really written.
if [ -s "$tmp/sweep/results.csv" ]; then
  rows=$(($(wc -l <"$tmp/sweep/results.csv") - 1))
  echo "      sweep wrote $rows result rows"
  [ "$rows" -gt 0 ] || failed=1
else
  echo "FAIL  sweep wrote no results.csv"; failed=1
fi
exit $failed
