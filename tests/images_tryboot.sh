#!/usr/bin/env bash
# The A/B boot of a system update, with the firmware's part played by
# tests/support/pi-firmware (autoboot.txt and the one-shot tryboot flag, as the
# Raspberry Pi documentation describes them) and RAUC's calls made to
# images/files/milepost-rauc-backend as RAUC makes them: a good update is tried,
# then committed; one that never commits falls back by itself; a slot marked bad
# is not tried again; kill -9 while autoboot.txt is rewritten leaves a card that
# boots one of the two systems.
set -uo pipefail
cd "$(dirname "$0")/.."
backend=$PWD/images/files/milepost-rauc-backend
firmware=$PWD/tests/support/pi-firmware
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MILEPOST_AUTOBOOT=$tmp/autoboot/autoboot.txt MILEPOST_BOOTLOADER_DT=$tmp/dt
mkdir -p "$tmp/autoboot" "$tmp/dt"
fails=0 passes=0

source "$PWD/tests/support/checks.sh"

# A boot: the firmware picks the partition, and leaves what it did in the device
# tree for the system (partition, tryboot) as 32-bit big-endian numbers.
boot() { # boot normal|tryboot
  local part
  part=$("$firmware" "$MILEPOST_AUTOBOOT" "$1") || { echo "no boot"; return; }
  dt_number "$part" >"$tmp/dt/partition"
  dt_number "$([[ $1 == tryboot ]] && echo 1 || echo 0)" >"$tmp/dt/tryboot"
  echo "$part"
}

# The card as images/build writes it: system A (partition 2) committed, nothing to try.
fresh_card() {
  printf '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n' >"$MILEPOST_AUTOBOOT"
}

# 1. A good update: installed into B, tried at the window's reboot, committed.
fresh_card
expect "fresh card boots A" 2 "$(boot normal)"
expect "get-primary on a fresh card" 2 "$("$backend" get-primary)"
expect "A is good" good "$("$backend" get-state 2)"
expect "B is bad before anything is installed" bad "$("$backend" get-state 3)"
"$backend" set-primary 3 # RAUC, at the end of an install into B
expect "after the install, the next boot is to try B" 3 "$("$backend" get-primary)"
expect "a power cut before the window boots A" 2 "$(boot normal)"
expect "the window's reboot '0 tryboot' boots B" 3 "$(boot tryboot)"
expect "B on trial is good" good "$("$backend" get-state 3)"
"$backend" set-state 3 good # milepost-commit: it played for a minute and synced
expect "committed B boots normally" 3 "$(boot normal)"
expect "a stray tryboot boots B too" 3 "$(boot tryboot)"
expect "B is primary" 3 "$("$backend" get-primary)"

# 2. The next update, into A, never commits (its player presents no frame): the
# reboot that follows is a normal boot, and the firmware starts the committed B.
"$backend" set-primary 2 # the next update, into A
expect "tried: A" 2 "$(boot tryboot)"
expect "no commit: the next boot is B again" 3 "$(boot normal)"
"$backend" set-state 2 bad # milepost-commit on B records the failed try
expect "a slot marked bad is not tried again" 3 "$(boot tryboot)"
expect "the failed slot reads bad" bad "$("$backend" get-state 2)"

# 3. Refusals.
out=$("$backend" set-state 3 bad 2>&1)
expect "the committed slot cannot be marked bad" "1:milepost-rauc-backend: slot 3 is the committed one: install the other first" "$?:$out"
out=$("$backend" set-primary 7 2>&1)
expect "an unknown slot" "1:milepost-rauc-backend: unknown slot \"7\" (expected 2 or 3)" "$?:$out"
out=$("$backend" reboot 2>&1)
expect "an unknown command" 1 "$?"
out=$(MILEPOST_AUTOBOOT=$tmp/none "$backend" get-primary 2>&1)
expect "no autoboot.txt" "1:milepost-rauc-backend: $tmp/none: cannot read it" "$?:$out"

# 4. kill -9 at 10 random instants of a rewrite of autoboot.txt: every time both a
# normal boot and a tried boot start one of the two systems.
for i in $(seq 1 10); do
  fresh_card
  boot normal >/dev/null
  "$backend" set-primary 3 &
  pid=$!
  sleep "0.00$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  n=$(boot normal)
  t=$(boot tryboot)
  expect "kill $i: a normal boot starts A" 2 "$n"
  [[ $t == 2 || $t == 3 ]] && passes=$((passes + 1)) || {
    echo "FAIL: kill $i: a tried boot started \"$t\""
    fails=$((fails + 1))
  }
done

echo "images_tryboot: $passes checks passed, $fails failed"
((fails == 0 && passes > 30))
