# For ctest's TEST_INCLUDE_FILES: the cases of the integration_tests program at
# ${INTEGRATION_TESTS}, listed as ctest starts, each added as a test of its own.
#   add_listed_cases(PREFIX "integration gles2: " ENV NAME=value LABEL gles2
#                    [LIST_ARGS doctest-filters...] [PROPERTIES name value...])
# Each runs `env NAME=value INTEGRATION_TESTS --test-case=CASE` in ${WORKING_DIR}.
# When the program cannot list its cases, one failing test says so.
function(add_listed_cases)
  cmake_parse_arguments(ARG "" "PREFIX;ENV;LABEL" "LIST_ARGS;PROPERTIES" ${ARGN})
  execute_process(COMMAND "${INTEGRATION_TESTS}" --list-test-cases ${ARG_LIST_ARGS}
    OUTPUT_VARIABLE listed RESULT_VARIABLE listed_status)
  if(NOT listed_status EQUAL 0)
    add_test("${ARG_PREFIX}integration_tests lists its tests" "${INTEGRATION_TESTS}"
      --list-test-cases)
    set_tests_properties("${ARG_PREFIX}integration_tests lists its tests"
      PROPERTIES LABELS ${ARG_LABEL})
    return()
  endif()
  string(REPLACE "\n" ";" listed "${listed}")
  foreach(name IN LISTS listed)
    if(name STREQUAL "" OR name MATCHES "^\\[doctest\\]" OR name MATCHES "^=+$")
      continue()
    endif()
    # doctest reads a comma in --test-case as a separator unless escaped.
    string(REPLACE "," "\\," filter "${name}")
    add_test("${ARG_PREFIX}${name}" env "${ARG_ENV}" "${INTEGRATION_TESTS}"
      "--test-case=${filter}")
    set_tests_properties("${ARG_PREFIX}${name}" PROPERTIES LABELS ${ARG_LABEL}
      WORKING_DIRECTORY "${WORKING_DIR}" ${ARG_PROPERTIES})
  endforeach()
endfunction()
