/* EXPORT_SYMBOL: how the kernel and modules publish symbols that modules may use.
 * Each export is a {name, address} pair in a section of its own: the kernel's land in
 * .ksymtab.NAME (gathered by the linker script between __ksymtab_start/__ksymtab_end),
 * a module's in .quartz_ksymtab (read by the module loader after relocation). Only
 * exported symbols resolve a module's undefined references ("unknown symbol X" else).
 * C-compatible: included by kernel C++ and by modules in C or C++. */
#ifndef QUARTZ_EXPORT_API_H
#define QUARTZ_EXPORT_API_H

#ifdef __cplusplus
extern "C" {
#endif

struct kernel_symbol {
    const char *name;
    const void *addr;
};

#ifdef __cplusplus
}
#endif

#if defined(QUARTZ_KERNEL)
#define QUARTZ_KSYMTAB_SECTION(sym) ".ksymtab." #sym
#else
#define QUARTZ_KSYMTAB_SECTION(sym) ".quartz_ksymtab"
#endif

#define EXPORT_SYMBOL(sym)                                                          \
    static const char __kstrtab_##sym[] __attribute__((used)) = #sym;               \
    static const struct kernel_symbol __ksymtab_##sym                               \
        __attribute__((used, aligned(4), section(QUARTZ_KSYMTAB_SECTION(sym)))) = { \
            __kstrtab_##sym, (const void *)&sym}

#endif /* QUARTZ_EXPORT_API_H */
