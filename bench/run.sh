#!/usr/bin/env bash
# actlab's benchmark (not a test: ctest never runs it). Builds actlab in Release mode in
# its own build folder, then times side by side, alternating, several repetitions each:
# the sgemm floor (bench/sgemm_floor.c), actlab's trainer through the core alone
# (bench/bench_train.c) and through the program (bench/bench_train.lua), numpy float32
# (bench/numpy_mlp.py) and PyTorch (bench/torch_mlp.py) on full MNIST at 1 and 2 threads;
# the chapter-5 run against numpy; peak memory, start-up, data loading, and a small sweep
# with --jobs 1 and 2. Prints a table of medians (min-max) with ratios to the floor,
# numpy and PyTorch, and writes it to bench/results/<date>.csv (a later run on the same
# day replaces it).
#
# Usage: bench/run.sh [--quick | --full] [--reps N] [--no-python] [--no-install]
#   --quick (default): chapter-5 run of 200 epochs, 3 repetitions (about 4 minutes)
#   --full: the chapter's 2000 epochs, 5 repetitions (about 10 minutes)
# Environment: ACTLAB_BENCH_BUILD (default <repo>/build-bench), ACTLAB_DATA (data folder).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${ACTLAB_BENCH_BUILD:-$root/build-bench}
mode=quick reps= python=1 install=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --reps) reps=$2; shift ;;
    --no-python) python=0 ;;
    --no-install) install=0 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$mode" = full ]; then ch5_epochs=2000; reps=${reps:-5}; else ch5_epochs=200; reps=${reps:-3}; fi
PY=/usr/bin/python3

say() { printf '%s\n' "run.sh: $*" >&2; }

# --- dependencies, build, data -------------------------------------------------------
if [ "$install" = 1 ]; then
  extra=(time)
  [ "$python" = 1 ] && extra+=(python3-numpy python3-torch)
  "$root/scripts/install-deps.sh" "${extra[@]}" >&2
fi
say "building actlab (Release) in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DACTLAB_TESTS=OFF >/dev/null
if ! cmake --build "$build" -j2 >"$build/build.log" 2>&1; then
  say "the full build failed (see $build/build.log); building the core alone"
  cmake --build "$build" -j2 --target actlab_core >/dev/null
fi
cflags="-std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L"
cc $cflags "$here/sgemm_floor.c" -o "$build/sgemm_floor" $(pkg-config --cflags --libs openblas)
cc $cflags -I"$root/src/core" -I"$build/generated" "$here/bench_train.c" \
  "$build/libactlab_core.a" -o "$build/bench_train" $(pkg-config --cflags --libs openblas zlib) -lm
actlab=
[ -x "$build/actlab" ] && actlab=$build/actlab
[ -z "$actlab" ] && say "no actlab program was built: its rows are skipped"

data=${ACTLAB_DATA:-}
if [ -z "$data" ]; then
  if [[ "${XDG_CACHE_HOME:-}" == /* ]]; then data=$XDG_CACHE_HOME/actlab; else data=$HOME/.cache/actlab; fi
fi
for set in mnist fashion-mnist; do
  if [ ! -e "$data/$set/train-images-idx3-ubyte" ] && [ ! -e "$data/$set/train-images-idx3-ubyte.gz" ]; then
    say "$set missing in $data: fetching it"
    "$root/scripts/fetch-data.sh" >&2
  fi
done

# --- the machine, recorded with the results ------------------------------------------
stamp=$(date -u +%Y-%m-%d)
work=$(mktemp -d "${TMPDIR:-/tmp}/actlab-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
raw=$work/raw.csv meta=$work/meta.txt
echo "group,case,role,metric,value" >"$raw"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cat >"$work/cfg.c" <<'EOF'
#include <stdio.h>
char *openblas_get_config(void);
char *openblas_get_corename(void);
int main(void) { printf("%s, core %s\n", openblas_get_config(), openblas_get_corename()); return 0; }
EOF
cc "$work/cfg.c" -o "$work/cfg" $(pkg-config --libs openblas)
# OpenBLAS's environment as found: the actlab rows run under it unchanged.
openblas_env=$(env | grep '^OPENBLAS' | tr '\n' ' ' || true)
{
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "mode=$mode: $reps repetitions, chapter-5 run of $ch5_epochs epochs"
  echo "machine=$cpu, $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB"
  echo "openblas=$("$work/cfg")"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$root" diff --quiet 2>/dev/null || echo -dirty)"
  echo "env=${openblas_env:-no OPENBLAS_* variables set}"
} >"$meta"
# Other work on the machine skews the 2-thread and --jobs 2 rows most: say how busy it was.
load_start=$(cut -d' ' -f1 /proc/loadavg)
# On processors where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (older OpenBLAS builds
# need them), they slow a current numpy: the Python rows run with both unset, together,
# and report the kernel they then get. Tests and CI never change them.
py_env=(env)
if env | grep -q -e '^OPENBLAS_CORETYPE=' -e '^OPENBLAS_L2_SIZE='; then
  py_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
  say "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE set ($openblas_env): unset for numpy and PyTorch only"
fi

# --- the timed cases -----------------------------------------------------------------
# Each driver prints "wall cpu" seconds on its last line; every row runs in a fresh process
# with the thread count in the environment too, so no idle pool spins beside the timing.
record() { # group case role wall cpu
  echo "\"$1\",\"$2\",$3,seconds,$4" >>"$raw"
  echo "\"$1\",\"$2\",$3,cpu_seconds,$5" >>"$raw"
}
run_case() { # group case role threads command...
  local g=$1 c=$2 role=$3 t=$4 out
  shift 4
  if out=$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$@" 2>"$work/err"); then
    # shellcheck disable=SC2086
    record "$g" "$c" "$role" $(tail -1 <<<"$out")
    grep -h -o 'OpenBLAS core [A-Za-z0-9]*' "$work/err" | sed "s/^OpenBLAS core /$role /" >>"$work/cores" || true
  else
    say "failed: $c ($*):"; tail -5 "$work/err" >&2
    record "$g" "$c" "$role" NA NA
  fi
}

E1="784-200-10 relu, one epoch, 1 thread"
E3="784-256-256-256-10 relu, one epoch, 1 thread"
E2="784-200-10 relu, one epoch, 2 threads"
C5="chapter 5: 784-200-10 sigmoid, $ch5_epochs epochs on 1,000 images, 1 thread"
B=$build
cases=()
add() { cases+=("$*"); }
add "$E1|sgemm floor|floor|1|$B/sgemm_floor --layers 784,200,10 --threads 1"
add "$E1|actlab (core, bench_train.c)|actlab|1|$B/bench_train epoch --hidden 200 --threads 1"
[ -n "$actlab" ] && add "$E1|actlab (program, bench_train.lua)|actlab|1|$actlab --threads 1 $here/bench_train.lua epoch 200"
[ "$python" = 1 ] && add "$E1|numpy float32|numpy|1|py $here/numpy_mlp.py epoch --hidden 200 --threads 1"
[ "$python" = 1 ] && add "$E1|PyTorch nn.Linear + optim.SGD|torch|1|py $here/torch_mlp.py epoch --hidden 200 --threads 1"
add "$E3|sgemm floor|floor|1|$B/sgemm_floor --layers 784,256,256,256,10 --threads 1"
add "$E3|actlab (core, bench_train.c)|actlab|1|$B/bench_train epoch --hidden 256,256,256 --threads 1"
[ -n "$actlab" ] && add "$E3|actlab (program, bench_train.lua)|actlab|1|$actlab --threads 1 $here/bench_train.lua epoch 256,256,256"
[ "$python" = 1 ] && add "$E3|numpy float32|numpy|1|py $here/numpy_mlp.py epoch --hidden 256,256,256 --threads 1"
[ "$python" = 1 ] && add "$E3|PyTorch nn.Linear + optim.SGD|torch|1|py $here/torch_mlp.py epoch --hidden 256,256,256 --threads 1"
add "$E2|sgemm floor|floor|2|$B/sgemm_floor --layers 784,200,10 --threads 2"
add "$E2|actlab (core, bench_train.c)|actlab|2|$B/bench_train epoch --hidden 200 --threads 2"
[ "$python" = 1 ] && add "$E2|numpy float32|numpy|2|py $here/numpy_mlp.py epoch --hidden 200 --threads 2"
[ "$python" = 1 ] && add "$E2|PyTorch (its threads and OpenBLAS's at 2)|torch|2|py $here/torch_mlp.py epoch --hidden 200 --threads 2"
add "$C5|actlab (core, bench_train.c)|actlab|1|$B/bench_train ch5 --epochs $ch5_epochs --threads 1"
[ -n "$actlab" ] && add "$C5|actlab (program, bench_train.lua)|actlab|1|$actlab --threads 1 $here/bench_train.lua ch5 $ch5_epochs"
[ "$python" = 1 ] && add "$C5|numpy float32|numpy|1|py $here/numpy_mlp.py ch5 --epochs $ch5_epochs --threads 1"

py() { "${py_env[@]}" "$PY" "$@"; }
for rep in $(seq "$reps"); do
  for c in "${cases[@]}"; do
    IFS='|' read -r g name role t cmd <<<"$c"
    say "repetition $rep/$reps: $g: $name"
    # shellcheck disable=SC2086
    run_case "$g" "$name" "$role" "$t" $cmd
  done
done

# --- memory, start-up, loading -------------------------------------------------------
M="peak resident memory of a full-MNIST training run (/usr/bin/time -v)"
rss() { # case command...: peak resident set in MB
  local c=$1
  shift
  if OPENBLAS_NUM_THREADS=1 /usr/bin/time -v "$@" >/dev/null 2>"$work/time"; then
    echo "\"$M\",\"$c\",info,peak_rss_mb,$(awk -F': ' '/Maximum resident/{printf "%.1f", $2/1024}' "$work/time")" >>"$raw"
  else
    say "failed: $c"; tail -5 "$work/time" >&2
  fi
}
rss "one epoch, core (bench_train.c)" "$B/bench_train" epoch --hidden 200
[ -n "$actlab" ] && rss "one epoch and test, program (actlab -e)" "$actlab" -e \
  'actlab.train(actlab.mlp{inputs = 784, hidden = {200}, outputs = 10, activation = "relu"},
                actlab.dataset("mnist"), {epochs = 1, shuffle = true})'
M="start-up and data loading, whole process"
wall() { # case repetitions command...: wall seconds of each run
  local c=$1 n=$2 s e
  shift 2
  for _ in $(seq "$n"); do
    s=$EPOCHREALTIME
    if "$@" >/dev/null 2>"$work/err"; then
      e=$EPOCHREALTIME
      echo "\"$M\",\"$c\",info,seconds,$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.4f", e - s}')" >>"$raw"
    else
      say "failed: $c"; tail -5 "$work/err" >&2
      return 0
    fi
  done
}
if [ -n "$actlab" ]; then
  wall "actlab -e ''" 20 "$actlab" -e ''
  wall "actlab -e: load MNIST and Fashion-MNIST" 5 "$actlab" -e \
    'actlab.dataset("mnist"); actlab.dataset("fashion-mnist")'
fi

# --- sweep throughput: --jobs 1 against --jobs 2 -------------------------------------
S="sweep of 4 runs (bench/sweep_small.lua), wall seconds"
if [ -n "$actlab" ] && [ -f "$root/lua/actlab/sweep.lua" ]; then
  for rep in $(seq 2); do
    for jobs in "1 --threads 1" "1 --threads 2" "2"; do
      set -- $jobs
      rm -rf "$work/sweep"
      s=$EPOCHREALTIME
      if (cd "$root" && "$actlab" bench/sweep_small.lua --out "$work/sweep" --jobs "$@" >/dev/null 2>"$work/err"); then
        e=$EPOCHREALTIME
        label="--jobs $*"
        role=actlab
        [ "$*" = "1 --threads 1" ] && role=base # the row the others are set against
        echo "\"$S\",\"$label\",$role,seconds,$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.4f", e - s}')" >>"$raw"
      else
        say "sweep --jobs $* failed:"; tail -5 "$work/err" >&2
      fi
    done
  done
else
  say "no sweep library or program yet: sweep throughput not measured"
fi

[ -s "$work/cores" ] && echo "cores=OpenBLAS kernel per kind of row: $(sort -u "$work/cores" | paste -sd, | sed 's/,/, /g')" >>"$meta"
echo "load=1-minute load average $load_start at the start, $(cut -d' ' -f1 /proc/loadavg) at the end (this run itself adds about 1)" >>"$meta"
mkdir -p "$here/results"
out=$here/results/$stamp.csv
$PY "$here/summarize.py" "$raw" "$meta" "$out"
exit 0
