// The shell loop: reads lines through the line editor, splits them into arguments, and
// runs commands from the linker-built table with a recovery point for faults.
#include "kernel/shell.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/line_editor.h"
#include "kernel/multiboot.h"
#include "kernel/sched.h"

extern "C" const quartz::ShellCommand __shell_cmds_start[], __shell_cmds_end[];
extern "C" uint64_t boot_tsc;

namespace quartz {
namespace {
constexpr int kMaxArgs = 16;
uint64_t first_prompt_tsc = 0;

void print_prompt() { kprintf("%s", kPrompt); }

void echo_out(void*, const char* s, size_t n) { console_write(s, n); }

int cmd_help(int argc, char** argv) {
  if (argc > 1) {
    const ShellCommand* c = shell_find(argv[1]);
    if (!c) {
      kprintf("help: no command '%s'\n", argv[1]);
      return 1;
    }
    kprintf("%s %s\n  %s\n", c->name, c->usage, c->help);
    return 0;
  }
  kprintf("Commands (help NAME for one):\n");
  for (const ShellCommand* c = __shell_cmds_start; c < __shell_cmds_end; ++c)
    kprintf("  %-10s %-16s %s\n", c->name, c->usage, c->help);
  return 0;
}

int cmd_echo(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) kprintf(i > 1 ? " %s" : "%s", argv[i]);
  kprintf("\n");
  return 0;
}

int cmd_bootstat(int, char**) {
  // key=value for tools/bench.py, then words for people.
  kprintf(
      "bootstat: boot_instructions=%llu boot_modules=%d (kernel entry to the first prompt; "
      "rdtsc counts guest instructions under qemu -icount shift=0,sleep=off)\n",
      static_cast<unsigned long long>(first_prompt_tsc - boot_tsc), boot_info().module_count);
  return 0;
}
}  // namespace

// bg: runs a command line in a thread of its own, so the shell stays free (and `ps`
// can show the command sleeping).
void bg_thread(void* line) {
  shell_run_line(static_cast<char*>(line));
  kfree(line);
}

int cmd_bg(int argc, char** argv) {
  if (argc < 2) return shell_usage("bg");
  char* line = static_cast<char*>(kmalloc(kShellLineMax + 1));
  if (!line) return 1;
  if (!shell_join(argc - 1, argv + 1, line, kShellLineMax + 1)) {
    kfree(line);
    kprintf("bg: command too long\n");
    return 1;
  }
  Thread* t = thread_create(argv[1], bg_thread, line);
  if (!t) {
    kfree(line);
    kprintf("bg: cannot create a thread\n");
    return 1;
  }
  kprintf("bg: thread %u (%s) started\n", unsigned(t->id), t->name);
  return 0;
}

SHELL_COMMAND(bg, "COMMAND [ARGS...]", "run a command in a thread of its own", cmd_bg);

SHELL_COMMAND(help, "[COMMAND]", "list the commands, or describe one", cmd_help);
SHELL_COMMAND(echo, "[WORD...]", "print the words", cmd_echo);
SHELL_COMMAND(bootstat, "", "instructions spent from kernel entry to the first prompt",
              cmd_bootstat);

bool shell_join(int argc, char** argv, char* out, size_t cap) {
  size_t len = 0;
  for (int i = 0; i < argc; ++i) {
    const char* w = argv[i];
    bool quote = *w == 0, has_double = false;
    for (const char* p = w; *p; ++p) {
      quote |= *p == ' ' || *p == '\t' || *p == ';' || *p == '\'' || *p == '"';
      has_double |= *p == '"';
    }
    const char q = has_double ? '\'' : '"';
    const size_t n = __builtin_strlen(w);
    if (len + n + 4 > cap) return false;
    if (i) out[len++] = ' ';
    if (quote) out[len++] = q;
    __builtin_memcpy(out + len, w, n);
    len += n;
    if (quote) out[len++] = q;
  }
  out[len] = 0;
  return true;
}

const ShellCommand* shell_find(const char* name) {
  for (const ShellCommand* c = __shell_cmds_start; c < __shell_cmds_end; ++c)
    if (str_eq(c->name, name)) return c;
  return nullptr;
}

int shell_usage(const char* name) {
  const ShellCommand* c = shell_find(name);
  if (c) kprintf("usage: %s %s\n", c->name, c->usage);
  return 1;
}

int shell_run_line(char* line) {
  char* argv[kMaxArgs + 1];
  const char* error = nullptr;
  const int argc = split_args(line, argv, kMaxArgs, &error);
  if (argc < 0) {
    kprintf("shell: %s\n", error);
    return -1;
  }
  if (argc == 0) return 0;
  argv[argc] = nullptr;
  const ShellCommand* cmd = shell_find(argv[0]);
  if (!cmd) {
    kprintf("unknown command: %s (type 'help' for the list)\n", argv[0]);
    return -1;
  }
  JmpBuf recovery;
  if (arch_setjmp(&recovery) != 0) {
    // A fault in the command: the fault path printed the dump and jumped back here.
    fault_set_recovery(nullptr);
    cpu::raw_sti();
    kprintf("shell: '%s' was stopped by a fault; the shell carries on\n", cmd->name);
    return -1;
  }
  fault_set_recovery(&recovery);
  const int rc = cmd->run(argc, argv);
  fault_set_recovery(nullptr);
  return rc;
}

[[noreturn]] void shell_main(const char* script) {
  static char line[kShellLineMax + 1];
  static char edit[kShellLineMax + 1];
  first_prompt_tsc = cpu::rdtsc();  // the shell is ready: the end of the boot benchmark
  if (script && *script) {
    ScriptSplitter commands(script);
    for (;;) {
      const ScriptSplitter::Status st = commands.next(line, sizeof(line));
      if (st == ScriptSplitter::Status::End) break;
      if (st == ScriptSplitter::Status::TooLong) {
        kprintf("run: a command longer than %d characters was skipped\n", kShellLineMax);
        continue;
      }
      if (st == ScriptSplitter::Status::UnterminatedQuote) {
        kprintf("run: unterminated quote; the rest of the boot script was skipped\n");
        break;
      }
      kprintf("%s%s\n", kPrompt, line);
      shell_run_line(line);
    }
  }
  // The editor finishes a line on CR or LF and starts the next one by itself (so the
  // second half of a CR LF pair is not an empty line); Overflow and Cancel need a reset.
  LineEditor editor(edit, sizeof(edit), echo_out, nullptr);
  print_prompt();
  for (;;) {
    switch (editor.feed(char(console_getc()))) {
      case LineEditor::Event::Line:
        __builtin_memcpy(line, editor.line(), editor.length() + 1);
        shell_run_line(line);
        print_prompt();
        break;
      case LineEditor::Event::Overflow:
        kprintf("shell: line too long (max %d characters); ignored\n", kShellLineMax);
        print_prompt();
        break;
      case LineEditor::Event::Cancel:
        kprintf("^C\n");
        print_prompt();
        break;
      default:
        break;
    }
  }
}

}  // namespace quartz
