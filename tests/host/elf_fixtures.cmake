# Builds the C fixtures of tests/host/elf_module_test.cpp (tests/host/fixtures/*.c) into
# real i386 relocatable objects with the cross compiler, at build time, and hands their
# directory (plus ld/objcopy for the golden test) to quartz_host_tests.
# Included from the top-level CMakeLists.txt after quartz_host_tests is defined.
if(NOT TARGET quartz_host_tests)
  return()
endif()
find_program(QUARTZ_I686_GCC NAMES i686-linux-gnu-gcc)
find_program(QUARTZ_I686_LD NAMES i686-linux-gnu-ld)
find_program(QUARTZ_I686_OBJCOPY NAMES i686-linux-gnu-objcopy)

set(QUARTZ_ELF_FIXTURE_DIR ${CMAKE_BINARY_DIR}/elf_fixtures)
if(NOT QUARTZ_I686_GCC)
  message(STATUS "i686-linux-gnu-gcc not found: ELF loader fixture tests will be skipped")
  set(QUARTZ_ELF_FIXTURE_DIR "")
  return()
endif()

# The flags docs/elf-loader.md recommends for modules; variants append what they test
# (the last of -fpic/-fno-pic etc. wins).
set(QUARTZ_MODULE_CFLAGS -m32 -fno-pic -fno-common -ffreestanding -fno-asynchronous-unwind-tables -O2)
set(_fx_dir ${CMAKE_SOURCE_DIR}/tests/host/fixtures)
set(_fx_outputs "")

function(quartz_elf_fixture name source)
  set(out ${QUARTZ_ELF_FIXTURE_DIR}/${name}.o)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${QUARTZ_ELF_FIXTURE_DIR}
    COMMAND ${QUARTZ_I686_GCC} ${QUARTZ_MODULE_CFLAGS} ${ARGN} -c ${_fx_dir}/${source} -o ${out}
    DEPENDS ${_fx_dir}/${source}
    COMMENT "ELF fixture ${name}.o"
    VERBATIM)
  set(_fx_outputs ${_fx_outputs} ${out} PARENT_SCOPE)
endfunction()

quartz_elf_fixture(golden golden.c)                       # recommended flags
quartz_elf_fixture(golden_g golden.c -g)                  # + debug sections and their .rel
quartz_elf_fixture(weak weak.c)                           # weak undefined reference
quartz_elf_fixture(udiv udiv.c)                           # needs __udivdi3
quartz_elf_fixture(ehframe ehframe.c -fasynchronous-unwind-tables)  # allocated .eh_frame
quartz_elf_fixture(pic pic.c -fpic)                       # GOT relocations: refused
quartz_elf_fixture(common common.c -fcommon)              # COMMON symbol: refused
quartz_elf_fixture(ctors ctors.c)                         # .init_array/.fini_array

add_custom_target(elf_fixtures DEPENDS ${_fx_outputs})
add_dependencies(quartz_host_tests elf_fixtures)
target_compile_definitions(quartz_host_tests PRIVATE
  QUARTZ_ELF_FIXTURE_DIR="${QUARTZ_ELF_FIXTURE_DIR}"
  QUARTZ_I686_LD="${QUARTZ_I686_LD}"
  QUARTZ_I686_OBJCOPY="${QUARTZ_I686_OBJCOPY}")
