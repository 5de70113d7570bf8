# luoshi_test(NAME SOURCES... [LIBS ...]): a GoogleTest binary registered with CTest.
# Tests write their scratch files under ${LUOSHI_TEST_TMPDIR} (GoogleTest's TempDir() reads TEST_TMPDIR):
# one directory per build tree, so two build trees running the same tests at once never share a file.
# (gtest_discover_tests passes only the first entry of a list-valued ENVIRONMENT on to CTest, so this is
# the one variable set there; tests find the source tree as their working directory.)
set(LUOSHI_TEST_TMPDIR "${PROJECT_BINARY_DIR}/test-tmp")
file(MAKE_DIRECTORY "${LUOSHI_TEST_TMPDIR}")
function(luoshi_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT LUOSHI_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "TEST_TMPDIR=${LUOSHI_TEST_TMPDIR}")
endfunction()
