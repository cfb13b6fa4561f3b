# The demo channel (content/demo/README.md): the built-in channel's source with the
# captioned demo video's item put first (the demo starts its clock at a cycle's
# start, so it plays at once), and its caption files, in OUT. The video itself is
# made by FFmpeg in content/CMakeLists.txt.
file(READ "${BUILTIN}" builtin)
file(READ "${SOURCE}/demo/items.toml" extra)
string(FIND "${builtin}" "\n[[item]]" first)
if(first LESS 0)
  message(FATAL_ERROR "${BUILTIN}: no [[item]]")
endif()
string(SUBSTRING "${builtin}" 0 ${first} head)
string(SUBSTRING "${builtin}" ${first} -1 tail)
file(MAKE_DIRECTORY "${OUT}/media")
file(WRITE "${OUT}/channel.toml.tmp" "${head}\n${extra}${tail}")
file(RENAME "${OUT}/channel.toml.tmp" "${OUT}/channel.toml")
foreach(lang en es fr)
  configure_file("${SOURCE}/demo/awareness-demo.${lang}.vtt"
    "${OUT}/media/awareness-demo.${lang}.vtt" COPYONLY)
endforeach()
