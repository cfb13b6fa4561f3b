# A channel source (CHANNEL) with the text of INSERT put before its first item,
# written to OUT. Used for the built-in channels (content/builtin/NAME.toml with
# the hotlines they share, content/builtin/hotlines.toml, to
# share/milepost/NAME/channel.toml) and, included by demo-channel.cmake, for the
# demo channel (its video's item put first).
# cmake -DCHANNEL=... -DINSERT=... -DOUT=... -P builtin-channel.cmake
file(READ "${CHANNEL}" source)
file(READ "${INSERT}" inserted)
string(FIND "${source}" "\n[[item]]" first)
if(first LESS 0)
  message(FATAL_ERROR "${CHANNEL}: no [[item]]")
endif()
string(SUBSTRING "${source}" 0 ${first} head)
string(SUBSTRING "${source}" ${first} -1 tail)
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(WRITE "${OUT}.tmp" "${head}\n${inserted}${tail}")
file(RENAME "${OUT}.tmp" "${OUT}")
