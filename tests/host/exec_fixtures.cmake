# Builds the executables of tests/host/elf_exec_test.cpp (tests/host/fixtures/exec/) with
# the cross toolchain at build time: a tiny program in assembly linked by i686-linux-gnu-ld,
# and, when the cross gcc has a C library, a C program linked statically at the user base
# (accepted), at ld's default address, dynamically and as a PIE (refused). Hands their
# directory and readelf (the golden test's reference) to quartz_host_tests, and copies them
# into seeds/ for the fuzzer (tests/fuzz/fuzz.cmake), which sets QUARTZ_EXEC_SEED_DIR.
# Included from the top-level CMakeLists.txt after tests/host/elf_fixtures.cmake.
if(NOT TARGET quartz_host_tests)
  return()
endif()
find_program(QUARTZ_I686_READELF NAMES i686-linux-gnu-readelf)
set(QUARTZ_EXEC_FIXTURE_DIR ${CMAKE_BINARY_DIR}/exec_fixtures)
set(QUARTZ_EXEC_SEED_DIR "")
if(NOT QUARTZ_I686_GCC OR NOT QUARTZ_I686_LD OR NOT QUARTZ_I686_READELF)
  message(STATUS "i686 cross tools not found: ELF executable fixture tests will be skipped")
  target_compile_definitions(quartz_host_tests PRIVATE QUARTZ_EXEC_FIXTURE_DIR="")
  return()
endif()

set(_ex_src ${CMAKE_SOURCE_DIR}/tests/host/fixtures/exec)
set(_ex_dir ${QUARTZ_EXEC_FIXTURE_DIR})
set(_ex_outputs ${_ex_dir}/tiny.o ${_ex_dir}/tiny)
add_custom_command(OUTPUT ${_ex_dir}/tiny.o ${_ex_dir}/tiny
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_ex_dir}
  COMMAND ${QUARTZ_I686_GCC} -m32 -c ${_ex_src}/tiny.S -o ${_ex_dir}/tiny.o
  COMMAND ${QUARTZ_I686_LD} -m elf_i386 -Ttext=0x40001000 ${_ex_dir}/tiny.o -o ${_ex_dir}/tiny
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_ex_dir}/seeds
  COMMAND ${CMAKE_COMMAND} -E copy ${_ex_dir}/tiny ${_ex_dir}/tiny.o ${_ex_dir}/seeds/
  DEPENDS ${_ex_src}/tiny.S
  COMMENT "ELF executable fixture tiny"
  VERBATIM)

# The C fixtures need the cross C library (libc6-dev-i386-cross, pulled in by
# g++-i686-linux-gnu): probe once at configure time.
set(_probe ${CMAKE_BINARY_DIR}/CMakeFiles/exec_probe)
file(MAKE_DIRECTORY ${_probe})
file(WRITE ${_probe}/probe.c "int main(void) { return 0; }\n")
execute_process(COMMAND ${QUARTZ_I686_GCC} -static ${_probe}/probe.c -o ${_probe}/probe
  RESULT_VARIABLE _probe_rc OUTPUT_QUIET ERROR_QUIET)
if(_probe_rc EQUAL 0)
  # The static ones (700 KiB) would slow the fuzzer down: only the small ones seed it.
  function(quartz_exec_fixture name)
    set(copy "")
    if(name MATCHES "dynamic|pie")
      set(copy COMMAND ${CMAKE_COMMAND} -E copy ${_ex_dir}/${name} ${_ex_dir}/seeds/)
    endif()
    add_custom_command(OUTPUT ${_ex_dir}/${name}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_ex_dir}/seeds
      COMMAND ${QUARTZ_I686_GCC} -O2 ${ARGN} ${_ex_src}/hello.c -o ${_ex_dir}/${name}
      ${copy}
      DEPENDS ${_ex_src}/hello.c
      COMMENT "ELF executable fixture ${name}"
      VERBATIM)
    set(_ex_outputs ${_ex_outputs} ${_ex_dir}/${name} PARENT_SCOPE)
  endfunction()
  quartz_exec_fixture(hello_static -static -no-pie -Wl,-Ttext-segment=0x40000000)
  quartz_exec_fixture(hello_low -static -no-pie)   # ld's default 0x08048000: kernel memory
  quartz_exec_fixture(hello_dynamic -no-pie)       # PT_INTERP
  quartz_exec_fixture(hello_pie -pie -fpie)        # ET_DYN
else()
  message(STATUS "${QUARTZ_I686_GCC} cannot link C programs: C executable fixtures skipped")
endif()

set(QUARTZ_EXEC_SEED_DIR ${_ex_dir}/seeds)
add_custom_target(exec_fixtures DEPENDS ${_ex_outputs})
add_dependencies(quartz_host_tests exec_fixtures)
target_compile_definitions(quartz_host_tests PRIVATE
  QUARTZ_EXEC_FIXTURE_DIR="${QUARTZ_EXEC_FIXTURE_DIR}"
  QUARTZ_I686_READELF="${QUARTZ_I686_READELF}")
