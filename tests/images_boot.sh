#!/usr/bin/env bash
# Boots a built SD image under qemu five ways (images/boot-test), as the cards in
# the field will meet it:
#   1. as flashed: first boot grows the data partition and the player draws (qemu's
#      screen, dumped through its monitor, is read by OCR: the hotline is on it);
#   2. provisioned by milepost-provision write (site config, hostname, Wi-Fi,
#      SSH key): first boot imports each and starts SSH;
#   3. its data partition's first 4 MiB wiped: repaired from a backup superblock;
#   4. its data partition wiped whole: re-created, and the player still starts;
#   5. booted a second time: the splash the player kept in the first boot (the
#      hotline screen) is on qemu's screen, read by OCR, before the player starts.
#
#   tests/images_boot.sh IMAGE PROVISION_BINARY [SCENARIO]...
#
# SCENARIO: plain, provisioned, superblock, wiped, splash (default: all).
# Run by MILEPOST_IMAGE_TESTS=1 ./scripts/test after images/build. Logs go beside
# IMAGE (boot-*.log). Exit 1 when any boot fails.
set -euo pipefail
image=${1:?usage: tests/images_boot.sh IMAGE PROVISION_BINARY}
provision=${2:?usage: tests/images_boot.sh IMAGE PROVISION_BINARY}
here=$(cd "$(dirname "$0")/.." && pwd)
logs=$(dirname "$image")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
scenarios=("${@:3}")
((${#scenarios[@]})) || scenarios=(plain provisioned superblock wiped splash)
wanted() { [[ " ${scenarios[*]} " == *" $1 "* ]]; }

boot() {
  local name=$1
  shift
  echo "images_boot: $name"
  if ! "$here/images/boot-test" "$@" --timeout 600 --log "$logs/boot-$name.log"; then
    echo "images_boot: FAILED: $name (console in $logs/boot-$name.log)" >&2
    failed=1
  fi
}

if wanted plain; then
  boot plain "$image" --expect 'milepost-data: grown to the end of the card' \
    --screenshot "$logs/boot-plain.png"
  if [[ -f $logs/boot-plain.png ]] &&
    tesseract "$logs/boot-plain.png" - 2>/dev/null | tr -s ' \n' ' ' | grep -q '1-888-373-7888'; then
    echo "images_boot: the hotline is on qemu's screen ($logs/boot-plain.png)"
  else
    echo "images_boot: FAILED: no hotline read on qemu's screen ($logs/boot-plain.png)" >&2
    failed=1
  fi
fi

if wanted provisioned; then
  cp --sparse=always "$image" "$work/site.img"
  "$provision" config --id site-42 --site "Exit 42 Travel Center" --region US-TX \
    --timezone America/Chicago >"$work/site.toml"
  printf 'correct horse battery\n' >"$work/psk"
  ssh-keygen -q -t ed25519 -N '' -C installer@milepost -f "$work/key"
  "$provision" write "$work/site.img" --config "$work/site.toml" --hostname exit42-desk \
    --wifi-ssid "TC Guest" --wifi-psk-file "$work/psk" --ssh-key "$work/key.pub"
  boot provisioned "$work/site.img" \
    --expect 'milepost-player\[[0-9]+\]: channel "[^"]*": [0-9]+ items; device site-42, region US-TX' \
    --expect 'Wi-Fi network "TC Guest" imported' \
    --expect 'Wi-Fi passphrase removed from the boot partition' \
    --expect 'SSH enabled for the key installer@milepost' \
    --expect 'Started ssh.service' \
    --expect 'hostname exit42-desk'
  if grep -a -q 'correct horse battery' "$logs/boot-provisioned.log"; then
    echo "images_boot: FAILED: the Wi-Fi passphrase is on the console" >&2
    failed=1
  fi
fi

if wanted superblock; then
  boot superblock "$image" --corrupt-data superblock \
    --expect 'repaired from its backup superblock'
fi

if wanted wiped; then
  boot wiped "$image" --corrupt-data all \
    --expect 'no file system left .*making it again'
fi

# The splash: a first boot plays a while and writes it; the second shows it as soon
# as the data partition is mounted. qemu's screen is dumped every 2 s from power-on
# and read: the splash is the hotline screen (the hotline's number read by OCR, the
# top left corner yellow), the player's own screen has the number in its banner
# over a slide or video. The splash must come first. The screens are kept as PNG
# in boot-splash-screens/ beside IMAGE.
if wanted splash; then
  cp --sparse=always "$image" "$work/again.img"
  truncate -s +512M "$work/again.img"
  boot splash-first "$work/again.img" --in-place --until 'splash.png: written'
  boot splash-again "$work/again.img" --in-place --screens "$work/screens"
  shots=$logs/boot-splash-screens
  rm -rf "$shots"
  mkdir -p "$shots"
  splash_at= player_at=
  for ppm in "$work"/screens/screen-*.ppm; do
    [[ -s $ppm ]] || continue
    at=$((10#$(basename "$ppm" .ppm | sed 's/screen-//')))
    png=$shots/$(basename "$ppm" .ppm).png
    ffmpeg -loglevel error -y -i "$ppm" "$png" || continue
    tesseract "$png" - 2>/dev/null | tr -s ' \n' ' ' | grep -q '1-888-373-7888' || continue
    read -r r g b < <(ffmpeg -loglevel error -i "$ppm" -vf crop=1:1:10:10 -f rawvideo -pix_fmt rgb24 - | od -An -tu1)
    if ((r > 200 && g > 170 && b < 120)); then
      [[ -n $splash_at ]] || splash_at=$at
    else
      [[ -n $player_at ]] || player_at=$at
    fi
  done
  if [[ -n $splash_at ]] && { [[ -z $player_at ]] || ((splash_at < player_at)); }; then
    echo "images_boot: the splash (the hotline screen) is on qemu's screen $splash_at s after power-on, the player's own screen at ${player_at:-never} s ($shots)"
    grep -a -m 1 -E 'milepost-splash\[' "$logs/boot-splash-again.log" || true
    grep -a -m 1 -E 'Started milepost-player.service' "$logs/boot-splash-again.log" || true
  else
    echo "images_boot: FAILED: no splash on qemu's screen before the player's (splash at ${splash_at:-never} s, player at ${player_at:-never} s; $shots)" >&2
    failed=1
  fi
fi

exit $failed
