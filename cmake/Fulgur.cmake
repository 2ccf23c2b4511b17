# Build conventions shared by every folder: warnings, sanitizers, and the helpers that
# define libraries, tests, fuzzers and benchmarks the same way everywhere.

set(FULGUR_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND FULGUR_WARNINGS -Wswitch-enum -Wno-maybe-uninitialized)
endif()
if(FULGUR_WERROR)
  list(APPEND FULGUR_WARNINGS -Werror)
endif()

if(FULGUR_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(FULGUR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FULGUR_FUZZ needs clang: configure with CC=clang CXX=clang++ "
                        "(apt-get install clang libclang-rt-14-dev)")
  endif()
  # Everything is instrumented for coverage; only the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

set(FULGUR_VECTORS_DIR ${PROJECT_SOURCE_DIR}/tests/vectors)

# Add every direct child folder of `dir` that has a CMakeLists.txt, in name order.
function(fulgur_add_subdirectories dir)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}/${dir}
       ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*)
  list(SORT children)
  foreach(child ${children})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/${child}/CMakeLists.txt)
      add_subdirectory(${dir}/${child})
    endif()
  endforeach()
endfunction()

# fulgur_library(<name> SOURCES ... DEPS ...): the static library fulgur_<name> (alias
# fulgur::<name>), built from lib/<name>; headers are included as "<name>/<file>.h".
function(fulgur_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(fulgur_${name} STATIC ${ARG_SOURCES})
  add_library(fulgur::${name} ALIAS fulgur_${name})
  target_include_directories(fulgur_${name} PUBLIC ${PROJECT_SOURCE_DIR}/lib)
  target_compile_options(fulgur_${name} PRIVATE ${FULGUR_WARNINGS})
  target_link_libraries(fulgur_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# fulgur_executable(<name> SOURCES ... DEPS ...): a program (daemon, tool).
function(fulgur_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${FULGUR_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

include(GoogleTest)
# fulgur_test(<name> SOURCES ... DEPS ...): a GoogleTest (+ rapidcheck) executable whose
# tests are registered one by one with ctest. Tests find the vectors in FULGUR_VECTORS_DIR.
function(fulgur_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${FULGUR_WARNINGS})
  target_compile_definitions(${name} PRIVATE FULGUR_VECTORS_DIR="${FULGUR_VECTORS_DIR}"
                             FULGUR_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock
                        rapidcheck nlohmann_json::nlohmann_json)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT ${ARG_TIMEOUT})
endfunction()

# fulgur_fuzzer(<name> SOURCE <file> DEPS ...): a libFuzzer target. Under FULGUR_FUZZ it is
# a real fuzzer (bin: fuzz_<name>); otherwise it links a standalone driver and ctest runs it
# over its seed corpus (tests/fuzz/corpus/<name>) and a few thousand deterministic random
# inputs, so every build checks that the target still compiles and survives garbage.
function(fulgur_fuzzer name)
  cmake_parse_arguments(ARG "" "SOURCE" "DEPS" ${ARGN})
  add_executable(fuzz_${name} ${ARG_SOURCE})
  target_compile_options(fuzz_${name} PRIVATE ${FULGUR_WARNINGS})
  target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(FULGUR_FUZZ)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    set_property(GLOBAL APPEND PROPERTY FULGUR_FUZZERS fuzz_${name})
  else()
    target_link_libraries(fuzz_${name} PRIVATE fulgur_fuzz_driver)
    add_test(NAME fuzz_smoke.${name} COMMAND fuzz_${name} ${corpus})
    set_tests_properties(fuzz_smoke.${name} PROPERTIES TIMEOUT 300)
  endif()
endfunction()

# fulgur_benchmark(<name> SOURCES ... DEPS ...): a Google Benchmark program (bin: bench_<name>).
function(fulgur_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(bench_${name} ${ARG_SOURCES})
  target_compile_options(bench_${name} PRIVATE ${FULGUR_WARNINGS})
  target_link_libraries(bench_${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
  set_property(GLOBAL APPEND PROPERTY FULGUR_BENCHMARKS bench_${name})
endfunction()
