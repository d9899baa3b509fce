# Hands Debian's cpio to the tests of kernel/lib/cpio and kernel/lib/ramfs (which archive
# directories they stage at run time) and writes the cpio fuzzer's seed archives (newc and
# crc) of a small source tree at build time.
# Included from the top-level CMakeLists.txt after quartz_host_tests is defined.
if(NOT TARGET quartz_host_tests)
  return()
endif()
find_program(QUARTZ_CPIO NAMES cpio)
set(QUARTZ_CPIO_SEED_DIR ${CMAKE_BINARY_DIR}/cpio_seeds)
if(NOT QUARTZ_CPIO)
  message(STATUS "cpio not found (tools/deps.sh installs it): archive tests will be skipped")
  target_compile_definitions(quartz_host_tests PRIVATE QUARTZ_CPIO="")
  set(QUARTZ_CPIO_SEED_DIR "")
  return()
endif()
target_compile_definitions(quartz_host_tests PRIVATE QUARTZ_CPIO="${QUARTZ_CPIO}")

set(_seed_src ${CMAKE_SOURCE_DIR}/tests/host/fixtures)
add_custom_command(OUTPUT ${QUARTZ_CPIO_SEED_DIR}/fixtures.newc ${QUARTZ_CPIO_SEED_DIR}/fixtures.crc
  COMMAND ${CMAKE_COMMAND} -E make_directory ${QUARTZ_CPIO_SEED_DIR}
  COMMAND sh -c "find . -name '*.[cS]' | LC_ALL=C sort | '${QUARTZ_CPIO}' -o -H newc --quiet > '${QUARTZ_CPIO_SEED_DIR}/fixtures.newc'"
  COMMAND sh -c "find exec | LC_ALL=C sort | '${QUARTZ_CPIO}' -o -H crc --quiet > '${QUARTZ_CPIO_SEED_DIR}/fixtures.crc'"
  WORKING_DIRECTORY ${_seed_src}
  DEPENDS ${_seed_src}/exec/tiny.S ${_seed_src}/exec/hello.c
  COMMENT "cpio fuzzer seeds"
  VERBATIM)
add_custom_target(cpio_seeds DEPENDS ${QUARTZ_CPIO_SEED_DIR}/fixtures.newc)
add_dependencies(quartz_host_tests cpio_seeds)
