#!/usr/bin/env bash
# The image's side of a system update, on this machine: RAUC's own service (on a
# D-Bus session bus of the test's), the image's bootloader backend writing
# autoboot.txt, its post-install handler pointing the new boot files at their
# own root, and
#   images/files/milepost-commit: a tried system is kept once the player has shown
#     frames for 60 s and sync has polled; one whose player keeps failing is marked
#     bad and the screen reboots into the old one; a boot that was not a trial is
#     left alone;
#   images/files/milepost-system-reboot: the request sync wrote is taken once, and
#     the reboot is a tryboot, only when RAUC left a slot to try.
# systemd is not running here: `systemctl` is a stand-in that answers for the
# player's unit from files and writes down what it was asked to do.
set -uo pipefail
cd "$(dirname "$0")/.."
src=$PWD
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passes=0
source "$src/tests/support/checks.sh"

# The stand-in systemctl: `show -P PROPERTY UNIT` from $tmp/unit/PROPERTY; any
# other call is written to $tmp/systemctl.log.
mkdir -p "$tmp/bin" "$tmp/unit" "$tmp/dt" "$tmp/mnt" "$tmp/data"
cat >"$tmp/bin/systemctl" <<EOF
#!/bin/sh
if [ "\$1" = show ] && [ "\$2" = -P ]; then cat "$tmp/unit/\$3"; exit; fi
echo "\$*" >>"$tmp/systemctl.log"
EOF
chmod +x "$tmp/bin/systemctl"
export PATH=$tmp/bin:$PATH

# A card on which RAUC installed system 0.2.0 into slot 3 (boot 2 committed).
export MILEPOST_AUTOBOOT=$tmp/autoboot.txt MILEPOST_BOOTLOADER_DT=$tmp/dt MILEPOST_DATA_DIR=$tmp/data
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  -days 30 -subj "/CN=milepost test" 2>/dev/null
# Slots named as the image names them (/dev/disk/by-partuuid/4d50a5e0-NN): files.
mkdir -p "$tmp/by-partuuid"
p=$tmp/by-partuuid/4d50a5e0
truncate -s 1M "$p-05" "$p-06"
mkfs.vfat -C "$p-02" 2048 >/dev/null
mkfs.vfat -C "$p-03" 2048 >/dev/null
cat >"$tmp/system.conf" <<EOF
[system]
compatible=milepost-rpi-arm64
bootloader=custom
mountprefix=$tmp/mnt
statusfile=$tmp/status.raucs
[handlers]
bootloader-custom-backend=$src/images/files/milepost-rauc-backend
post-install=$src/images/files/milepost-rauc-post-install
[keyring]
path=$tmp/cert.pem
[slot.rootfs.0]
device=$p-05
type=raw
bootname=2
[slot.boot.0]
device=$p-02
type=raw
parent=rootfs.0
[slot.rootfs.1]
device=$p-06
type=raw
bootname=3
[slot.boot.1]
device=$p-03
type=raw
parent=rootfs.1
EOF
export DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/bus DBUS_STARTER_BUS_TYPE=session
dbus-daemon --session --nofork --nopidfile --address="$DBUS_SESSION_BUS_ADDRESS" 2>/dev/null &
# RAUC's service gives up at once when the bus is not there yet.
for _ in $(seq 100); do [[ -S $tmp/bus ]] && break; sleep 0.05; done
service=""
start_rauc() { # start_rauc BOOTED_SLOT
  [[ -z $service ]] || { kill "$service"; wait "$service" 2>/dev/null; }
  rauc service --conf="$tmp/system.conf" --override-boot-slot="$1" >>"$tmp/rauc.log" 2>&1 &
  service=$!
  for _ in $(seq 100); do rauc status >/dev/null 2>&1 && return; sleep 0.1; done
  echo "FAIL: rauc service did not come up: $(tail -3 "$tmp/rauc.log")"
  exit 1
}

# A boot: the firmware's record of it, the player's unit, sync's last poll, and the
# record sync left before the reboot.
boot() { # boot PARTITION TRYBOOT PLAYER_SECONDS RESTARTS LAST_SYNC
  dt_number "$1" >"$tmp/dt/partition"
  dt_number "$2" >"$tmp/dt/tryboot"
  printf '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n' >"$MILEPOST_AUTOBOOT"
  local up
  up=$(cut -d. -f1 /proc/uptime)
  echo active >"$tmp/unit/ActiveState"
  echo "$4" >"$tmp/unit/NRestarts"
  echo $(((up - $3) * 1000000)) >"$tmp/unit/ActiveEnterTimestampMonotonic"
  printf '{"last_sync": "%s", "last_sync_result": "ok: channel \\"trucking\\" sequence 3 is active"}\n' "$5" >"$tmp/data/sync.json"
  printf '{\n  "version": "0.2.0",\n  "from": "0.1.0",\n  "state": "rebooting",\n  "at": "x",\n  "detail": "x",\n  "boot_id": "b1"\n}\n' >"$tmp/data/system-update.json"
  : >"$tmp/systemctl.log"
  start_rauc "$1"
}
state() { sed -n 's/^ *"state": *"\([^"]*\)".*/\1/p' "$tmp/data/system-update.json"; }
detail() { sed -n 's/^ *"detail": *"\([^"]*\)".*/\1/p' "$tmp/data/system-update.json"; }
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
export MILEPOST_COMMIT_PAUSE=0.2
export MTOOLS_SKIP_CHECK=1

# 0. An install into slot B (as images/build makes bundles: slot A's root and boot
# files; plain format, which this machine's kernel can install): slot B's boot
# files then boot slot B's root, as slot 3, and autoboot.txt tries slot 3.
mkdir -p "$tmp/bundle"
head -c 65536 /dev/urandom >"$tmp/bundle/root.img"
mkfs.vfat -C "$tmp/bundle/boot.img" 2048 >/dev/null
printf 'console=tty3 root=PARTUUID=4d50a5e0-05 rauc.slot=2 ro rootwait quiet\n' >"$tmp/cmdline.txt"
mcopy -i "$tmp/bundle/boot.img" "$tmp/cmdline.txt" ::cmdline.txt
printf '[update]\ncompatible=milepost-rpi-arm64\nversion=0.2.0\n[bundle]\nformat=plain\n[image.rootfs]\nfilename=root.img\n[image.boot]\nfilename=boot.img\n' >"$tmp/bundle/manifest.raucm"
rauc bundle --cert="$tmp/cert.pem" --key="$tmp/key.pem" "$tmp/bundle" "$tmp/update.raucb" >/dev/null 2>&1
dt_number 2 >"$tmp/dt/partition"
dt_number 0 >"$tmp/dt/tryboot"
printf '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n' >"$MILEPOST_AUTOBOOT"
start_rauc 2
out=$(rauc install "$tmp/update.raucb" 2>&1)
expect "install: exit" 0 $?
expect "install: slot B's root" "$(sha256sum <"$tmp/bundle/root.img")" "$(head -c 65536 "$p-06" | sha256sum)"
expect "install: slot B's cmdline.txt" "console=tty3 root=PARTUUID=4d50a5e0-06 rauc.slot=3 ro rootwait quiet" "$(mtype -i "$p-03" ::cmdline.txt)"
expect "install: slot A's cmdline.txt untouched" "" "$(mtype -i "$p-02" ::cmdline.txt 2>/dev/null)"
expect "install: autoboot.txt tries slot 3" $'[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3' "$(cat "$MILEPOST_AUTOBOOT")"

# 1. Tried, the player up for 61 s, sync polled since the boot: committed.
boot 3 1 61 0 "$now"
out=$(MILEPOST_COMMIT_TIMEOUT=20 "$src/images/files/milepost-commit" 2>&1)
expect "committed: exit" 0 $?
contains "committed: said" "system 0.2.0 committed (replaces 0.1.0)" "$out"
expect "committed: autoboot.txt" $'[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=3' "$(cat "$MILEPOST_AUTOBOOT")"
expect "committed: the record" "committed" "$(state)"
expect "committed: no reboot" "" "$(cat "$tmp/systemctl.log")"

# 2. Tried, but the player restarted (its watchdog: frames stopped): rolled back.
boot 3 1 61 1 "$now"
out=$(MILEPOST_COMMIT_TIMEOUT=2 "$src/images/files/milepost-commit" 2>&1)
contains "player failed: said" "the player did not show frames for 60 s: marking it bad and rebooting into 0.1.0" "$out"
expect "player failed: autoboot.txt" $'[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2' "$(cat "$MILEPOST_AUTOBOOT")"
expect "player failed: the record" "rolled back" "$(state)"
contains "player failed: the reason" "the player did not show frames for 60 s; the old system 0.1.0 runs again" "$(detail)"
expect "player failed: a plain reboot" "reboot" "$(cat "$tmp/systemctl.log")"

# 3. Tried, the player fine, but sync's last poll is from before this boot.
boot 3 1 61 0 "2020-01-01T00:00:00Z"
out=$(MILEPOST_COMMIT_TIMEOUT=2 "$src/images/files/milepost-commit" 2>&1)
contains "no poll: said" "sync did not complete a poll" "$out"
expect "no poll: the record" "rolled back" "$(state)"
expect "no poll: a plain reboot" "reboot" "$(cat "$tmp/systemctl.log")"

# 4. A normal boot: nothing touched.
boot 2 0 61 0 "$now"
out=$("$src/images/files/milepost-commit" 2>&1)
contains "normal boot: said" "nothing to commit" "$out"
expect "normal boot: the record" "rebooting" "$(state)"
expect "normal boot: autoboot.txt" $'[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3' "$(cat "$MILEPOST_AUTOBOOT")"

# 5. The reboot sync asked for: taken once, a tryboot.
boot 2 0 61 0 "$now"
echo 0.2.0 >"$tmp/data/system-reboot"
out=$("$src/images/files/milepost-system-reboot" 2>&1)
contains "reboot: said" "system 0.2.0: rebooting to try it" "$out"
expect "reboot: a tryboot" "reboot 0 tryboot" "$(cat "$tmp/systemctl.log")"
expect "reboot: the request taken" "no" "$([[ -e $tmp/data/system-reboot ]] && echo yes || echo no)"
# A request ignored: said so, no reboot, and the request taken away.
request_ignored() { # request_ignored NAME SAID (the request and autoboot.txt set up)
  out=$("$src/images/files/milepost-system-reboot" 2>&1)
  contains "$1: said" "$2" "$out"
  expect "$1: no reboot" "" "$(cat "$tmp/systemctl.log")"
  expect "$1: the request taken" "no" "$([[ -e $tmp/data/system-reboot ]] && echo yes || echo no)"
}
# A request another user made (the player's group may write the data folder).
: >"$tmp/systemctl.log"
echo 0.2.0 >"$tmp/data/system-reboot"
chown nobody "$tmp/data/system-reboot"
request_ignored "not sync's" "a reboot request made by nobody, not milepost-sync: ignored"
# Nothing left to try (RAUC marked it bad meanwhile).
printf '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n' >"$MILEPOST_AUTOBOOT"
: >"$tmp/systemctl.log"
echo 0.2.0 >"$tmp/data/system-reboot"
request_ignored "nothing to try" "no other slot is set to be tried"

echo "images_update: $passes checks passed, $fails failed"
((fails == 0))
