#!/usr/bin/env python3
"""Stages the initramfs tree and packs it with `cpio -o -H newc` into one archive.

  mkinitramfs.py --cpio CPIO --stage DIR --out FILE.cpio [--objcopy OBJCOPY]
                 [--program DEST=SRC]... [--file DEST=SRC]... [--tree DEST=SRCDIR]...
                 [--dir DEST]...

--program copies a program to DEST (a path inside the archive, e.g. bin/sh) without its debug
information (objcopy --strip-debug: a quarter of the size; build/user keeps the full ones for
GDB), --file copies a file as it is, --tree the regular files of a folder, --dir makes an
(empty) folder. Reproducible: the file list is sorted,
every mtime is 0 (or $SOURCE_DATE_EPOCH), owners are root, modes are fixed (0755 folders and
files executable at the source, 0644 the others), and cpio's --reproducible drops device and inode numbers."""
import argparse
import os
import shutil
import subprocess
import sys


def stage(root, programs, files, trees, dirs, objcopy):
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for dest, src in programs:
        target = os.path.join(root, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if objcopy:
            subprocess.run([objcopy, "--strip-debug", src, target], check=True)
        else:
            shutil.copy(src, target)
    for dest, src in files:
        target = os.path.join(root, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy(src, target)  # with its mode: programs stay executable
    for dest, src in trees:
        for name in sorted(os.listdir(src)):
            if os.path.isfile(os.path.join(src, name)):
                target = os.path.join(root, dest, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy(os.path.join(src, name), target)


def normalise(root, mtime):
    """Fixed modes and times; returns the archive's paths, sorted (parents first)."""
    paths = []
    for base, subdirs, names in os.walk(root):
        for name in subdirs + names:
            full = os.path.join(base, name)
            paths.append(os.path.relpath(full, root))
            if os.path.isdir(full):
                os.chmod(full, 0o755)
            else:
                os.chmod(full, 0o755 if os.stat(full).st_mode & 0o111 else 0o644)
            os.utime(full, (mtime, mtime))
    return sorted(paths)


def pair(text):
    dest, sep, src = text.partition("=")
    if not sep or not dest or not src:
        raise argparse.ArgumentTypeError(f"expected DEST=SRC, got {text!r}")
    return dest.strip("/"), src


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpio", default="cpio")
    ap.add_argument("--stage", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--objcopy", help="strips the --program files (else they are copied whole)")
    ap.add_argument("--program", type=pair, action="append", default=[])
    ap.add_argument("--file", type=pair, action="append", default=[])
    ap.add_argument("--tree", type=pair, action="append", default=[])
    ap.add_argument("--dir", action="append", default=[])
    args = ap.parse_args()
    for _, src in args.program + args.file + args.tree:
        if not os.path.exists(src):
            print(f"mkinitramfs: {src}: No such file or directory", file=sys.stderr)
            return 1
    stage(args.stage, args.program, args.file, args.tree, [d.strip("/") for d in args.dir],
          args.objcopy)
    paths = normalise(args.stage, int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as out:
        r = subprocess.run([args.cpio, "-o", "-H", "newc", "--reproducible", "-R", "0:0",
                            "--quiet"],
                           input="\n".join(paths) + "\n", text=True, cwd=args.stage,
                           stdout=out, stderr=subprocess.PIPE)
    if r.returncode != 0:
        print(f"mkinitramfs: cpio failed: {r.stderr.strip()}", file=sys.stderr)
        os.unlink(tmp)
        return 1
    os.replace(tmp, args.out)
    print(f"mkinitramfs: {args.out}: {len(paths)} entries, {os.path.getsize(args.out)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
