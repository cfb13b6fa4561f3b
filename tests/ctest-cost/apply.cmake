# Included by ctest (the directory's TEST_INCLUDE_FILES) after the tests are
# discovered: gives each test the COST, in seconds, that a clean-clone run measured
# (COST_FILE: main.txt or sanitize.txt here), so that `ctest -j` starts the longest
# first and none of them starts last and stretches the end. ctest's own
# Testing/Temporary/CTestCostData.txt cannot do it for these tests: it takes a
# test's name to be the first word of its line, and these names have spaces.
# Refresh the files from Testing/Temporary/CTestCostData.txt after a clean-clone run.
file(STRINGS "${COST_FILE}" cost_lines)
foreach(cost_line IN LISTS cost_lines)
  if(cost_line STREQUAL "---")
    break()
  endif()
  if(cost_line MATCHES "^(.+) [0-9]+ ([0-9]+\\.?[0-9]*)$")
    set(cost_name "${CMAKE_MATCH_1}")
    set(cost_seconds "${CMAKE_MATCH_2}")
    if(cost_seconds GREATER 1)
      set_tests_properties("${cost_name}" PROPERTIES COST "${cost_seconds}")
    endif()
  endif()
endforeach()
