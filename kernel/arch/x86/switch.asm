; The context switch between kernel threads, and the first instructions of a new one.
bits 32
section .text

; void switch_context(uint32_t* save_esp, uint32_t next_esp)
; Saves the callee-saved registers on the current stack, stores its ESP in *save_esp,
; loads next_esp and pops the next thread's registers: its own switch_context call
; returns. Interrupts are off throughout (the scheduler holds its guard).
global switch_context
switch_context:
    mov eax, [esp + 4]
    mov edx, [esp + 8]
    push ebp
    push ebx
    push esi
    push edi
    mov [eax], esp
    mov esp, edx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

; A new thread's stack is built so that switch_context "returns" here.
extern thread_bootstrap
global thread_start
thread_start:
    xor ebp, ebp                    ; ends backtraces at the thread's first frame
    call thread_bootstrap           ; enables interrupts, runs the entry, exits; no return
    ud2
