# Shared by the shell tests (sourced): counted checks, and the firmware's
# device-tree numbers. The sourcing script sets passes=0 fails=0.

expect() { # expect NAME WANTED GOT
  if [[ $3 == "$2" ]]; then
    passes=$((passes + 1))
  else
    echo "FAIL: $1: wanted \"$2\", got \"$3\""
    fails=$((fails + 1))
  fi
}

contains() { # contains NAME NEEDLE HAYSTACK
  if [[ $3 == *"$2"* ]]; then
    passes=$((passes + 1))
  else
    echo "FAIL: $1: \"$2\" not in: $3"
    fails=$((fails + 1))
  fi
}

# A 32-bit big-endian number, as the Raspberry Pi firmware leaves them in the
# device tree (/chosen/bootloader/partition, tryboot).
dt_number() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' 0 0 0 "$1")"; }
