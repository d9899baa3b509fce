# libFuzzer harnesses for the pure kernel library (tests/fuzz/*_fuzz.cpp), built with
# clang++ and -fsanitize=fuzzer,address,undefined independently of the host compiler, and
# their ctest runs: fuzz.NAME, short enough for every run of the suite (the corpus in the
# build tree grows from run to run), and fuzz.NAME_long, the same for minutes, only with
# `tools/test.sh --long` (label long).
# Included from the top-level CMakeLists.txt after tests/host/*_fixtures.cmake.
if(NOT TARGET quartz_host_tests)
  return()
endif()
find_program(QUARTZ_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
if(NOT QUARTZ_CLANGXX)
  message(STATUS "clang++ not found: skipping the libFuzzer harnesses (fuzz.*)")
  return()
endif()

set(QUARTZ_FUZZ_DIR ${CMAKE_BINARY_DIR}/fuzz)

# quartz_fuzzer(NAME TEST SECONDS LONG_SECONDS SOURCES files... SEEDS dirs... DEPENDS targets...)
# builds ${QUARTZ_FUZZ_DIR}/NAME_fuzz from tests/fuzz/NAME_fuzz.cpp and the kernel/lib
# sources given; new inputs go to the build tree's NAME_corpus (the first directory), the
# seed directories are read only.
function(quartz_fuzzer name test seconds long_seconds)
  cmake_parse_arguments(F "" "" "SOURCES;SEEDS;DEPENDS" ${ARGN})
  set(exe ${QUARTZ_FUZZ_DIR}/${name}_fuzz)
  set(corpus ${QUARTZ_FUZZ_DIR}/${name}_corpus)
  set(sources ${CMAKE_SOURCE_DIR}/tests/fuzz/${name}_fuzz.cpp)
  foreach(s ${F_SOURCES})
    list(APPEND sources ${CMAKE_SOURCE_DIR}/kernel/lib/${s})
  endforeach()
  file(GLOB headers ${CMAKE_SOURCE_DIR}/kernel/lib/*.h ${CMAKE_SOURCE_DIR}/kernel/uapi/quartz/*.h)
  add_custom_command(OUTPUT ${exe}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${corpus}
    COMMAND ${QUARTZ_CLANGXX} -std=c++20 -g -O1 -Wall -Wextra
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
            -DQUARTZ_HOST=1 -I${CMAKE_SOURCE_DIR} ${sources} -o ${exe}
    DEPENDS ${sources} ${headers}
    COMMENT "Building the ${name} fuzzer with clang++"
    VERBATIM)
  add_custom_target(${name}_fuzz ALL DEPENDS ${exe})
  foreach(d ${F_DEPENDS})
    if(TARGET ${d})
      add_dependencies(${name}_fuzz ${d})
    endif()
  endforeach()
  file(MAKE_DIRECTORY ${corpus})
  set(run ${exe} -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=${QUARTZ_FUZZ_DIR}/${name}-)
  add_test(NAME fuzz.${test} COMMAND ${run} -max_total_time=${seconds} ${corpus} ${F_SEEDS})
  math(EXPR timeout "${seconds} * 4 + 60")
  set_tests_properties(fuzz.${test} PROPERTIES TIMEOUT ${timeout} LABELS fuzz)
  add_test(NAME fuzz.${test}_long COMMAND ${run} -max_total_time=${long_seconds} ${corpus} ${F_SEEDS})
  math(EXPR timeout "${long_seconds} * 2 + 60")
  set_tests_properties(fuzz.${test}_long PROPERTIES TIMEOUT ${timeout} LABELS "fuzz;long")
endfunction()

# The module loader: validation, layout, relocation, the symbol blob. Its corpus keeps the
# directory name it always had (elf_corpus), so existing build trees keep what they found.
set(_seeds "")
if(QUARTZ_ELF_FIXTURE_DIR)
  set(_seeds ${QUARTZ_ELF_FIXTURE_DIR})
endif()
quartz_fuzzer(elf elf_module 8 300
  SOURCES elf_module.cpp format.cpp ksyms.cpp kstring.cpp SEEDS ${_seeds} DEPENDS elf_fixtures)

# User space: executables, initramfs archives, the file system's paths.
set(_seeds "")
if(QUARTZ_EXEC_SEED_DIR)
  set(_seeds ${QUARTZ_EXEC_SEED_DIR})
endif()
quartz_fuzzer(elf_exec elf_exec 5 120
  SOURCES elf_exec.cpp format.cpp SEEDS ${_seeds} DEPENDS exec_fixtures)
set(_seeds "")
if(QUARTZ_CPIO_SEED_DIR)
  set(_seeds ${QUARTZ_CPIO_SEED_DIR})
endif()
quartz_fuzzer(cpio cpio 5 120
  SOURCES cpio.cpp ramfs.cpp format.cpp SEEDS ${_seeds} DEPENDS cpio_seeds)
quartz_fuzzer(ramfs ramfs 5 120 SOURCES ramfs.cpp cpio.cpp format.cpp)
