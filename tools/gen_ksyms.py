#!/usr/bin/env python3
"""Generate the kernel symbol table blob (read by kernel/lib/ksyms.cpp) from nm output.

Usage:
    gen_ksyms.py [--nm NM] [--no-demangle] ELF OUT.bin          write the blob
    gen_ksyms.py --from-nm-output NM.txt OUT.bin                 same, from saved nm output
    gen_ksyms.py --verify [--nm NM] ELF BLOB                     exit 1 if BLOB is stale
    gen_ksyms.py --verify --from-nm-output NM.txt BLOB

The symbols come from `NM -n -S --defined-only -C ELF`. Only text symbols (nm types
T t W w) are kept. Names are demangled by nm (-C) so backtraces read
"quartz::kernel_main()", not "_ZN6quartz11kernel_mainEv"; demangled names may contain
spaces. A symbol without a size (an assembly label with no .size) extends to the next
symbol with a higher address, of any type; the last one gets size 0.

Blob (little-endian): b"QSYM", u32 count, count x (u32 addr, u32 size, u32 name_offset)
sorted by (addr, name), then the NUL-terminated names. The output is deterministic, so
--verify can compare byte for byte. Python 3 standard library only.
"""

import argparse
import re
import struct
import subprocess
import sys

MAGIC = b"QSYM"
TEXT_TYPES = frozenset("TtWw")
U32_MAX = 0xFFFFFFFF

_ADDR = re.compile(r"([0-9a-fA-F]+) (.*)\Z")
_TYPE_NAME = re.compile(r"(\S) ?(.*)\Z")


class KsymsError(Exception):
    pass


def parse_nm(text):
    """Parse `nm -n -S` (BSD format) output into (addr, size or None, type, name) tuples.

    Each line is "ADDR [SIZE] TYPE NAME". nm pads SIZE to the same width as ADDR, which
    is what tells a size column apart from a one-letter type, and keeps a name such as
    "operator new(unsigned int)" intact.
    """
    symbols = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        m = _ADDR.match(line)
        if not m:
            # Lines without an address (e.g. "filename.o:" headers) carry no symbol.
            if line.endswith(":"):
                continue
            raise KsymsError("line %d: cannot parse nm output: %r" % (lineno, raw))
        addr_text, rest = m.group(1), m.group(2)
        width = len(addr_text)
        size = None
        if (len(rest) > width and rest[width] == " "
                and re.fullmatch(r"[0-9a-fA-F]+", rest[:width])):
            size = int(rest[:width], 16)
            rest = rest[width + 1:]
        m = _TYPE_NAME.match(rest)
        if not m:
            raise KsymsError("line %d: missing symbol type: %r" % (lineno, raw))
        symbols.append((int(addr_text, 16), size, m.group(1), m.group(2)))
    return symbols


def select_text_symbols(symbols):
    """Keep text symbols, fill in missing sizes, and sort deterministically."""
    addresses = sorted({addr for addr, _, _, _ in symbols})
    next_addr = {}
    for i, addr in enumerate(addresses):
        next_addr[addr] = addresses[i + 1] if i + 1 < len(addresses) else None

    chosen = set()
    for addr, size, kind, name in symbols:
        if kind not in TEXT_TYPES or not name:
            continue
        if size is None:
            following = next_addr[addr]
            size = following - addr if following is not None else 0
        if addr > U32_MAX or size > U32_MAX or addr + size > U32_MAX + 1:
            raise KsymsError("symbol %r at 0x%x (size 0x%x) does not fit a 32-bit kernel"
                             % (name, addr, size))
        chosen.add((addr, name, size))
    return sorted(chosen)


def build_blob(entries):
    names = bytearray()
    table = bytearray()
    for addr, name, size in entries:
        encoded = name.encode("utf-8")
        if b"\0" in encoded:
            raise KsymsError("symbol name contains NUL: %r" % name)
        table += struct.pack("<III", addr, size, len(names))
        names += encoded + b"\0"
    return MAGIC + struct.pack("<I", len(entries)) + bytes(table) + bytes(names)


def run_nm(nm, elf, demangle):
    cmd = [nm, "-n", "-S", "--defined-only"]
    if demangle:
        cmd.append("-C")
    cmd.append(elf)
    try:
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, check=False)
    except OSError as e:
        raise KsymsError("cannot run %s: %s" % (nm, e))
    if result.returncode != 0:
        raise KsymsError("%s failed (exit %d): %s"
                         % (" ".join(cmd), result.returncode, result.stderr.strip()))
    return result.stdout


def main(argv):
    parser = argparse.ArgumentParser(description="Generate the Quartz kernel symbol table blob.")
    parser.add_argument("--nm", default="nm", help="nm program to run (default: nm)")
    parser.add_argument("--no-demangle", action="store_true", help="keep mangled names (no nm -C)")
    parser.add_argument("--from-nm-output", metavar="FILE",
                        help="read saved `nm -n -S --defined-only -C` output instead of running nm")
    parser.add_argument("--verify", action="store_true",
                        help="compare against an existing blob instead of writing one")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="ELF OUT (or just OUT with --from-nm-output)")
    args = parser.parse_args(argv)

    want = 1 if args.from_nm_output else 2
    if len(args.paths) != want:
        parser.error("expected %s" % ("OUT" if want == 1 else "ELF OUT"))

    try:
        if args.from_nm_output:
            with open(args.from_nm_output, encoding="utf-8") as f:
                text = f.read()
            source = args.from_nm_output
        else:
            text = run_nm(args.nm, args.paths[0], not args.no_demangle)
            source = args.paths[0]
        blob = build_blob(select_text_symbols(parse_nm(text)))
    except KsymsError as e:
        print("gen_ksyms: error: %s" % e, file=sys.stderr)
        return 1

    out = args.paths[-1]
    if args.verify:
        try:
            with open(out, "rb") as f:
                existing = f.read()
        except OSError as e:
            print("gen_ksyms: error: cannot read %s: %s" % (out, e), file=sys.stderr)
            return 1
        if existing != blob:
            print("gen_ksyms: %s is stale: it does not match the symbols of %s "
                  "(%d bytes expected, %d found)" % (out, source, len(blob), len(existing)),
                  file=sys.stderr)
            return 1
        return 0

    try:
        with open(out, "wb") as f:
            f.write(blob)
    except OSError as e:
        print("gen_ksyms: error: cannot write %s: %s" % (out, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
