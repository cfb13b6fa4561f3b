#!/usr/bin/env bash
# The Wi-Fi passphrase from milepost-provision write to NetworkManager and off the
# card: a card image gets a network whose name and passphrase hold \ ; # spaces
# (leading and trailing) and UTF-8. Its boot partition's files, as the Pi's fstab
# presents them (fmask=0077, dmask=0022: files root's alone), go on a loop-mounted
# file system in a stand-in root, where milepost-boot-config and the first-boot
# script run. Then: the service users (nobody here) read milepost.toml and nothing
# else there; NetworkManager's own keyfile parser (libnm) reads back the exact
# name and passphrase; the passphrase is gone from every byte of that file system
# (overwritten, not just unlinked); milepost-provision read, given the card's
# file as first boot left it, says it was imported.
# (This container's kernel has no vfat, so the boot files sit on ext4 here; the
# qemu boot, tests/images_boot.sh, runs the same scripts on the real FAT.)
#   tests/images_firstboot_wifi.sh PATH/TO/milepost-provision
# Needs root (loop device, mount), nmcli, python3-gi with NM 1.0 (./scripts/deps).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
provision=${1:?usage: $0 PATH/TO/milepost-provision}
if ((EUID != 0)); then
  echo "FAIL: needs root (a loop device and mounts)"
  exit 1
fi
for tool in losetup mount mkfs.ext4 sfdisk mformat mcopy nmcli setpriv shred ssh-keygen systemd-machine-id-setup; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (./scripts/deps)"; exit 1; }
done
if ! /usr/bin/python3 -c 'import gi; gi.require_version("NM", "1.0")' 2>/dev/null; then
  echo "FAIL: python3-gi and gir1.2-nm-1.0 are missing (./scripts/deps)"
  exit 1
fi
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
chmod 0755 "$tmp" # nobody must reach the boot partition's mount point
r=$tmp/root boot=$tmp/root/boot/firmware dev=""
cleanup() {
  mountpoint -q "$boot/milepost.toml" && umount "$boot/milepost.toml"
  mountpoint -q "$boot" && umount "$boot"
  [[ -n $dev ]] && losetup -d "$dev"
  rm -rf "$tmp"
}
trap cleanup EXIT
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

ssid=$' Gare du Nord; café \\ #2 '
psk=$'  pa\\ss;wörd #1 \\s "q" =x  '
printf '%s\n' "$psk" >"$tmp/psk"
chmod 0600 "$tmp/psk"

# A card: a FAT boot partition at 4 MiB, as milepost-provision finds it.
img=$tmp/card.img
truncate -s 64M "$img"
printf 'label: dos\nstart=8192, size=65536, type=c\nstart=73728, type=83\n' | sfdisk -q "$img" || exit 1
MTOOLS_SKIP_CHECK=1 mformat -i "$img@@$((8192 * 512))" -F -v MILEPOST :: || exit 1
"$provision" config --id screen-7 --site "Bus bay 7" --region US-TX >"$tmp/milepost.toml" || exit 1
out=$("$provision" write "$img" --config "$tmp/milepost.toml" --hostname bus-bay-7 \
  --wifi-ssid "$ssid" --wifi-psk-file "$tmp/psk" 2>&1)
[[ $? == 0 ]] && ok || bad "provision write: $out"
[[ $out != *"$psk"* ]] && ok || bad "provision write printed the passphrase"
[[ $(grep -c -a -F -e "psk=$psk" "$img") == 1 ]] && ok || bad "the passphrase is not on the card as first boot reads it"
out=$("$provision" read "$img" 2>&1 >/dev/null)
[[ $out == *"Wi-Fi network \"$ssid\" (passphrase set: first boot imports it)"* ]] && ok ||
  bad "provision read before first boot: $out"

# The boot partition's files as the image's fstab presents them: fmask=0077 (each
# file 0600, root's), dmask=0022.
opts=$(awk '$1 == "LABEL=MILEPOST" && $2 == "/boot/firmware" { print $4 }' images/build)
[[ ,$opts, == *,fmask=0077,* && ,$opts, == *,dmask=0022,* ]] && ok ||
  bad "the image's fstab mounts the boot partition without fmask=0077,dmask=0022: $opts"
mkdir -p "$r/etc/ssh" "$r/etc/NetworkManager/system-connections" "$r/root" "$boot" "$tmp/bootfiles"
: >"$r/etc/machine-id"
MTOOLS_SKIP_CHECK=1 mcopy -s -i "$img@@$((8192 * 512))" '::*' "$tmp/bootfiles/" || exit 1
chmod 0600 "$tmp/bootfiles"/*
mkfs.ext4 -q -F -d "$tmp/bootfiles" "$tmp/boot.img" 16M >/dev/null || exit 1
rm -rf "$tmp/bootfiles"
[[ $(grep -c -a -F -e "psk=$psk" "$tmp/boot.img") == 1 ]] || bad "the passphrase is not on the boot file system"
dev=$(losetup -f --show "$tmp/boot.img") || exit 1
mount -o noatime "$dev" "$boot" || exit 1
chmod 0755 "$boot"
as_nobody cat "$boot/milepost-wifi.txt" >/dev/null 2>&1 && bad "a service user can read the Wi-Fi file" || ok
as_nobody cat "$boot/milepost.toml" >/dev/null 2>&1 && bad "milepost.toml readable before boot-config" || ok

# Every boot: milepost.toml readable by the services, the rest not.
out=$(MILEPOST_BOOT="$boot" MILEPOST_BOOT_COPY="$tmp/run/milepost-boot/milepost.toml" \
  sh images/files/milepost-boot-config 2>&1)
[[ $? == 0 ]] && ok || bad "boot-config: $out"
[[ $(as_nobody cat "$boot/milepost.toml" 2>&1) == "$(cat "$tmp/milepost.toml")" ]] && ok ||
  bad "a service user cannot read milepost.toml after boot-config"
as_nobody cat "$boot/milepost-wifi.txt" >/dev/null 2>&1 && bad "boot-config opened the Wi-Fi file" || ok

# First boot.
out=$(MILEPOST_ROOT="$r" sh images/files/milepost-firstboot-system 2>&1)
[[ $? == 0 ]] && ok || bad "first boot: exit $?: $out"
[[ $out == *"Wi-Fi network \"$ssid\" imported"*"passphrase removed from the boot partition"* ]] && ok ||
  bad "first boot did not report the import: $out"
[[ $out != *"$psk"* ]] && ok || bad "first boot printed the passphrase"
conn=$r/etc/NetworkManager/system-connections/milepost-wifi.nmconnection
[[ $(stat -c %a "$conn" 2>&1) == 600 ]] && ok || bad "the keyfile is not 0600: $(stat -c %a "$conn" 2>&1)"
# NetworkManager's own reader (libnm's nm_keyfile_read), as the daemon loads it.
got=$(/usr/bin/python3 - "$conn" <<'EOF' 2>&1
import sys, gi
gi.require_version("NM", "1.0")
from gi.repository import NM, GLib
kf = GLib.KeyFile()
kf.load_from_file(sys.argv[1], GLib.KeyFileFlags.NONE)
c = NM.keyfile_read(kf, "/etc/NetworkManager/system-connections", NM.KeyfileHandlerFlags.NONE, None, None)
c.verify()
w, s = c.get_setting_wireless(), c.get_setting_wireless_security()
sys.stdout.buffer.write(b"ssid=[" + w.get_ssid().get_data() + b"]\n")
sys.stdout.buffer.write(b"psk=[" + s.get_psk().encode() + b"]\n")
sys.stdout.buffer.write(("key-mgmt=" + s.get_key_mgmt() + " id=" + c.get_id() + "\n").encode())
EOF
)
[[ $got == *"ssid=[$ssid]"* ]] && ok || bad "NetworkManager reads another SSID: $got"
[[ $got == *"psk=[$psk]"* ]] && ok || bad "NetworkManager reads another passphrase: $got"
[[ $got == *"key-mgmt=wpa-psk id=milepost-wifi"* ]] && ok || bad "not a WPA-PSK connection: $got"
note=$(cat "$boot/milepost-wifi.txt")
[[ $note != *psk=* && $note == *"ssid=$ssid"*"imported=yes"* ]] && ok || bad "the note left on the card: $note"
[[ $(cat "$r/etc/hostname") == bus-bay-7 && -s $r/etc/machine-id && -s $r/etc/ssh/ssh_host_ed25519_key ]] && ok ||
  bad "hostname, machine-id or host keys not made"
[[ -e $r/etc/milepost-firstboot-done ]] && ok || bad "first boot not marked done"

cp "$boot/milepost-wifi.txt" "$tmp/note.txt"
umount "$boot/milepost.toml" && umount "$boot" && losetup -d "$dev" && dev=""
# Not in any byte of the file system: overwritten, not just unlinked.
[[ $(grep -c -a -F -e "$psk" "$tmp/boot.img") == 0 ]] && ok || bad "the passphrase is still in the boot file system's bytes"
[[ $(grep -c -a -F -e "imported=yes" "$tmp/boot.img") == 1 ]] && ok || bad "the note is not in the boot file system's bytes"
# The card as first boot left it, as the office reads it back.
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$img@@$((8192 * 512))" "$tmp/note.txt" ::milepost-wifi.txt || exit 1
out=$("$provision" read "$img" 2>&1 >/dev/null)
[[ $out == *"Wi-Fi network \"$ssid\" (imported by first boot; its passphrase is no longer on the card)"* ]] && ok ||
  bad "provision read after first boot: $out"
[[ $out != *"$psk"* ]] && ok || bad "provision read printed the passphrase"

# A passphrase NetworkManager would refuse, and a network name nmcli refuses (a
# hand-edited card): named, not imported, left on the card, first boot carries on.
for bad_one in $'ssid=Hall\npsk=short\n' $'ssid=Hall-0123456789012345678901234567890\npsk=longenough-secret\n'; do
  r2=$tmp/r2
  rm -rf "$r2"
  mkdir -p "$r2/etc/ssh" "$r2/etc/NetworkManager/system-connections" "$r2/boot/firmware"
  echo milepost >"$r2/etc/hostname"
  printf '%s' "$bad_one" >"$r2/boot/firmware/milepost-wifi.txt"
  out=$(MILEPOST_ROOT="$r2" sh images/files/milepost-firstboot-system 2>&1)
  rc=$?
  [[ $rc == 0 && $out == *"<3>milepost first boot: Wi-Fi network \"Hall"*"\" not imported: "* ]] && ok ||
    bad "a refused network: exit $rc: $out"
  [[ $out != *short* && $out != *longenough-secret* ]] && ok || bad "a refused passphrase was printed: $out"
  [[ ! -e $r2/etc/NetworkManager/system-connections/milepost-wifi.nmconnection &&
    ! -e $r2/etc/NetworkManager/system-connections/milepost-wifi.nmconnection.new ]] && ok ||
    bad "a refused network left a keyfile"
  [[ $(cat "$r2/boot/firmware/milepost-wifi.txt") == "${bad_one%$'\n'}" ]] && ok || bad "a refused network's file was changed"
  [[ -e $r2/etc/milepost-firstboot-done ]] && ok || bad "first boot stopped at a refused network"
done

echo "$passes passed, $fails failed"
((fails == 0))
