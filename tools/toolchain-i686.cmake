# CMake toolchain file for the freestanding i686 target (kernel and modules).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR i686)

# Prefer Debian's cross compiler; fall back to the host g++ with -m32 (g++-multilib).
find_program(QUARTZ_CROSS_CXX NAMES i686-linux-gnu-g++)
if(QUARTZ_CROSS_CXX)
  set(CMAKE_CXX_COMPILER ${QUARTZ_CROSS_CXX})
  find_program(QUARTZ_CROSS_CC NAMES i686-linux-gnu-gcc REQUIRED)
  set(CMAKE_C_COMPILER ${QUARTZ_CROSS_CC})
  set(QUARTZ_M32 "")
else()
  set(CMAKE_CXX_COMPILER g++)
  set(CMAKE_C_COMPILER gcc)
  set(QUARTZ_M32 "-m32")
endif()
find_program(CMAKE_OBJCOPY NAMES i686-linux-gnu-objcopy objcopy)
find_program(QUARTZ_NM NAMES i686-linux-gnu-nm nm)

set(CMAKE_C_FLAGS_INIT "${QUARTZ_M32}")
set(CMAKE_CXX_FLAGS_INIT "${QUARTZ_M32}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${QUARTZ_M32}")
set(CMAKE_ASM_NASM_OBJECT_FORMAT elf32)

# No try-run of a hosted executable: the target has no C library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
