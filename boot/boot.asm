; First instructions: the Multiboot 1 header and the entry point that sets up a stack
; and hands over to kernel_main (facts: Multiboot 1 specification §3.1-§3.2).
bits 32

MB_MAGIC     equ 0x1BADB002
MB_PAGEALIGN equ 1 << 0            ; modules on 4 KiB boundaries
MB_MEMINFO   equ 1 << 1            ; mem_lower/upper and the memory map
MB_FLAGS     equ MB_PAGEALIGN | MB_MEMINFO
MB_CHECKSUM  equ -(MB_MAGIC + MB_FLAGS)

BOOT_STACK_SIZE equ 16384

section .multiboot progbits alloc noexec nowrite align=4
    dd MB_MAGIC
    dd MB_FLAGS
    dd MB_CHECKSUM

; The boot stack doubles as the shell's stack until threads exist. The page below it is
; a guard page: paging leaves it unmapped, so an overflow faults (and the double-fault
; task reports it) instead of silently overwriting .bss.
section .bss nobits alloc noexec write align=4096
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
    resb 4096
boot_stack_bottom:
    resb BOOT_STACK_SIZE
boot_stack_top:

section .data
global boot_tsc
boot_tsc: dd 0, 0                 ; rdtsc at the first instruction, for the boot benchmark

section .text
global _start
extern kernel_main
_start:
    ; EAX = 0x2BADB002, EBX = physical address of the info structure, interrupts off.
    ; ESP is undefined, so set a stack before anything calls.
    mov esi, eax
    rdtsc
    mov [boot_tsc], eax
    mov [boot_tsc + 4], edx
    ; Zero .bss ourselves: loaders differ in whether they clear it.
    extern _bss_start, _bss_end
    mov edi, _bss_start
    mov ecx, _bss_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd
    mov esp, boot_stack_top
    xor ebp, ebp                    ; terminates the backtrace's frame-pointer walk
    push 0                          ; keep the stack 16-byte aligned at the call
    push 0
    push ebx                        ; multiboot info (physical address)
    push esi                        ; magic
    cld
    call kernel_main
.hang:
    cli
    hlt
    jmp .hang
