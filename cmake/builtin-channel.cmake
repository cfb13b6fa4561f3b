# A built-in channel's source (content/builtin/NAME.toml) with the hotlines every
# built-in channel shares (content/builtin/hotlines.toml) put before its first item,
# written to OUT (share/milepost/NAME/channel.toml in the build tree and once
# installed). cmake -DCHANNEL=... -DHOTLINES=... -DOUT=... -P builtin-channel.cmake
file(READ "${CHANNEL}" source)
file(READ "${HOTLINES}" hotlines)
string(FIND "${source}" "\n[[item]]" first)
if(first LESS 0)
  message(FATAL_ERROR "${CHANNEL}: no [[item]]")
endif()
string(SUBSTRING "${source}" 0 ${first} head)
string(SUBSTRING "${source}" ${first} -1 tail)
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${OUT}.tmp" "${head}\n${hotlines}${tail}")
file(RENAME "${OUT}.tmp" "${OUT}")
