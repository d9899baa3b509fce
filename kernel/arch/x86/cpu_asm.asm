; Small assembly routines that cannot be written as inline wrappers: loading the GDT
; (with the far jump that reloads CS), loading the task register, and setjmp/longjmp
; for returning to the shell after a fault in a command.
bits 32
section .text

; void gdt_load(const void* gdtr, uint32_t code_sel, uint32_t data_sel)
global gdt_load
gdt_load:
    mov eax, [esp + 4]
    lgdt [eax]
    mov eax, [esp + 12]
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    ; A far return reloads CS with the selector we push (Intel SDM Vol. 3A §3.4.3).
    pop ecx                         ; return address
    push dword [esp + 4]            ; code selector (argument 2, now at esp+4)
    push ecx
    retf

; void tss_load(uint32_t selector)
global tss_load
tss_load:
    mov eax, [esp + 4]
    ltr ax
    ret

; int arch_setjmp(JmpBuf* buf): saves callee-saved registers, esp and the return eip.
global arch_setjmp
arch_setjmp:
    mov eax, [esp + 4]
    mov [eax + 0], ebx
    mov [eax + 4], esi
    mov [eax + 8], edi
    mov [eax + 12], ebp
    lea ecx, [esp + 4]              ; esp as it will be after our ret
    mov [eax + 16], ecx
    mov ecx, [esp]
    mov [eax + 20], ecx             ; return address
    xor eax, eax
    ret

; [[noreturn]] void arch_longjmp(JmpBuf* buf, int value)
global arch_longjmp
arch_longjmp:
    mov edx, [esp + 4]
    mov eax, [esp + 8]
    test eax, eax
    jnz .nonzero
    inc eax
.nonzero:
    mov ebx, [edx + 0]
    mov esi, [edx + 4]
    mov edi, [edx + 8]
    mov ebp, [edx + 12]
    mov esp, [edx + 16]
    jmp [edx + 20]

; void bench_nop_routine(void*): a task routine whose body is exactly one instruction,
; so the benchmark can subtract it and report the queue's own cost per task.
global bench_nop_routine
bench_nop_routine:
    ret
