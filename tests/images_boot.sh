#!/usr/bin/env bash
# Boots a built SD image under qemu four ways (images/boot-test), as the cards in
# the field will meet it:
#   1. as flashed: first boot grows the data partition and the player draws (qemu's
#      screen, dumped through its monitor, is read by OCR: the hotline is on it);
#   2. provisioned by milepost-provision write (site config, hostname, Wi-Fi,
#      SSH key): first boot imports each and starts SSH;
#   3. its data partition's first 4 MiB wiped: repaired from a backup superblock;
#   4. its data partition wiped whole: re-created, and the player still starts.
#
#   tests/images_boot.sh IMAGE PROVISION_BINARY
#
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

boot() {
  local name=$1
  shift
  echo "images_boot: $name"
  if ! "$here/images/boot-test" "$@" --timeout 600 --log "$logs/boot-$name.log"; then
    echo "images_boot: FAILED: $name (console in $logs/boot-$name.log)" >&2
    failed=1
  fi
}

boot plain "$image" --expect 'milepost-data: grown to the end of the card' \
  --screenshot "$logs/boot-plain.png"
if [[ -f $logs/boot-plain.png ]] &&
  tesseract "$logs/boot-plain.png" - 2>/dev/null | tr -s ' \n' ' ' | grep -q '1-888-373-7888'; then
  echo "images_boot: the hotline is on qemu's screen ($logs/boot-plain.png)"
else
  echo "images_boot: FAILED: no hotline read on qemu's screen ($logs/boot-plain.png)" >&2
  failed=1
fi

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

boot superblock "$image" --corrupt-data superblock \
  --expect 'repaired from its backup superblock'
boot wiped "$image" --corrupt-data all \
  --expect 'no file system left .*making it again'

exit $failed
