#!/usr/bin/env python3
"""Writes the malformed executables of the initramfs's /test/bad (for the execve tests and
/test/execbad), and one well-formed control program.

  gen_bad_elf.py --out DIR [--good FILE]

Each bad file is the control (a static ELF32 i386 executable, one PT_LOAD at 0x40000000
whose code does exit(42)) with one thing broken, named after it; plus a text file with a
`#!` line. Only the Python standard library; the output is the same on every run."""
import argparse
import os
import struct
import sys

BASE = 0x40000000
EHDR = "<16sHHIIIIIHHHHHH"  # 52 bytes
PHDR = "<IIIIIIII"  # 32 bytes
PT_LOAD, PT_INTERP = 1, 3
ET_EXEC, ET_REL, ET_DYN = 2, 1, 3
EM_386, EM_X86_64 = 3, 62
PF_X, PF_W, PF_R = 1, 2, 4
# mov $1, %eax; mov $42, %ebx; int $0x80  (exit(42))
CODE = bytes.fromhex("b801000000" "bb2a000000" "cd80")
INTERP = b"/nonexistent/ld.so\0"  # the dynamic linker PT_INTERP names


def ident(klass=1, data=1):
    return b"\x7fELF" + bytes([klass, data, 1, 0]) + bytes(8)


def elf(segments, entry=None, etype=ET_EXEC, machine=EM_386, klass=1, data=1, phentsize=32,
        phnum=None, phoff=52, magic=None, tail=b""):
    """An executable: the ELF header, the program headers SEGMENTS (tuples p_type, offset,
    vaddr, filesz, memsz, flags; None fields are filled in for the one code segment), then the
    code, then TAIL."""
    code_off = 52 + 32 * len(segments)
    size = code_off + len(CODE) + len(tail)
    if entry is None:
        entry = BASE + code_off
    phdrs = b""
    for ptype, off, vaddr, filesz, memsz, flags in segments:
        phdrs += struct.pack(PHDR, ptype, off, vaddr, vaddr, size if filesz is None else filesz,
                             size if memsz is None else memsz, flags, 0x1000)
    head = ident(klass, data) if magic is None else magic
    ehdr = struct.pack(EHDR, head, etype, machine, 1, entry, phoff, 0, 0, 52, phentsize,
                       len(segments) if phnum is None else phnum, 40, 0, 0)
    return ehdr + phdrs + CODE + tail


def code_segment(vaddr=BASE, filesz=None, memsz=None, flags=PF_R | PF_X, offset=0):
    return (PT_LOAD, offset, vaddr, filesz, memsz, flags)


def files():
    good = elf([code_segment()])
    bad = {
        # not ELF, or not ours
        "empty": b"",
        "too_short": good[:10],
        "bad_magic": elf([code_segment()], magic=b"\x7fELG" + ident()[4:]),
        "elf64_class": elf([code_segment()], klass=2),
        "big_endian": elf([code_segment()], data=2),
        "wrong_machine_x86_64": elf([code_segment()], machine=EM_X86_64),
        "relocatable_et_rel": elf([code_segment()], etype=ET_REL),
        "shared_et_dyn": elf([code_segment()], etype=ET_DYN),
        # program headers
        "truncated_in_phdrs": good[:52 + 16],
        "truncated_in_code": good[:-4],
        "phoff_past_end": elf([code_segment()], phoff=0x10000),
        "no_segments": elf([code_segment()], phnum=0),
        "too_many_phdrs": elf([code_segment()], phnum=0xffff),
        "bad_phentsize": elf([code_segment()], phentsize=16),
        "dynamic_interp": elf([(PT_INTERP, 52 + 64 + len(CODE), 0, len(INTERP), len(INTERP),
                                PF_R), code_segment()], tail=INTERP),
        # segments
        "segment_past_end_of_file": elf([code_segment(filesz=0x10000, memsz=0x10000)]),
        "filesz_over_memsz": elf([code_segment(memsz=16)]),
        "offset_not_congruent": elf([code_segment(vaddr=BASE + 0x100)],
                                    entry=BASE + 0x100 + 84),
        "overlapping_segments": elf([code_segment(),
                                     code_segment(vaddr=BASE + 0x800, flags=PF_R | PF_W)]),
        "kernel_range_low": elf([code_segment(vaddr=0x00100000)], entry=0x00100000 + 84),
        "kernel_range_high": elf([code_segment(vaddr=0xC0000000)], entry=0xC0000000 + 84),
        "straddles_user_limit": elf([code_segment(vaddr=0xBFFFF000, memsz=0x2000)],
                                    entry=0xBFFFF000 + 84),
        "absurd_memsz_2gib": elf([code_segment(memsz=0x7FFFF000)]),
        "memsz_wraps_around": elf([code_segment(memsz=0xFFFFF000)]),
        # entry point
        "entry_outside_segments": elf([code_segment()], entry=0x50000000),
        "entry_in_kernel": elf([code_segment()], entry=0xC0100000),
        "entry_not_executable": elf([code_segment(flags=PF_R | PF_W)]),
        # not a binary at all
        "script_with_shebang": b"#!/bin/sh\necho this is a script\n",
    }
    return good, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="the folder for the bad files")
    ap.add_argument("--good", help="where to write the control (exit(42))")
    args = ap.parse_args()
    good, bad = files()
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):  # a file dropped from the list must not linger
        if name not in bad:
            os.unlink(os.path.join(args.out, name))
    for name, data in sorted(bad.items()):
        path = os.path.join(args.out, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755)
    if args.good:
        with open(args.good, "wb") as f:
            f.write(good)
        os.chmod(args.good, 0o755)
    print(f"gen_bad_elf: {len(bad)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
