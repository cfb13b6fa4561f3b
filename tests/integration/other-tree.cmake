# Included by ctest in the sanitizer tree (its TEST_INCLUDE_FILES, written by
# tests/CMakeLists.txt): each case of the main tree's integration_tests as
# "integration:NAME", run with MILEPOST_TEST_TREE set to this tree, so that it
# starts this tree's programs, built with the sanitizers.
execute_process(COMMAND "${INTEGRATION_TESTS}" --list-test-cases
  OUTPUT_VARIABLE listed RESULT_VARIABLE listed_status)
if(NOT listed_status EQUAL 0)
  add_test("integration: the main tree's integration_tests lists its tests" "${INTEGRATION_TESTS}"
    --list-test-cases)
  set_tests_properties("integration: the main tree's integration_tests lists its tests"
    PROPERTIES LABELS integration)
  return()
endif()
string(REPLACE "\n" ";" listed "${listed}")
foreach(name IN LISTS listed)
  if(name STREQUAL "" OR name MATCHES "^\\[doctest\\]" OR name MATCHES "^=+$")
    continue()
  endif()
  # doctest reads a comma in --test-case as a separator unless escaped.
  string(REPLACE "," "\\," filter "${name}")
  add_test("integration:${name}" env "MILEPOST_TEST_TREE=${TEST_TREE}" "${INTEGRATION_TESTS}"
    "--test-case=${filter}")
  set_tests_properties("integration:${name}"
    PROPERTIES LABELS integration WORKING_DIRECTORY "${WORKING_DIR}")
endforeach()
