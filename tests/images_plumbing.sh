#!/usr/bin/env bash
# images/build and images/boot-test: argument handling and the stage plumbing,
# without building an image (MILEPOST_IMAGE_TESTS=1 ./scripts/test does that).
set -uo pipefail
cd "$(dirname "$0")/.."
fails=0 passes=0
check() { # check NAME EXPECTED_STATUS EXPECTED_TEXT -- COMMAND...
  local name=$1 want=$2 text=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc == "$want" && $out == *"$text"* ]]; then
    passes=$((passes + 1))
  else
    echo "FAIL: $name: exit $rc (wanted $want), output:"
    echo "$out" | sed 's/^/    /'
    fails=$((fails + 1))
  fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "no --out" 2 "--out DIR is required" -- ./images/build
check "unknown argument" 2 'unknown argument "--colour"' -- ./images/build --out "$tmp/o" --colour
check "bad size" 2 'expected a size such as 2G' -- ./images/build --out "$tmp/o" --root-size 2X
check "missing deb" 2 "no such file: $tmp/none.deb" -- ./images/build --out "$tmp/o" --deb "$tmp/none.deb"
check "bad mirror" 2 "expected an http(s) URL" -- ./images/build --out "$tmp/o" --mirror ftp.example.org
check "help" 0 "Usage: ./images/build --out DIR" -- ./images/build --help
check "dry run lists every stage" 0 "[10/10] checksum: sha256" -- ./images/build --out "$tmp/o" --dry-run
out=$(./images/build --out "$tmp/o" --dry-run 2>&1)
for s in "[1/10] check" "[2/10] package" "[3/10] rootfs" "[4/10] configure" "[5/10] boot" "[6/10] partitions" "[7/10] assemble" "[8/10] bundle" "[9/10] bmap"; do
  [[ $out == *"$s"* ]] && passes=$((passes + 1)) || { echo "FAIL: dry run lacks $s"; fails=$((fails + 1)); }
done
[[ $out == *"SOURCE_DATE_EPOCH="* && $out == *"milepost-"*"-arm64.img"* ]] && passes=$((passes + 1)) || { echo "FAIL: dry run lacks the image name or epoch"; fails=$((fails + 1)); }
# A failing stage, through the real stage loop and its traps, names itself and
# removes the scratch folder and any partial output (a stale image is put there).
name=$(sed -n 's/^images\/build: \(milepost-.*-arm64\.img\) into.*/\1/p' <<<"$out")
mkdir -p "$tmp/o" && echo partial >"$tmp/o/$name"
check "a failed stage says which" 1 "stage check failed" -- env MILEPOST_IMAGE_FAIL_AT=check ./images/build --out "$tmp/o" --work "$tmp/work"
[[ ! -e $tmp/work ]] && passes=$((passes + 1)) || { echo "FAIL: the scratch folder was left behind"; fails=$((fails + 1)); }
[[ ! -e $tmp/o/milepost-*.img ]] && passes=$((passes + 1)) || { echo "FAIL: a partial image was left"; fails=$((fails + 1)); }
check "boot-test needs an image" 2 "an IMAGE is required" -- ./images/boot-test
check "boot-test: no such image" 2 "no such image" -- ./images/boot-test "$tmp/none.img"
check "boot-test: bad damage" 2 "expected superblock or all" -- ./images/boot-test "$tmp/none.img" --corrupt-data some
check "boot-test help" 0 "qemu-system-aarch64 -M virt" -- ./images/boot-test --help
echo "$passes passed, $fails failed"
((fails == 0))
