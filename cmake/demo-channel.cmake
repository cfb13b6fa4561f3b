# The demo channel (content/demo/README.md): the built-in channel's source with the
# captioned demo video's item put first (the demo starts its clock at a cycle's
# start, so it plays at once), and its caption files, in DEMO. The video itself is
# made by FFmpeg in content/CMakeLists.txt.
set(CHANNEL "${BUILTIN}")
set(INSERT "${SOURCE}/demo/items.toml")
set(OUT "${DEMO}/channel.toml")
include("${CMAKE_CURRENT_LIST_DIR}/builtin-channel.cmake")
file(MAKE_DIRECTORY "${DEMO}/media")
foreach(lang en es fr)
  configure_file("${SOURCE}/demo/awareness-demo.${lang}.vtt"
    "${DEMO}/media/awareness-demo.${lang}.vtt" COPYONLY)
endforeach()
