# Included by ctest in the sanitizer tree (its TEST_INCLUDE_FILES, written by
# tests/CMakeLists.txt): each case of the main tree's integration_tests as
# "integration:NAME", run with MILEPOST_TEST_TREE set to this tree, so that it
# starts this tree's programs, built with the sanitizers.
include("${CMAKE_CURRENT_LIST_DIR}/../support/listed-cases.cmake")
add_listed_cases(PREFIX "integration:" ENV "MILEPOST_TEST_TREE=${TEST_TREE}" LABEL integration)
