; Copies between kernel and user memory that survive a bad user pointer: each routine
; has the instructions that may fault listed in the exception table below, and the page-
; fault handler resumes a fault at one of them at its fixup, which returns -EFAULT
; (Linux's exception table, arch/x86/mm/extable.c). The callers check the range first
; (user_range_ok), so only unmapped or read-only user pages can fault here.
bits 32
section .text

EFAULT equ 14

; int uaccess_copy(void* dst, const void* src, uint32_t n): 0, or -EFAULT.
global uaccess_copy
uaccess_copy:
    push esi
    push edi
    mov edi, [esp + 12]
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
.copy:
    rep movsb
    xor eax, eax
.out:
    pop edi
    pop esi
    ret
.fault:
    mov eax, -EFAULT
    jmp .out

; int uaccess_strncpy(char* dst, const char* src, uint32_t cap): copies up to cap bytes
; including the NUL; returns the length without the NUL, -EFAULT, or cap when no NUL
; came within cap bytes (the caller reports -ENAMETOOLONG or -E2BIG).
global uaccess_strncpy
uaccess_strncpy:
    push esi
    push edi
    mov edi, [esp + 12]
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
    xor edx, edx
.next:
    cmp edx, ecx
    je .full
.load:
    mov al, [esi + edx]
    mov [edi + edx], al
    test al, al
    jz .done
    inc edx
    jmp .next
.done:
    mov eax, edx
    jmp .sout
.full:
    mov eax, ecx
.sout:
    pop edi
    pop esi
    ret
.sfault:
    mov eax, -EFAULT
    jmp .sout

; int uaccess_clear(void* dst, uint32_t n): zeroes user memory; 0 or -EFAULT.
global uaccess_clear
uaccess_clear:
    push edi
    mov edi, [esp + 8]
    mov ecx, [esp + 12]
    xor eax, eax
.zero:
    rep stosb
    pop edi
    ret
.cfault:
    mov eax, -EFAULT
    pop edi
    ret

section .rodata
; (faulting instruction, where to resume) pairs.
global uaccess_extable, uaccess_extable_end
uaccess_extable:
    dd uaccess_copy.copy, uaccess_copy.fault
    dd uaccess_strncpy.load, uaccess_strncpy.sfault
    dd uaccess_clear.zero, uaccess_clear.cfault
uaccess_extable_end:
