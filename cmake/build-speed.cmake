# Compile time: ./scripts/test builds the tree twice (build/ and build/sanitize) on a
# clean clone of a 2-core CI machine. Included by the top-level CMakeLists.txt after
# the compile options. Nothing here changes what the programs do.
#
# Not here: precompiled headers. With GCC 12, a header of the standard library
# compiled ahead loses its "system header" mark, and -Werror then stops on a known
# false -Warray-bounds in std::string (player/core/TomlReader.cpp's substr + "...").

# lld links in a fraction of the time of GNU ld (Debian: lld).
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld MILEPOST_HAVE_LLD)
if(MILEPOST_HAVE_LLD)
  add_link_options(-fuse-ld=lld)
endif()

# The sanitizer tree's unity batches: 16 files (CMake's default is 8), so that the
# larger libraries (core, render, app) parse their shared headers once, not twice.
# Not in build/: at -O2 the larger batches cost more than they save (a clean-clone
# build took 280 CPU seconds instead of 259). The two large test programs keep
# smaller batches (tests/CMakeLists.txt) so that both cores have work until the end.
if(MILEPOST_SANITIZE)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE 16)
endif()
