# Compile time: ./scripts/test builds the tree twice (build/ and build/sanitize) on a
# clean clone of a 2-core CI machine, so what every file pays again matters.
# Included by the top-level CMakeLists.txt after the compile options, before the
# targets. Nothing here changes what the programs do.

# Precompiled headers: the standard library and nlohmann/json were parsed again by
# every one of the ~75 files. One header is compiled once per tree and reused by
# every target (REUSE_FROM: the targets share their flags, set above); the tests
# get a second one with doctest and SDL. MILEPOST_PCH=OFF builds without them, to
# check that each file includes what it uses.
option(MILEPOST_PCH "Precompiled headers (faster builds)" ON)

set(MILEPOST_PCH_HEADERS
  <algorithm> <array> <atomic> <chrono> <cstdint> <cstdio> <cstdlib> <cstring>
  <filesystem> <fstream> <functional> <map> <memory> <mutex> <optional> <set>
  <sstream> <string> <string_view> <thread> <utility> <variant> <vector>
  <nlohmann/json.hpp>)

# Gives every C++ program and library under DIR the shared precompiled header (the
# tests' one under tests/). Called at the end of the top-level CMakeLists.txt, so
# that targets added later get it without a line of their own. A target whose flags
# differ still builds: GCC then ignores the .gch and reads the headers.
function(milepost_use_pch dir)
  if(NOT MILEPOST_PCH)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY)$"
       OR target MATCHES "^milepost_pch")
      continue()
    endif()
    get_target_property(sources ${target} SOURCES)
    list(FILTER sources INCLUDE REGEX "\\.cpp$")
    # A target with flags of its own (a fuzzer, say) cannot use a header compiled
    # with others: GCC would reject it, and -Winvalid-pch with -Werror fails the build.
    get_target_property(options ${target} COMPILE_OPTIONS)
    if(NOT sources OR NOT "${options}" STREQUAL "${MILEPOST_PCH_OPTIONS}")
      continue()
    endif()
    if(dir MATCHES "^${CMAKE_SOURCE_DIR}/tests" AND TARGET milepost_pch_tests)
      target_precompile_headers(${target} REUSE_FROM milepost_pch_tests)
      # doctest's main files define DOCTEST_CONFIG_IMPLEMENT* before including
      # doctest.h: with doctest already in, they would compile no runner.
      foreach(source IN LISTS sources)
        if(source MATCHES "(^|/)main\\.cpp$")
          cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY ${dir})
          set_source_files_properties(${source} DIRECTORY ${dir} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
        endif()
      endforeach()
    else()
      target_precompile_headers(${target} REUSE_FROM milepost_pch)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    milepost_use_pch(${subdir})
  endforeach()
endfunction()

if(MILEPOST_PCH)
  get_directory_property(MILEPOST_PCH_OPTIONS COMPILE_OPTIONS)
  set(pch_source ${CMAKE_BINARY_DIR}/generated/pch.cpp)
  if(NOT EXISTS ${pch_source})
    file(WRITE ${pch_source} "// The precompiled header's own (empty) file: see cmake/build-speed.cmake.\n")
  endif()
  add_library(milepost_pch OBJECT ${pch_source})
  target_link_libraries(milepost_pch PRIVATE nlohmann_json::nlohmann_json)
  target_precompile_headers(milepost_pch PRIVATE ${MILEPOST_PCH_HEADERS})
  if(MILEPOST_TESTS)
    find_package(doctest REQUIRED)
    add_library(milepost_pch_tests OBJECT ${pch_source})
    target_link_libraries(milepost_pch_tests PRIVATE nlohmann_json::nlohmann_json doctest::doctest
      PkgConfig::SDL2)
    target_precompile_headers(milepost_pch_tests PRIVATE ${MILEPOST_PCH_HEADERS}
      <doctest/doctest.h> <SDL.h>)
  endif()
endif()

# lld links in a fraction of the time of GNU ld (Debian: lld).
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld MILEPOST_HAVE_LLD)
if(MILEPOST_HAVE_LLD)
  add_link_options(-fuse-ld=lld)
endif()
