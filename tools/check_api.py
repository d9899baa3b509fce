#!/usr/bin/env python3
"""Checks that the module API headers (modules/include/quartz/*.h, and the <linux/...>
headers of modules/compat/linux/*.h for --linux modules) and the kernel's export table
(EXPORT_SYMBOL in kernel/) name exactly the same functions and variables. Declarations
marked unavailable (an old API refused at build time) are not exports.
Usage: tools/check_api.py [--root DIR]. Exits 1 naming each difference."""
import argparse
import glob
import os
import re
import sys

# A file-scope declaration in a C header: `type name(args);` or `extern type name;`.
# Macros, typedefs, struct bodies and comments are stripped first.
# One statement (the text between two semicolons or braces), after stripping.
# The arguments may hold one level of parentheses: a function-pointer parameter.
DECL_FN = re.compile(r"^\s*(?:extern\s+)?[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\((?:[^(){}]|\([^(){}]*\))*\)\s*"
                     r"(?:__attribute__\s*\(\(.*\)\)\s*)?$", re.S)
DECL_VAR = re.compile(r"^\s*extern\s+[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*$", re.S)
EXPORT = re.compile(r"^\s*EXPORT_SYMBOL\(\s*([A-Za-z_]\w*)\s*\)\s*;", re.M)


def strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    # Preprocessor lines, with their continuations.
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    # Bodies of structs, enums, unions and extern "C" { ... } wrappers' contents stay;
    # struct bodies go (their members are not declarations of the API).
    while True:
        new = re.sub(r"\b(struct|union|enum)\s+\w*\s*\{[^{}]*\}", r"\1 X", text)
        if new == text:
            break
        text = new
    text = text.replace('extern "C" {', ";").replace('extern "C"{', ";")
    return text


def declared(root):
    names = {}
    paths = sorted(glob.glob(os.path.join(root, "modules", "include", "quartz", "*.h")))
    paths += sorted(glob.glob(os.path.join(root, "modules", "compat", "linux", "*.h")))
    for path in paths:
        text = strip(open(path, encoding="utf-8").read())
        for statement in re.split(r"[;{}]", text):
            if "unavailable" in statement:
                continue  # refused at build time: nothing to export
            m = DECL_FN.match(statement) or DECL_VAR.match(statement)
            if m and not statement.lstrip().startswith(("typedef", "static")):
                name = m.group(1)
                if name in ("init_module", "cleanup_module"):
                    continue  # defined by every module, not by the kernel
                names.setdefault(name, os.path.relpath(path, root))
    return names


def exported(root):
    names = {}
    for path in sorted(glob.glob(os.path.join(root, "kernel", "**", "*.cpp"), recursive=True)):
        for m in EXPORT.finditer(open(path, encoding="utf-8").read()):
            names.setdefault(m.group(1), os.path.relpath(path, root))
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = ap.parse_args()
    decl, exp = declared(args.root), exported(args.root)
    # The module's own identity is resolved by the loader, not exported.
    decl.pop("__this_module", None)
    # Called by compiler-generated code in C++ modules, not declared for authors.
    compiler_helpers = {"__cxa_atexit"}
    bad = 0
    for name in sorted(set(decl) - set(exp)):
        print(f"check_api: {name} is declared in {decl[name]} but the kernel does not export it")
        bad += 1
    for name in sorted(set(exp) - set(decl) - compiler_helpers):
        print(f"check_api: {name} is exported by {exp[name]} but no module API header declares it")
        bad += 1
    if bad:
        return 1
    print(f"check_api: {len(decl)} declarations, all exported; nothing else exported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
