#!/usr/bin/env bash
# images/files/milepost-data-setup against real ext4 file systems on loop devices:
# a clean one is kept; one whose check keeps failing (e2fsck exit 8, an
# operational error such as a read error) is never re-made and is mounted
# read-only with a note for the screen; one whose first superblock is wiped is
# repaired from a backup; only one with nothing left is made again.
# Needs root (losetup, mount). MILEPOST_DATA_SETUP names another script to test.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
script=${MILEPOST_DATA_SETUP:-$PWD/images/files/milepost-data-setup}
if ((EUID != 0)); then
  echo "FAIL: needs root (loop devices and mounts)"
  exit 1
fi
for tool in losetup mount mkfs.ext4 e2fsck dumpe2fs blockdev; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (./scripts/deps)"; exit 1; }
done
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
dev=""
cleanup() {
  mountpoint -q "$tmp/mnt" && umount "$tmp/mnt"
  [[ -n $dev ]] && losetup -d "$dev"
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/mnt" "$tmp/seed" "$tmp/bin"
head -c 300000 /dev/urandom >"$tmp/seed/playlog.db"
sum=$(sha256sum <"$tmp/seed/playlog.db")

# mkdata BLOCKSIZE [SIZE]: a data partition (64 MiB) holding playlog.db, on a loop
# device.
mkdata() {
  rm -f "$tmp/data.img"
  mkfs.ext4 -q -F -b "$1" -L milepost-data -d "$tmp/seed" "$tmp/data.img" "${2:-64M}" >/dev/null || exit 1
  dev=$(losetup -f --show "$tmp/data.img") || exit 1
  uuid=$(blkid -p -s UUID -o value "$dev")
}
# run [ENV...]: the script on $dev; its output in $out, its status in $rc.
run() {
  out=$(env "$@" MILEPOST_DATA_DEVICE="$dev" MILEPOST_DATA_MOUNT="$tmp/mnt" \
    MILEPOST_DATA_PROBLEM="$tmp/run/milepost-data.problem" MILEPOST_DATA_RETRY_PAUSE=0.1 \
    sh "$script" 2>&1)
  rc=$?
}
mounted() { findmnt -n -o OPTIONS --mountpoint "$tmp/mnt" | tr , '\n' | head -1; }
kept() { [[ -f $tmp/mnt/playlog.db && $(sha256sum <"$tmp/mnt/playlog.db") == "$sum" ]]; }
done_with() {
  mountpoint -q "$tmp/mnt" && umount "$tmp/mnt"
  losetup -d "$dev"
  dev=""
}

# A clean file system: checked, mounted read-write, kept.
mkdata 1024
run
[[ $rc == 0 ]] && ok || bad "clean: exit $rc: $out"
[[ $(mounted) == rw ]] && ok || bad "clean: not mounted read-write ($(mounted)): $out"
kept && ok || bad "clean: playlog.db lost"
[[ ! -e $tmp/run/milepost-data.problem ]] && ok || bad "clean: a problem note was written"
done_with

# e2fsck keeps failing with 8 (an operational error): a stand-in e2fsck that
# counts its calls and exits 8, the fault a flaky card gives. Never re-made: the
# same file system (UUID), its data, mounted read-only after 3 tries, a note.
mkdata 1024
cat >"$tmp/bin/e2fsck" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/e2fsck.calls"
echo "e2fsck: Attempt to read block from filesystem resulted in short read" >&2
exit 8
EOF
chmod +x "$tmp/bin/e2fsck"
run PATH="$tmp/bin:$PATH"
[[ $rc == 0 ]] && ok || bad "exit 8: exit $rc: $out"
[[ $(mounted) == ro ]] && ok || bad "exit 8: not mounted read-only ($(mounted)): $out"
kept && ok || bad "exit 8: playlog.db lost: $out"
[[ $(blkid -p -s UUID -o value "$dev") == "$uuid" ]] && ok || bad "exit 8: the file system was made again"
[[ $out != *"making it again"* ]] && ok || bad "exit 8: said it re-made it: $out"
calls=$(grep -c -v -- ' -b ' "$tmp/e2fsck.calls")
[[ $calls == 3 ]] && ok || bad "exit 8: e2fsck ran $calls times on the first superblock, wanted 3 tries"
[[ $out == *"try 1 of 3"*"try 2 of 3"* ]] && ok || bad "exit 8: the retries are not reported: $out"
note=$(cat "$tmp/run/milepost-data.problem" 2>/dev/null)
[[ $note == "Data partition read-only: $dev could not be checked"*"e2fsck exit 8"* ]] && ok ||
  bad "exit 8: the note for the screen is \"$note\""
[[ $(stat -c %a "$tmp/run/milepost-data.problem") == 644 ]] && ok || bad "exit 8: the note is not readable by the player"
done_with
rm -f "$tmp/bin/e2fsck"

# The first superblock wiped (the start of a worn card), with 1 KiB blocks (as the
# image makes it) and 4 KiB (160 MiB: a second block group, so a backup):
# repaired from a backup, mounted read-write, kept.
for bs in 1024 4096; do
  mkdata "$bs" 160M
  dd if=/dev/zero of="$dev" bs=1024 seek=1 count=1 conv=notrunc status=none
  [[ $(blkid -p -s TYPE -o value "$dev") == "" ]] || bad "superblock $bs: the wipe did not take"
  run
  [[ $rc == 0 ]] && ok || bad "superblock $bs: exit $rc: $out"
  [[ $(mounted) == rw ]] && ok || bad "superblock $bs: not mounted read-write ($(mounted)): $out"
  kept && ok || bad "superblock $bs: playlog.db lost: $out"
  [[ $(blkid -p -s UUID -o value "$dev") == "$uuid" ]] && ok || bad "superblock $bs: made again"
  [[ ! -e $tmp/run/milepost-data.problem ]] && ok || bad "superblock $bs: a problem note was written"
  done_with
done

# A stale note from a read-only boot goes once the partition checks clean.
mkdir -p "$tmp/run" && echo stale >"$tmp/run/milepost-data.problem"
mkdata 1024
run
[[ ! -e $tmp/run/milepost-data.problem ]] && ok || bad "a stale note was left"
done_with

# Nothing left (every superblock zeroed): made again, empty, labelled, read-write.
mkdata 1024
dd if=/dev/zero of="$dev" bs=1M count=64 status=none conv=fsync
run
[[ $rc == 0 ]] && ok || bad "wiped: exit $rc: $out"
[[ $out == *"no file system left"*"making it again"* ]] && ok || bad "wiped: no message: $out"
[[ $(mounted) == rw ]] && ok || bad "wiped: not mounted read-write ($(mounted)): $out"
[[ $(blkid -p -s LABEL -o value "$dev") == milepost-data ]] && ok || bad "wiped: not labelled milepost-data"
[[ ! -e $tmp/mnt/playlog.db ]] && ok || bad "wiped: a playlog.db from nowhere"
done_with

echo "$passes passed, $fails failed"
((fails == 0))
