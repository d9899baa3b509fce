# libFuzzer harness for the ELF module loader (tests/fuzz/elf_fuzz.cpp), built with clang++
# and -fsanitize=fuzzer,address,undefined independently of the host compiler, and the
# ctest fuzz.elf_module: a ~60 s run seeded with the real fixture objects.
# Included from the top-level CMakeLists.txt after tests/host/elf_fixtures.cmake.
if(NOT TARGET quartz_host_tests)
  return()
endif()
find_program(QUARTZ_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
if(NOT QUARTZ_CLANGXX)
  message(STATUS "clang++ not found: skipping the ELF loader fuzzer (fuzz.elf_module)")
  return()
endif()

set(QUARTZ_FUZZ_DIR ${CMAKE_BINARY_DIR}/fuzz)
set(QUARTZ_ELF_FUZZER ${QUARTZ_FUZZ_DIR}/elf_fuzz)
set(_fuzz_sources
  ${CMAKE_SOURCE_DIR}/tests/fuzz/elf_fuzz.cpp
  ${CMAKE_SOURCE_DIR}/kernel/lib/elf_module.cpp
  ${CMAKE_SOURCE_DIR}/kernel/lib/format.cpp
  ${CMAKE_SOURCE_DIR}/kernel/lib/ksyms.cpp
  ${CMAKE_SOURCE_DIR}/kernel/lib/kstring.cpp)
add_custom_command(OUTPUT ${QUARTZ_ELF_FUZZER}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${QUARTZ_FUZZ_DIR}/elf_corpus
  COMMAND ${QUARTZ_CLANGXX} -std=c++20 -g -O1 -Wall -Wextra
          -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
          -DQUARTZ_HOST=1 -I${CMAKE_SOURCE_DIR} ${_fuzz_sources} -o ${QUARTZ_ELF_FUZZER}
  DEPENDS ${_fuzz_sources}
          ${CMAKE_SOURCE_DIR}/kernel/lib/elf_module.h ${CMAKE_SOURCE_DIR}/kernel/lib/elf32.h
          ${CMAKE_SOURCE_DIR}/kernel/lib/format.h ${CMAKE_SOURCE_DIR}/kernel/lib/ksyms.h
  COMMENT "Building the ELF loader fuzzer with clang++"
  VERBATIM)
add_custom_target(elf_fuzz ALL DEPENDS ${QUARTZ_ELF_FUZZER})
if(TARGET elf_fixtures)
  add_dependencies(elf_fuzz elf_fixtures)
endif()

# New inputs go to the build tree's corpus (first directory); the fixtures seed it read-only.
file(MAKE_DIRECTORY ${QUARTZ_FUZZ_DIR}/elf_corpus)
set(_fuzz_seeds "")
if(QUARTZ_ELF_FIXTURE_DIR)
  set(_fuzz_seeds ${QUARTZ_ELF_FIXTURE_DIR})
endif()
add_test(NAME fuzz.elf_module
  COMMAND ${QUARTZ_ELF_FUZZER} -max_total_time=60 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix=${QUARTZ_FUZZ_DIR}/ ${QUARTZ_FUZZ_DIR}/elf_corpus ${_fuzz_seeds})
set_tests_properties(fuzz.elf_module PROPERTIES TIMEOUT 180 LABELS fuzz)
