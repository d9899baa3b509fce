// The Quartz shell: a line editor on the console and a table of commands, each added by
// one SHELL_COMMAND line in the file that owns the feature.
//
// Contract: commands run in the shell's thread context with interrupts enabled; they
// may sleep. A fault inside a command is reported and the shell takes over again.
#pragma once
#include <cstddef>

namespace quartz {

struct ShellCommand {
  const char* name;
  const char* usage;                  // arguments, e.g. "[N]"; "" if none
  const char* help;                   // one line
  int (*run)(int argc, char** argv);  // returns 0 on success
};

// Registers a command: the linker gathers these into a table sorted by name.
#define SHELL_COMMAND(cmd_name, usage, help, fn)                                            \
  [[gnu::used, gnu::section(".shell_cmds." #cmd_name)]] static const ::quartz::ShellCommand \
      shell_command_##cmd_name = {#cmd_name, usage, help, fn}

constexpr const char* kPrompt = "quartz> ";
constexpr int kShellLineMax = 256;  // characters per line, not counting the end

// Runs one command line (modified in place). Returns the command's status, or -1.
int shell_run_line(char* line);
// Runs the boot script, then reads lines forever.
[[noreturn]] void shell_main(const char* script);
const ShellCommand* shell_find(const char* name);
// Joins words back into a command line, quoting a word only where it needs it (blanks,
// ';' or quotes inside). False if it does not fit in cap.
bool shell_join(int argc, char** argv, char* out, size_t cap);
// Prints "usage: NAME USAGE" for the command; returns 1 for use as an error status.
int shell_usage(const char* name);

}  // namespace quartz
