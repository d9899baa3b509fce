# The host tests of user/ (ctest label `user`): the i686 programs of build/user, run on this
# Linux machine (Linux i386 system calls, so they run here as they will under Quartz). Each
# test is one function of test_user.py. Included by user/CMakeLists.txt in the host configure.
set(USER_HOST_TESTS
  echo_words_and_dash_n cat_files_stdin_and_errors ls_lists_sorted_and_long
  ps_names_a_missing_proc_file true_false_and_exit_codes argv_and_envp_pass_through
  sh_runs_programs_with_arguments sh_quoting_and_comments sh_cd_and_pwd sh_exit_status
  sh_background_job_and_done_line sh_missing_program_errors sh_reports_fatal_signals
  sh_ctrl_c_ends_only_the_foreground_program init_restarts_the_shell
  printf_family libc_functions malloc_stress malloc_refuses_a_bad_free
  kill_and_sleep badptr_matches_golden execbad_on_the_host forkloop_runs_and_counts
  waittest_passes_on_linux
  faults_end_in_sigsegv bench_programs_print_key_values initramfs_layout_and_reproducible)
foreach(fn ${USER_HOST_TESTS})
  add_test(NAME user.${fn}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_user.py
            --build ${CMAKE_BINARY_DIR} ${fn})
  set_tests_properties(user.${fn} PROPERTIES TIMEOUT 60 LABELS user)
endforeach()

# The expected strings of printf_test and libc_test are glibc's: the same sources built
# against the host's glibc pass too.
foreach(name printf_test libc_test)
  add_executable(user_${name}_glibc ${CMAKE_SOURCE_DIR}/user/tests/${name}.c)
  target_compile_definitions(user_${name}_glibc PRIVATE _GNU_SOURCE)
  add_test(NAME user.${name}_passes_with_glibc COMMAND user_${name}_glibc)
  set_tests_properties(user.${name}_passes_with_glibc PROPERTIES TIMEOUT 30 LABELS user)
endforeach()
