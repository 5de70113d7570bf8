# luoshi_test(NAME SOURCES... [LIBS ...]): a GoogleTest binary registered with CTest.
# Tests write their scratch files under ${LUOSHI_TEST_TMPDIR} (GoogleTest's TempDir() reads TEST_TMPDIR):
# one directory per build tree, so two build trees running the same tests at once never share a file.
# (gtest_discover_tests passes only the first entry of a list-valued ENVIRONMENT on to CTest, so this is
# the one variable set there; tests find the source tree as their working directory.)
set(LUOSHI_TEST_TMPDIR "${PROJECT_BINARY_DIR}/test-tmp")
file(MAKE_DIRECTORY "${LUOSHI_TEST_TMPDIR}")
# In a -DLUOSHI_TSAN=ON build every test binary also gets tests/common/tsan_absl.cc, which makes Debian's
# uninstrumented absl::Mutex visible to ThreadSanitizer (see that file).
if(LUOSHI_TSAN AND LUOSHI_BUILD_TESTS)
  add_library(luoshi_tsan_absl OBJECT ${PROJECT_SOURCE_DIR}/tests/common/tsan_absl.cc)
  target_link_libraries(luoshi_tsan_absl PUBLIC absl::synchronization absl::time ${CMAKE_DL_LIBS})
endif()
function(luoshi_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT LUOSHI_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  if(LUOSHI_TSAN)
    target_link_libraries(${name} PRIVATE luoshi_tsan_absl)
  endif()
  gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "TEST_TMPDIR=${LUOSHI_TEST_TMPDIR}")
endfunction()

# luoshi_fuzz_target(NAME SOURCE LIBRARY): a libFuzzer program NAME from SOURCE (which defines
# LLVMFuzzerTestOneInput) over LIBRARY; LIBRARY gets libFuzzer's coverage instrumentation so mutations
# are guided into it. Only in the clang build of scripts/fuzz.sh (-DLUOSHI_FUZZ=ON).
function(luoshi_fuzz_target name source library)
  target_compile_options(${library} PRIVATE -fsanitize=fuzzer-no-link ${luoshi_fuzz_sanitizers})
  add_executable(${name} ${source})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer ${luoshi_fuzz_sanitizers})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer ${luoshi_fuzz_sanitizers})
  target_compile_definitions(${name} PRIVATE LUOSHI_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ${library})
endfunction()
