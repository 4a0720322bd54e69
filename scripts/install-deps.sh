#!/usr/bin/env bash
# Installs the Debian packages actlab needs, only those missing (idempotent).
# Usage: scripts/install-deps.sh [extra-package…]
set -euo pipefail

packages=(build-essential cmake pkg-config git python3
          liblua5.4-dev lua5.4 libopenblas-dev libcmocka-dev zlib1g-dev libreadline-dev
          gnuplot-nox dataset-fashion-mnist
          valgrind strace clang libclang-rt-14-dev   # the tests: memcheck, kill-during-write, fuzzing
          "$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: every package is installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; install them as root" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
# A fresh machine's package lists may be stale or empty.
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
