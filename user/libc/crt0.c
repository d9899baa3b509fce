/* The program's first instructions (_start): argc, argv and envp from the initial stack as
 * Linux lays it out, then exit(main(argc, argv, envp)). */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv, char** envp);

char** environ;

/* Called by _start with a 16-byte aligned stack, as the i386 System V ABI wants at a call. */
__attribute__((noreturn, used)) static void start_c(int argc, char** argv, char** envp) {
  environ = envp;
  exit(main(argc, argv, envp));
}

/* At entry esp points at argc, then argv[0..argc-1], NULL, envp[...], NULL, the auxiliary
 * vector. ebp = 0 marks the outermost frame for debuggers. After `and` the stack is 16-byte
 * aligned; 4 bytes of padding and three 4-byte arguments keep it so at the call. */
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    "  xorl %ebp, %ebp\n"
    "  movl %esp, %eax\n" /* eax = &argc */
    "  andl $-16, %esp\n"
    "  subl $4, %esp\n"
    "  movl (%eax), %ecx\n"         /* argc */
    "  leal 4(%eax), %edx\n"        /* argv */
    "  leal 8(%eax,%ecx,4), %eax\n" /* envp = argv + argc + 1 */
    "  pushl %eax\n"
    "  pushl %edx\n"
    "  pushl %ecx\n"
    "  call start_c\n"
    "  hlt\n"
    ".size _start, . - _start\n");
