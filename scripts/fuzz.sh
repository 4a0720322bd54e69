#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan, and either
# fuzzes each for a bounded time on a copy of its seed corpus, or (--regress) only replays
# the corpus and tests/fuzz/regressions/<target>/. Any crash, leak, hang or OOM: exit 1.
#
# Usage: scripts/fuzz.sh [--time S] [--regress] [--build-dir DIR] [TARGET…]
#   TARGET: idx, model, csv (default: all).  --time: seconds per target (default 60).
#   --build-dir: where objects, binaries and fuzzing copies go (default build-fuzz/).
# Exit 77 (skipped) in --regress mode when clang or its libFuzzer runtime is missing;
# in fuzzing mode they are installed with scripts/install-deps.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

seconds=60 regress=0 build="$root/build-fuzz" targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds=${2:?--time needs a number of seconds}; shift 2 ;;
    --regress) regress=1; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option '$1' (valid: --time S, --regress, --build-dir DIR)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz: --time expects whole seconds, got '$seconds'" >&2; exit 2 ;; esac
[ ${#targets[@]} -gt 0 ] || targets=(idx model csv)
for t in "${targets[@]}"; do
  [ -f "$root/tests/fuzz/fuzz_$t.c" ] || { echo "fuzz: unknown target '$t' (valid: idx, model, csv)" >&2; exit 2; }
done

CC=${CC_FUZZ:-clang}
mkdir -p "$build"
# Can clang link a fuzzer at all? (clang without libclang-rt-14-dev cannot.)
have_fuzzer() {
  command -v "$CC" >/dev/null 2>&1 || return 1
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
    > "$build/probe.c"
  "$CC" -fsanitize=fuzzer,address,undefined "$build/probe.c" -o "$build/probe" >/dev/null 2>&1
}
if ! have_fuzzer; then
  if [ $regress -eq 1 ]; then
    echo "fuzz: skipped: $CC cannot build libFuzzer targets (install clang and libclang-rt-14-dev)"
    exit 77
  fi
  "$root/scripts/install-deps.sh" clang libclang-rt-14-dev
  have_fuzzer || { echo "fuzz: $CC still cannot build libFuzzer targets" >&2; exit 1; }
fi

# ---- build --------------------------------------------------------------------------
warn=(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla)
cflags=(-std=c11 -g -O1 -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L "${warn[@]}"
        -fno-sanitize-recover=all -I"$root/src/core" -I"$build/generated")
mkdir -p "$build/generated" "$build/obj"
[ -f "$build/generated/al_version.h" ] ||
  printf '#define ACTLAB_VERSION "fuzz"\n#define ACTLAB_GIT_COMMIT "fuzz"\n' > "$build/generated/al_version.h"
pkgs=$(pkg-config --cflags openblas zlib lua5.4)
libs=$(pkg-config --libs openblas zlib lua5.4)

# The core, instrumented for coverage: an object is rebuilt when older than its source
# or any core header.
newest_header=
for h in "$root"/src/core/*.h; do
  if [ -z "$newest_header" ] || [ "$h" -nt "$newest_header" ]; then newest_header=$h; fi
done
objs=()
for src in "$root"/src/core/*.c; do
  obj="$build/obj/$(basename "${src%.c}").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
    # shellcheck disable=SC2086
    "$CC" "${cflags[@]}" -fsanitize=fuzzer-no-link,address,undefined $pkgs -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  "$CC" "${cflags[@]}" -fsanitize=fuzzer,address,undefined $pkgs \
    -DCSV_LUA_PATH="\"$root/lua/actlab/csv.lua\"" \
    "$root/tests/fuzz/fuzz_$t.c" "${objs[@]}" $libs -lm -o "$build/fuzz_$t"
done

# ---- run ----------------------------------------------------------------------------
export OPENBLAS_NUM_THREADS=1
export TMPDIR="$build/tmp" # fuzz_model's scratch files; a crash leaves them here
mkdir -p "$TMPDIR"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A 4 KiB input gets 10 s and 2 GiB at most: beyond that is a hang or a memory bomb.
limits=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048)
failed=0

inputs_of() { # the files a target replays: its seed corpus and its regressions
  find "$root/tests/fuzz/corpus/$1" "$root/tests/fuzz/regressions/$1" -type f 2>/dev/null | sort
}

for t in "${targets[@]}"; do
  bin="$build/fuzz_$t"
  if [ $regress -eq 1 ]; then
    n=0 bad=0
    while IFS= read -r f; do
      n=$((n + 1))
      if ! "$bin" "${limits[@]}" "$f" >"$build/replay_$t.log" 2>&1; then
        bad=$((bad + 1))
        echo "fuzz: $t: FAILED on $f (replay: $bin $f)" >&2
        grep -E 'ERROR|SUMMARY|runtime error|^fuzz_csv: ' "$build/replay_$t.log" | head -n 5 >&2 || true
      fi
    done < <(inputs_of "$t")
    echo "fuzz: $t: replayed $n inputs, $bad failed"
    [ $bad -eq 0 ] || failed=1
    continue
  fi
  # Fuzzing: a fresh copy of the seeds (the committed corpus is never written to);
  # the regressions are a second, read-only corpus directory.
  work="$build/run/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp "$root/tests/fuzz/corpus/$t"/* "$work/corpus/"
  extra=()
  [ -d "$root/tests/fuzz/regressions/$t" ] && extra=("$root/tests/fuzz/regressions/$t")
  echo "fuzz: $t: fuzzing for ${seconds}s"
  if "$bin" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/" "$work/corpus" "${extra[@]}" >"$work/log" 2>&1; then
    echo "fuzz: $t: ok ($(grep -m1 -o 'number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$') runs)"
  else
    failed=1
    grep -E 'ERROR|SUMMARY|runtime error|^fuzz_csv: ' "$work/log" | head -n 5 >&2 || true
    repro=$(find "$work/artifacts" -type f | head -n1)
    if [ -n "$repro" ]; then
      echo "fuzz: $t: FAILED; reproducer: $repro" >&2
      echo "fuzz:   replay: $bin $repro" >&2
      echo "fuzz:   keep it: cp $repro $root/tests/fuzz/regressions/$t/" >&2
    else
      # A regression input failed before fuzzing began (libFuzzer names it in the log).
      echo "fuzz: $t: FAILED (see $work/log)" >&2
      grep -m1 -E '^(Running|INFO: .*seed corpus)' "$work/log" >&2 || true
    fi
  fi
done
exit $failed
