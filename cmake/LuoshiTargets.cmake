# luoshi_test(NAME SOURCES... [LIBS ...]): a GoogleTest binary registered with CTest.
function(luoshi_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT LUOSHI_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "LUOSHI_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
