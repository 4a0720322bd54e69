#!/usr/bin/env bash
# actlab slurm / status / merge against a real one-node Slurm cluster that this test starts
# on localhost (munged, slurmctld, slurmd, all files under a temporary folder) and stops.
# Exit 77 (skipped) when the cluster cannot run here, with the reason; never 0 untested.
#
# What getting Slurm 22.05 (Debian 12) up on one machine takes, learned by doing it:
# - Packages: slurmctld slurmd slurm-client munge (--no-install-recommends is enough; the
#   postinst cannot start the services in a container, which is fine: we start our own).
# - munged runs as root (no --force needed) with --key-file, --socket, --pid-file,
#   --log-file and --seed-file all under the temp folder. The key is 1024 random bits
#   (mungekey --create, or dd from /dev/urandom), mode 0600 in a 0700 folder. The socket's
#   folder must be searchable by all: in a 0700 one (what mktemp -d makes) munged refuses
#   with "Socket is inaccessible: execute permissions for all required", so it gets 0755.
# - A unix socket path has at most 107 bytes: the munge socket and slurmd's spool folder
#   (slurmstepd makes a socket per job step there) live under a short /tmp folder, since
#   $ACTLAB_TEST_TMP may be deep.
# - slurm.conf: AuthInfo=socket=<our munge socket> points daemons and clients at our munged
#   (no /etc/munge, /run/munge needed); SLURM_CONF=<our slurm.conf> points the clients and,
#   through the exported environment, the batch jobs at our cluster. NodeName=localhost
#   NodeAddr=127.0.0.1 plus the hardware fields of `slurmd -C` (its NodeName= dropped), and
#   `slurmd -N localhost` so slurmd knows it is that node whatever the host is called.
#   ProctrackType=proctrack/linuxproc and TaskPlugin=task/none need no cgroups;
#   SelectType=select/cons_tres with SelectTypeParameters=CR_Core hands out cores and
#   leaves memory untracked, so jobs without --mem run side by side, one per core;
#   SchedulerParameters=batch_sched_delay=0 starts array tasks at once; MailProg=/bin/true,
#   no accounting, JobAcctGatherType=jobacct_gather/none. Ports are picked free at random.
# - Errors slurmd logs about mpi/pmix ("can not load PMIx library") are harmless.
# - Daemons run in the foreground (-D, -F) in the background of this shell, so their pids
#   are known exactly; from start to `sinfo` showing the node idle takes about a second,
#   an array of 4 tasks and its dependent merge job about 4 s.
# - squeue -j lists only jobs still pending or running; finished ones stay visible to
#   `scontrol show job` for MinJobAge (300 s), which is where the merge job's exit is read.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${ACTLAB_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
fixture=$src/tests/lua/fixtures/slurm_sweep.lua
same=$src/tests/lua/fixtures/same_results.lua

skip() { echo "test_slurm: skipped: $*"; exit 77; }
fail() { echo "test_slurm: FAIL: $*"; keep=1; show_logs; echo "(kept: $tmp)"; exit 1; }
note() { echo "test_slurm: $*"; }

bin=${ACTLAB_BIN:-$src/build/actlab}
[ -x "$bin" ] || skip "no actlab program at '$bin' (set ACTLAB_BIN)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export ACTLAB_BIN=$bin

# --- the packages -------------------------------------------------------------------
need=()
for prog in slurmctld slurmd sbatch munged; do
  command -v "$prog" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$prog" >/dev/null 2>&1 || need+=("$prog")
done
export PATH=$PATH:/usr/sbin:/sbin
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || skip "Slurm is not installed (${need[*]} missing) and installing needs root"
  command -v apt-get >/dev/null 2>&1 || skip "Slurm is not installed and there is no apt-get"
  note "installing slurmctld slurmd slurm-client munge"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends slurmctld slurmd slurm-client munge; } >/tmp/test_slurm_apt.$$ 2>&1; then
    tail -5 /tmp/test_slurm_apt.$$; rm -f /tmp/test_slurm_apt.$$
    skip "installing the Slurm packages failed"
  fi
  rm -f /tmp/test_slurm_apt.$$
fi
[ "$(id -u)" = 0 ] || skip "starting slurmd needs root (it runs jobs as their user)"

# --- temporary folders ---------------------------------------------------------------
if [ -n "${ACTLAB_TEST_TMP:-}" ]; then
  mkdir -p "$ACTLAB_TEST_TMP" || fail "cannot create $ACTLAB_TEST_TMP"
  tmp=$(mktemp -d "$ACTLAB_TEST_TMP/slurm.XXXXXX") || fail "mktemp"
else
  tmp=$(mktemp -d /tmp/actlab-slurm.XXXXXX) || fail "mktemp"
fi
chmod 755 "$tmp"
# munged's socket folder and every folder above it must be searchable by all, and a
# socket path has at most 107 bytes: neither holds for a checkout under a private
# (0700) or deep folder, so the sockets, the spool and pid files live in a folder of their
# own in /tmp.
run=$(mktemp -d /tmp/alslurm.XXXXXX) || fail "mktemp"
mkdir -p "$run/spool" "$tmp/munge" "$tmp/state" "$tmp/log"
chmod 755 "$run"; chmod 700 "$tmp/munge"

# --- stopping what this test started, and only that ----------------------------------
munged_pid='' ctld_pid='' slurmd_pid='' keep=0
stop_pid() { # pid: TERM, up to 5 s, then KILL
  local pid=$1 _
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}
cleanup() {
  if [ -n "$ctld_pid" ] && kill -0 "$ctld_pid" 2>/dev/null; then
    # every job of this test's cluster (SLURM_CONF points at it, and nowhere else)
    if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
      scancel -u "$(id -un)" 2>/dev/null
      for _ in $(seq 50); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.1; done
    fi
  fi
  stop_pid "$slurmd_pid"; stop_pid "$ctld_pid"; stop_pid "$munged_pid"
  [ "$keep" = 1 ] || rm -rf "$tmp" # kept after a failure, for its logs
  [ "$run" = "$tmp/run" ] || rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
show_logs() {
  local f
  [ -n "${tmp:-}" ] || return 0
  for f in "$tmp"/log/* "$tmp"/munge/munged.log; do
    [ -s "$f" ] && { echo "--- $f (end)"; tail -8 "$f"; }
  done
}

# --- munge ------------------------------------------------------------------------------
if ! mungekey --create --keyfile="$tmp/munge/munge.key" >/dev/null 2>&1; then
  dd if=/dev/urandom of="$tmp/munge/munge.key" bs=128 count=1 status=none || fail "munge key"
fi
chmod 600 "$tmp/munge/munge.key"
socket=$run/munge.socket
munged -F --key-file="$tmp/munge/munge.key" --socket="$socket" --pid-file="$run/munged.pid" \
  --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed" >"$tmp/log/munged.out" 2>&1 &
munged_pid=$!
for _ in $(seq 50); do [ -S "$socket" ] && break; kill -0 $munged_pid 2>/dev/null || break; sleep 0.1; done
if ! munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; then
  cat "$tmp/log/munged.out"; tail -3 "$tmp/munge/munged.log" 2>/dev/null
  skip "munged does not run here"
fi

# --- slurm.conf for one node ---------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base=$((20000 + RANDOM % 20000))
while ! { port_free $base && port_free $((base + 1)); }; do base=$((base + 2)); done
hw=$(slurmd -C 2>/dev/null | sed -n 's/^NodeName=[^ ]* //p' | head -1)
[ -n "$hw" ] || skip "slurmd -C printed no hardware line"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=actlabtest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmctldPort=$base
SlurmdPort=$((base + 1))
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$run/spool
SlurmctldPidFile=$run/slurmctld.pid
SlurmdPidFile=$run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
# this cluster and nothing else, also when the test itself runs inside a Slurm job
for v in $(env | sed -n 's/^\(SLURM_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export SLURM_CONF=$tmp/slurm.conf

slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
ctld_pid=$!
slurmd -D -f "$SLURM_CONF" -N localhost >"$tmp/log/slurmd.out" 2>&1 &
slurmd_pid=$!
state=''
for _ in $(seq 150); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null)
  [ "$state" = idle ] && break
  kill -0 $ctld_pid 2>/dev/null && kill -0 $slurmd_pid 2>/dev/null || break
  sleep 0.2
done
if [ "$state" != idle ]; then
  show_logs
  skip "the Slurm daemons did not bring the node up (node state '${state:-none}')"
fi
note "cluster up: slurm.conf in $tmp, ports $base-$((base + 1))"

# --- helpers ---------------------------------------------------------------------------------
# wait_jobs SECONDS ID...: until none of the jobs is pending or running.
wait_jobs() {
  local limit=$1; shift
  local ids deadline=$((SECONDS + limit))
  ids=$(IFS=,; echo "$*")
  while [ $SECONDS -lt $deadline ]; do
    squeue -h -j "$ids" -o %T 2>/dev/null | grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED' || return 0
    sleep 0.3
  done
  squeue -j "$ids"
  fail "jobs $* still not finished after $limit s"
}
# job_field ID FIELD: a field of scontrol show job (JobState, ExitCode, ...).
job_field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
check_merge() { # merge job id, results folder
  local st ec
  st=$(job_field "$1" JobState); ec=$(job_field "$1" ExitCode)
  [ "$st" = COMPLETED ] && [ "$ec" = 0:0 ] || { cat "$2"/slurm/merge_"$1".out; fail "merge job $1: $st, exit $ec"; }
  [ -s "$2/slurm/merge_$1.out" ] || fail "no merge log $2/slurm/merge_$1.out"
}

cd "$tmp" || fail "cd $tmp"
# The reference: the same sweep on this machine, one BLAS thread.
"$bin" "$fixture" --out "$tmp/local" --threads 1 >"$tmp/local.log" 2>&1 ||
  { cat "$tmp/local.log"; fail "local sweep"; }

# --- case 1: submit, wait, merge = the local sweep --------------------------------------------
t0=$SECONDS
out=$tmp/cluster
"$bin" slurm "$fixture" --out "$out" --runs-per-task 2 --max-parallel 2 --cpus-per-task 1 \
  --time 5 --submit >"$tmp/submit1.log" 2>&1 || { cat "$tmp/submit1.log"; fail "actlab slurm --submit"; }
cat "$tmp/submit1.log"
grep -q '^#SBATCH --array=0-3%2$' "$out/slurm/array.sbatch" || fail "array line of $out/slurm/array.sbatch"
jid=$(sed -n 's/^array job \([0-9][0-9]*\):.*/\1/p' "$tmp/submit1.log")
mid=$(sed -n 's/^merge job \([0-9][0-9]*\):.*/\1/p' "$tmp/submit1.log")
[ -n "$jid" ] && [ -n "$mid" ] || fail "no job ids in the output of actlab slurm --submit"
dep=$(job_field "$mid" Dependency)
case $dep in afterany:${jid}_*) ;; *) fail "merge job dependency '$dep', expected afterany:${jid}_*" ;; esac
wait_jobs 60 "$jid" "$mid"
for t in 0 1 2 3; do
  [ -s "$out/slurm/${jid}_$t.out" ] || fail "no log $out/slurm/${jid}_$t.out"
  [ "$(job_field "${jid}_$t" JobState)" = COMPLETED ] || fail "task $t: $(job_field "${jid}_$t" JobState)"
done
check_merge "$mid" "$out"
"$bin" "$same" "$tmp/local/results.csv" "$out/results.csv" || fail "merged results differ from the local sweep"
"$bin" "$same" "$tmp/local/layers.csv" "$out/layers.csv" || fail "merged layers differ from the local sweep"
"$bin" status "$out" >"$tmp/status1.log" 2>&1 || { cat "$tmp/status1.log"; fail "status after a complete sweep"; }
grep -q "8 runs: 8 ok, 0 diverged, 0 failed, 0 missing" "$tmp/status1.log" || { cat "$tmp/status1.log"; fail "status counts"; }
note "case 1 passed in $((SECONDS - t0)) s: array $jid (4 tasks of 2 runs) + merge $mid = the local sweep"

# --- case 2: a task cancelled midway is named by status, resubmitted, and the result is complete
t0=$SECONDS
out=$tmp/cancel
"$bin" slurm "$fixture" --pause 1 --out "$out" --runs-per-task 1 --max-parallel 2 --submit \
  >"$tmp/submit2.log" 2>&1 || { cat "$tmp/submit2.log"; fail "actlab slurm --submit (case 2)"; }
jid=$(sed -n 's/^array job \([0-9][0-9]*\):.*/\1/p' "$tmp/submit2.log")
mid=$(sed -n 's/^merge job \([0-9][0-9]*\):.*/\1/p' "$tmp/submit2.log")
[ -n "$jid" ] && [ -n "$mid" ] || { cat "$tmp/submit2.log"; fail "no job ids (case 2)"; }
victim=2 # task 2 = shard 2/8 = run 3
log=$out/slurm/${jid}_$victim.out
deadline=$((SECONDS + 40))
until grep -q 'epoch 1/2' "$log" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "task $victim never reached its first epoch"
  sleep 0.1
done
scancel "${jid}_$victim" || fail "scancel ${jid}_$victim"
wait_jobs 60 "$jid" "$mid"
[ "$(job_field "${jid}_$victim" JobState)" = CANCELLED ] || fail "task $victim: $(job_field "${jid}_$victim" JobState), expected CANCELLED"
check_merge "$mid" "$out"
"$bin" status "$out" >"$tmp/status2.log" 2>&1
code=$?
cat "$tmp/status2.log"
[ $code = 1 ] || fail "status of an incomplete sweep exited $code, expected 1"
grep -q "8 runs: 7 ok, 0 diverged, 0 failed, 1 missing" "$tmp/status2.log" || fail "status counts (case 2)"
grep -qE "^missing +run 3 +[0-9a-f]{16} +task $victim " "$tmp/status2.log" || fail "status does not name run 3 of task $victim"
arr=$("$bin" status "$out" --array) || fail "status --array"
[ "$arr" = "$victim%2" ] || fail "status --array printed '$arr', expected '$victim%2'"
# resubmit with the command status printed
cmd=$(sed -n 's/^  \(j1=.*\)$/\1/p' "$tmp/status2.log" | head -1)
[ -n "$cmd" ] || fail "status printed no resubmit command"
j1=''
eval "$cmd" >"$tmp/resubmit.log" 2>&1 || { cat "$tmp/resubmit.log"; fail "resubmit command failed: $cmd"; }
rid=${j1%%;*}; rmid=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$tmp/resubmit.log")
[ -n "$rid" ] && [ -n "$rmid" ] || { cat "$tmp/resubmit.log"; fail "resubmission gave no job ids"; }
wait_jobs 60 "$rid" "$rmid"
[ "$(job_field "${rid}_$victim" JobState)" = COMPLETED ] || fail "resubmitted task: $(job_field "${rid}_$victim" JobState)"
check_merge "$rmid" "$out"
"$bin" status "$out" >"$tmp/status3.log" 2>&1 || { cat "$tmp/status3.log"; fail "status after the resubmission"; }
"$bin" "$same" "$tmp/local/results.csv" "$out/results.csv" || fail "results after resubmission differ from the local sweep"
note "case 2 passed in $((SECONDS - t0)) s: task $victim cancelled, named, resubmitted ($rid), complete"
echo "test_slurm: ok"
