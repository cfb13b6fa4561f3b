# milepost_usage(TARGET NAME TEXT SUMMARY SEE_ALSO): TEXT (a path from the current
# source folder, NAME.txt) is the program's usage, the one source of two things:
#  - its --help: ${CMAKE_BINARY_DIR}/generated/milepost/usage/NAME.hpp defines
#    milepost::usage::NAME_with_underscores, included by the program;
#  - its man page, NAME.1.gz in ${CMAKE_BINARY_DIR}/man, made at build time by
#    cmake/manpage.cmake and installed into share/man/man1.
function(milepost_usage target name text_file summary see_also)
  set(txt ${CMAKE_CURRENT_SOURCE_DIR}/${text_file})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${txt})
  file(READ ${txt} text)
  if(text MATCHES "\\)MILEPOST_USAGE")
    message(FATAL_ERROR "${txt}: the text may not hold \")MILEPOST_USAGE\"")
  endif()
  string(REPLACE "-" "_" var ${name})
  set(header ${CMAKE_BINARY_DIR}/generated/milepost/usage/${name}.hpp)
  set(content "#pragma once
// Made by cmake/usage.cmake from ${name}.txt: the --help text (and the man page's source).
namespace milepost::usage {
inline constexpr const char ${var}[] = R\"MILEPOST_USAGE(${text})MILEPOST_USAGE\";
} // namespace milepost::usage
")
  set(old "")
  if(EXISTS ${header})
    file(READ ${header} old)
  endif()
  if(NOT old STREQUAL content)
    file(WRITE ${header} "${content}")
  endif()
  target_include_directories(${target} PRIVATE ${CMAKE_BINARY_DIR}/generated)

  set(page ${CMAKE_BINARY_DIR}/man/${name}.1)
  add_custom_command(OUTPUT ${page}.gz
    COMMAND ${CMAKE_COMMAND} -DIN=${txt} -DOUT=${page} -DNAME=${name} "-DSUMMARY=${summary}"
            -DVERSION=${PROJECT_VERSION} "-DSEE_ALSO=${see_also}"
            -P ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
    COMMAND gzip -9nf ${page}
    DEPENDS ${txt} ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
    COMMENT "Making the man page of ${name}" VERBATIM)
  add_custom_target(${name}_manpage ALL DEPENDS ${page}.gz)
  install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()
