# quartz_add_modules(): one custom command per loadable module, built with
# tools/build-module.sh (the script students use), so in-tree, test and out-of-tree
# modules are built the same way. Included by the cross (QUARTZ_TARGET) configure only.
#
# Modules are NOT add_library targets: they must not pick up the kernel's compile or link
# flags. Each is one custom command: build-module.sh compiles with the flags of
# docs/modules.md, links with `ld -r` and checks the result as the loader will.
#
#   quartz_add_modules(TARGET OUT_DIR OUTPUTS_VAR "NAME:src.c[:more.c][:--flag=value]" ...)
# Sources are relative to the calling CMakeLists.txt's folder; a part starting with "--"
# is an option for build-module.sh (--linux=2.2: a module written for Linux 2.2, built
# against modules/compat/linux); OUTPUTS_VAR receives the .ko paths; TARGET is a custom
# target (ALL) that builds them.

# The cross tools: the compilers of tools/toolchain-i686.cmake, and ld beside them
# (Debian's i686-linux-gnu-*), else the host's, which build-module.sh runs in 32-bit mode
# (-m32, ld -m elf_i386); QUARTZ_MODCHECK, the host checker the top level built.
find_program(QUARTZ_MODULE_LD NAMES i686-linux-gnu-ld)

function(quartz_add_modules target out_dir outputs_var)
  set(build_module ${CMAKE_SOURCE_DIR}/tools/build-module.sh)
  set(module_env QUARTZ_CC=${CMAKE_C_COMPILER} QUARTZ_CXX=${CMAKE_CXX_COMPILER})
  if(QUARTZ_MODULE_LD)
    list(APPEND module_env QUARTZ_LD=${QUARTZ_MODULE_LD})
  endif()
  if(QUARTZ_MODCHECK)
    list(APPEND module_env QUARTZ_MODCHECK=${QUARTZ_MODCHECK})
  endif()
  # Every module depends on the whole module API and on the script itself.
  file(GLOB api_headers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/modules/include/quartz/*.h
       ${CMAKE_SOURCE_DIR}/modules/compat/linux/*.h)
  set(outputs "")
  foreach(entry ${ARGN})
    string(REPLACE ":" ";" parts "${entry}")
    list(POP_FRONT parts name)
    set(sources "")
    set(options "")
    foreach(src ${parts})
      if(src MATCHES "^--")
        list(APPEND options ${src})
      else()
        list(APPEND sources ${CMAKE_CURRENT_SOURCE_DIR}/${src})
      endif()
    endforeach()
    set(ko ${out_dir}/${name}.ko)
    add_custom_command(OUTPUT ${ko}
      COMMAND ${CMAKE_COMMAND} -E env ${module_env} ${build_module} ${options} -o ${ko} ${sources}
      DEPENDS ${sources} ${api_headers} ${build_module} ${QUARTZ_MODCHECK}
      COMMENT "Building module ${name}.ko"
      VERBATIM)
    list(APPEND outputs ${ko})
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${outputs})
  set(${outputs_var} ${outputs} PARENT_SCOPE)
endfunction()
