#!/usr/bin/env bash
# A system update over the air, end to end under qemu (images/boot-test plays the
# Raspberry Pi firmware: autoboot.txt, the tryboot flag, the device tree):
#   good      a newer bundle, published in the channel, is fetched and installed
#             while the player plays, the screen reboots into it in its window
#             (tryboot), milepost-commit keeps it, and the next boot runs it;
#   no-frames a bundle whose player never presents a frame is tried, marked bad
#             by milepost-commit, and the screen comes back on the old system by
#             itself, saying so;
#   cuts      the power cut at CUTS random instants (default 10) of the install
#             and of the commit (CUT_AT=S: at S s each time): each time the card
#             boots to a playing screen on one of the two systems, its data
#             partition whole;
#   refused   a bundle signed by another key, then one changed on the server after
#             the channel was signed: sync refuses both, RAUC installs nothing, the
#             card still boots its own system, and the screen plays throughout.
#
#   tests/images_update_boot.sh IMAGE PACK_BINARY [SCENARIO]...
#
# IMAGE is images/build's, with its bundle and development signer beside it. Logs
# go beside IMAGE (update-*.log). Figures (bundle size, bytes downloaded, install
# time under emulation) are printed. Exit 1 when any scenario fails.
set -uo pipefail
image=${1:?usage: tests/images_update_boot.sh IMAGE PACK_BINARY [SCENARIO]...}
pack=${2:?usage: tests/images_update_boot.sh IMAGE PACK_BINARY [SCENARIO]...}
shift 2
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(good no-frames cuts refused)
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(cd "$(dirname "$image")" && pwd)
key=$out/rauc-dev.key.pem cert=$out/rauc-dev.cert.pem
version=$(basename "$image" | sed 's/^milepost-\(.*\)-arm64\.img$/\1/')
new=$version+u1
re() { sed 's/[.+]/\\&/g' <<<"$1"; } # a version as a grep -E pattern
work=$(mktemp -d)
server=""
trap '[[ -n $server ]] && kill -- -$server 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
failed=0
fail() { echo "images_update_boot: FAILED: $*" >&2; failed=1; }
export MTOOLS_SKIP_CHECK=1
part_start() { sfdisk -d "$1" | sed -n "s|^$1$2 *: *start= *\([0-9]*\).*|\1|p"; }
part_size() { sfdisk -d "$1" | sed -n "s|^$1$2 *: *start= *[0-9]*, *size= *\([0-9]*\).*|\1|p"; }

# A bundle of the image's own system, saying VERSION (in its manifest and in
# /etc/milepost/system-version); "no-frames": its player never presents a frame.
make_bundle() { # make_bundle VERSION [no-frames] [KEY CERT]
  local dir=$work/bundle-$1
  rm -rf "$dir"
  mkdir -p "$dir/in"
  dd if="$image" of="$dir/in/root.img" bs=512 skip="$(part_start "$image" 5)" count="$(part_size "$image" 5)" conv=sparse status=none
  dd if="$image" of="$dir/in/boot.img" bs=512 skip="$(part_start "$image" 2)" count="$(part_size "$image" 2)" status=none
  printf '%s\n' "$1" >"$dir/version"
  {
    echo "rm /etc/milepost/system-version"
    echo "write $dir/version /etc/milepost/system-version"
    if [[ ${2:-} == no-frames ]]; then
      printf '#!/bin/sh\n# a player that never presents a frame\nexec sleep infinity\n' >"$dir/player"
      printf '[Service]\nEnvironment=MILEPOST_COMMIT_TIMEOUT=300\n' >"$dir/commit.conf"
      echo "rm /usr/bin/milepost-player"
      echo "write $dir/player /usr/bin/milepost-player"
      echo "set_inode_field /usr/bin/milepost-player mode 0100755"
      echo "mkdir /etc/systemd/system/milepost-commit.service.d"
      echo "write $dir/commit.conf /etc/systemd/system/milepost-commit.service.d/test.conf"
    fi
  } >"$dir/edit.debugfs"
  debugfs -w -f "$dir/edit.debugfs" "$dir/in/root.img" >/dev/null 2>&1
  [[ $(debugfs -R "cat /etc/milepost/system-version" "$dir/in/root.img" 2>/dev/null) == "$1" ]] ||
    { fail "cannot write the version into bundle $1's root"; return 1; }
  printf '[update]\ncompatible=milepost-rpi-arm64\nversion=%s\n\n[bundle]\nformat=verity\n\n[image.rootfs]\nfilename=root.img\n\n[image.boot]\nfilename=boot.img\n' "$1" >"$dir/in/manifest.raucm"
  rauc bundle --cert="${4:-$cert}" --key="${3:-$key}" "$dir/in" "$dir/update.raucb" >/dev/null 2>&1 ||
    { fail "rauc bundle $1"; return 1; }
  rm -rf "$dir/in"
}

# A signed site whose channel names BUNDLE, served on loopback (qemu's guest
# reaches it at 10.0.2.2).
port=$((18000 + RANDOM % 2000))
sequence=0 # each publication's, one above the last: scenarios share the site
publish() { # publish BUNDLE
  mkdir -p "$work/pub"
  [[ -f $work/pub/key.sec ]] || "$pack" keygen --secret-key "$work/pub/key.sec" --public-key "$work/pub/key.pub" >/dev/null
  cat >"$work/pub/channel.toml" <<EOF
channel = "trucking"
title = "Update test"
[[hotline]]
region = "*"
name = "National Human Trafficking Hotline"
call = "1-888-373-7888"
[[item]]
id = "signs"
type = "slide"
title = "Signs to watch for"
bullets = ["Someone who is not free to leave"]
duration = 10
EOF
  "$pack" build "$work/pub/channel.toml" --secret-key "$work/pub/key.sec" --out "$work/site" \
    --sequence "$((++sequence))" --system-bundle "$1" >/dev/null || { fail "milepost-pack build --system-bundle $1"; return 1; }
  if [[ -z $server ]]; then
    set -m
    INGEST=$work/ingest "$here/scripts/serve" "$work/site" "$port" >"$work/serve.log" 2>&1 &
    server=$!
    set +m
    for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/channels/trucking/manifest.json" >/dev/null && break; sleep 0.2; done
  fi
}

# A card set up for the site: polls every minute, reboots for updates in a window
# around now (the guest's clock is the host's, UTC).
make_card() { # make_card FILE
  cp --sparse=always "$image" "$1"
  truncate -s +2G "$1" # a card is larger than the image: room for the bundle
  local from to
  from=$(date -u -d '-2 hours' +%H:00) to=$(date -u -d '+3 hours' +%H:00)
  cat >"$work/site.toml" <<EOF
[device]
id = "update-test"
region = "US-TX"
timezone = "UTC"
[content]
server = "http://10.0.2.2:$port/"
channel = "trucking"
public_key = "$(tail -1 "$work/pub/key.pub")"
poll_interval = "1m"
[update]
window = "$from-$to"
EOF
  mcopy -o -i "$1@@$(($(part_start "$1" 1) * 512))" "$work/site.toml" ::milepost.toml
}

autoboot() { mtype -i "$1@@$(($(part_start "$1" 1) * 512))" ::autoboot.txt | tr '\n' ' '; }

boot() { # boot NAME DISK [boot-test options]...
  local name=$1 disk=$2
  shift 2
  "$here/images/boot-test" "$disk" --in-place --log "$out/update-$name.log" "$@"
}

scenario_good() {
  make_bundle "$new" || return
  local bundle=$work/bundle-$new/update.raucb
  publish "$bundle" || return
  echo "images_update_boot: figure: bundle size $(stat -c %s "$bundle") bytes ($(du -h --apparent-size "$bundle" | cut -f1))"
  make_card "$work/good.img"
  boot good-1 "$work/good.img" --timeout 3600 --until 'reboot: Restarting system'
  grep -q -a "Restarting system with command '0 tryboot'" "$out/update-good-1.log" ||
    { fail "good: the first boot did not install and reboot with tryboot ($out/update-good-1.log)"; return; }
  grep -q -a 'milepost-player\[[0-9]*\]: channel "' "$out/update-good-1.log" || fail "good: the player did not play while the update installed"
  grep -a -q "rebooting into it (window" "$out/update-good-1.log" || fail "good: sync did not ask for the reboot in the window"
  # What sync fetched: the bundle once (the manifest beside it is some kB).
  echo "images_update_boot: figure: downloaded for the update: $(grep -a -m1 -o 'system [^ ]*: fetching the bundle, [0-9]* MB' "$out/update-good-1.log") (the bundle is $(stat -c %s "$bundle") bytes)"
  local t0 t1
  t0=$(grep -a -m1 'installing into the other slot' "$out/update-good-1.log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
  t1=$(grep -a -m1 -E 'rauc\[[0-9]+\]: installing .* succeeded' "$out/update-good-1.log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
  echo "images_update_boot: figure: install under emulation from ${t0:-?} s to ${t1:-?} s of the boot"
  echo "images_update_boot: autoboot.txt after the install: $(autoboot "$work/good.img")"
  boot good-2 "$work/good.img" --tryboot --timeout 1800 --until "milepost-commit: system $(re "$new") committed" ||
    { fail "good: the tried system was not committed ($out/update-good-2.log)"; return; }
  grep -q -a 'the firmware boots partition 3 (tryboot' "$out/update-good-2.log" || fail "good: the tried boot was not partition 3"
  echo "images_update_boot: autoboot.txt after the commit: $(autoboot "$work/good.img")"
  [[ $(autoboot "$work/good.img") == *"boot_partition=3 [tryboot] boot_partition=3"* ]] || fail "good: autoboot.txt does not commit slot 3"
  boot good-3 "$work/good.img" --timeout 1800 --expect "system $(re "$new") committed" ||
    fail "good: the next boot does not run $new, committed ($out/update-good-3.log)"
  grep -q -a 'the firmware boots partition 3 (normal' "$out/update-good-3.log" || fail "good: the next boot was not partition 3"
}

scenario_no_frames() {
  local broken=$version+u2
  make_bundle "$broken" no-frames || return
  publish "$work/bundle-$broken/update.raucb" || return
  make_card "$work/bad.img"
  boot bad-1 "$work/bad.img" --timeout 3600 --until 'reboot: Restarting system'
  grep -q -a "Restarting system with command '0 tryboot'" "$out/update-bad-1.log" ||
    { fail "no-frames: the first boot did not install and reboot with tryboot ($out/update-bad-1.log)"; return; }
  boot bad-2 "$work/bad.img" --tryboot --timeout 1800 --until 'reboot: Restarting system'
  grep -q -a -E "milepost-commit: system $(re "$broken") rolled back" "$out/update-bad-2.log" ||
    { fail "no-frames: the tried system was not rolled back ($out/update-bad-2.log)"; return; }
  boot bad-3 "$work/bad.img" --timeout 1800 --expect "system $(re "$broken") rolled back" ||
    fail "no-frames: the old system did not come back saying so ($out/update-bad-3.log)"
  grep -q -a 'the firmware boots partition 2 (normal' "$out/update-bad-3.log" || fail "no-frames: the next boot was not the old slot's"
}

scenario_cuts() {
  local cuts=${CUTS:-10} i at mode log
  make_bundle "$new" || return
  publish "$work/bundle-$new/update.raucb" || return
  for ((i = 1; i <= cuts; i++)); do
    make_card "$work/cut.img"
    # Odd cuts while the first boot fetches (from about 60 s under qemu) and
    # installs (about 100 to 270 s; then it reboots), even ones during the tried
    # boot (committed at about 120 s).
    if ((i % 2)); then
      at=${CUT_AT:-$((60 + RANDOM % 210))}
      boot "cut-$i-a" "$work/cut.img" --timeout 3600 --power-cut "$at" >/dev/null
      # Cut after the reboot it asked for: the firmware still tries the new slot.
      if grep -q -a "Restarting system with command '0 tryboot'" "$out/update-cut-$i-a.log"; then
        boot "cut-$i-b" "$work/cut.img" --tryboot --timeout 1800 --until 'milepost-commit: system .* (committed|rolled back)' >/dev/null
      fi
      mode="install, $at s after power-on"
      grep -q -a "Restarting system with command '0 tryboot'" "$out/update-cut-$i-a.log" &&
        mode="$at s after power-on: after the install and its reboot, so none"
    else
      boot "cut-$i-a" "$work/cut.img" --timeout 3600 --until 'reboot: Restarting system' >/dev/null
      at=${CUT_AT:-$((30 + RANDOM % 180))}
      boot "cut-$i-b" "$work/cut.img" --tryboot --timeout 1800 --power-cut "$at" >/dev/null
      mode="commit, $at s into the tried boot"
    fi
    log=$out/update-cut-$i-c.log
    # A cut during the install: sync takes the update up again (or reports how it
    # ended). During the trial: the new system was kept, or the old one says it
    # came back ("did not start": the firmware went back to it).
    local expect=(--expect "milepost-sync\[[0-9]+\]: system $(re "$new")[ :(]")
    ((i % 2)) || expect=(--expect "milepost-sync\[[0-9]+\]: system $(re "$new") (committed|rolled back|did not start)")
    if boot "cut-$i-c" "$work/cut.img" --timeout 1800 "${expect[@]}" >/dev/null &&
      ! grep -a -q -E 'milepost-data: .*(making it again|read-only)|a new log started' "$out"/update-cut-$i-*.log; then
      echo "images_update_boot: cut $i ($mode): plays again, on partition $(sed -n 's/.*the firmware boots partition \([0-9]\).*/\1/p' "$log" | head -1) (sync: "$(grep -a -o -m1 -E "milepost-sync\[[0-9]+\]: system $(re "$new")[^\r]{0,50}" "$log" | cut -d' ' -f2-)..."); data partition and play log whole"
    else
      fail "cut $i ($mode): the card did not come back playing with its data and play log ($log)"
    fi
  done
}

scenario_refused() {
  # Signed by a key the screen's keyring does not hold.
  local other=$version+u3 tampered=$version+u4 object
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/other.key.pem" -out "$work/other.cert.pem" \
    -days 30 -subj "/O=Not the fleet/CN=someone else" 2>/dev/null || { fail "refused: openssl req"; return; }
  make_bundle "$other" "" "$work/other.key.pem" "$work/other.cert.pem" || return
  publish "$work/bundle-$other/update.raucb" || return
  make_card "$work/refused.img"
  local before
  before=$(autoboot "$work/refused.img")
  boot refused-1 "$work/refused.img" --timeout 1800 --until "system $(re "$other"): its RAUC signature does not hold" ||
    { fail "refused: a bundle signed by another key was not refused ($out/update-refused-1.log)"; return; }
  # Signed by the fleet's key, then changed on the server: the manifest's SHA-256 no longer holds.
  make_bundle "$tampered" || return
  publish "$work/bundle-$tampered/update.raucb" || return
  object=$(sha256sum "$work/bundle-$tampered/update.raucb" | cut -d' ' -f1)
  [[ -f $work/site/objects/$object ]] || { fail "refused: the site has no object $object"; return; }
  printf 'X' | dd of="$work/site/objects/$object" bs=1 seek=$((4096 * 1000)) conv=notrunc status=none
  boot refused-2 "$work/refused.img" --timeout 1800 --until "system $(re "$tampered"): the bundle's SHA-256 does not match" ||
    { fail "refused: a bundle changed on the server was not refused ($out/update-refused-2.log)"; return; }
  local log
  for log in "$out"/update-refused-{1,2}.log; do
    ! grep -a -q -E 'installing into the other slot|rauc\[[0-9]+\]: installing' "$log" || fail "refused: something was installed ($log)"
    grep -a -q 'milepost-player\[[0-9]*\]: channel "' "$log" || fail "refused: the player did not play ($log)"
    grep -a -q 'the firmware boots partition 2 (normal' "$log" || fail "refused: the card did not boot its own slot ($log)"
  done
  [[ $(autoboot "$work/refused.img") == "$before" ]] || fail "refused: autoboot.txt changed: $(autoboot "$work/refused.img")"
  echo "images_update_boot: refused: another key's bundle and a tampered one; autoboot.txt unchanged ($before)"
}

for s in "${scenarios[@]}"; do
  echo "images_update_boot: $s"
  "scenario_${s//-/_}"
done
exit $failed
