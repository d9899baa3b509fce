# GDB helpers for Quartz: commands `tq`, `threads`, `btthread`, `waitq`, `modules`,
# `quartz-sync-symbols`, pretty-printers for tq_struct and task_queue_head, and automatic
# symbols for loadable modules (loaded when insmod has placed a module's sections, dropped
# before rmmod frees them).
#
# Load it with `source tools/gdb/quartz.py` (tools/gdb/gdbinit does, and tools/debug.sh
# loads that). Everything here only reads guest memory: no command resumes the target or
# writes a register, so it is safe at any stop. See docs/debugging.md.
import os
import re

import gdb
import gdb.printing

# ---------------------------------------------------------------------------------------
# Small helpers

MAX_LIST = 4096  # longest list walked before giving up (a corrupt or cyclic list)


class QuartzError(gdb.GdbError):
    pass


def _u32():
    return gdb.lookup_type("unsigned int")


def read_u32(addr):
    """The 32-bit word at guest virtual address `addr`, or None if unreadable."""
    try:
        data = gdb.selected_inferior().read_memory(addr, 4)
    except gdb.MemoryError:
        return None
    return int.from_bytes(bytes(data), "little")


def read_cstring(addr, limit=64):
    if not addr:
        return None
    try:
        data = bytes(gdb.selected_inferior().read_memory(addr, limit))
    except gdb.MemoryError:
        return None
    return data.split(b"\0", 1)[0].decode("latin-1")


def value_cstring(val, limit=64):
    """A char array or char* as a Python string."""
    if val.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
        return read_cstring(int(val.address), min(limit, val.type.sizeof))
    return read_cstring(int(val), limit)


def field_offset(type_name, path):
    """offsetof(type, a.b.c) in bytes, from the debug info."""
    t = gdb.lookup_type(type_name).strip_typedefs()
    off = 0
    for part in path.split("."):
        for f in t.fields():
            if f.name == part:
                off += f.bitpos // 8
                t = f.type.strip_typedefs()
                break
        else:
            raise QuartzError(f"{type_name} has no field {path}")
    return off


def symbolize(addr):
    """'name' or 'name+0x12' for a code address (kernel or loaded module), else None."""
    if not addr:
        return None
    try:
        out = gdb.execute(f"info symbol {addr:#x}", to_string=True).strip()
    except gdb.error:
        return None
    if not out or out.startswith("No symbol matches"):
        return None
    name = out.split(" in section ")[0]
    m = re.match(r"^(.*) \+ (\d+)$", name)
    if m:
        name = f"{m.group(1)}+{int(m.group(2)):#x}"
    return name


def describe_code(addr):
    """'0xd0000010 <sched_tick>' or '0x1234' for a code pointer."""
    name = symbolize(addr)
    return f"{addr:#x} <{name}>" if name else f"{addr:#x}"


THREAD_STATES = {"Runnable": "runnable", "Running": "running", "Blocked": "sleeping",
                 "Dead": "dead"}  # as kernel/lib/sched_core.cpp's thread_state_name (ps)


def thread_state(t):
    name = enum_name(t["sched"]["state"])
    return THREAD_STATES.get(name, name)


def enum_name(val):
    """The enumerator's own name, without namespaces: quartz::ThreadState::Blocked -> Blocked."""
    return str(val).split("::")[-1]


def eval_object(expr, fallbacks=True):
    """Evaluates `expr` as an object (a pointer is dereferenced). A bare name that is not
    found is also tried in quartz:: and quartz::(anonymous namespace):: (where the kernel
    keeps most of its statics)."""
    candidates = [expr]
    if fallbacks and re.fullmatch(r"[A-Za-z_]\w*", expr):
        candidates += [f"quartz::{expr}", f"'quartz::(anonymous namespace)::{expr}'"]
    err = None
    for c in candidates:
        try:
            val = gdb.parse_and_eval(c)
        except gdb.error as e:
            err = err or e
            continue
        if val.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            val = val.dereference()
        return val
    raise QuartzError(str(err))


def as_type(val, type_name):
    """`val` (an object or a pointer/integer address) viewed as a `type_name`."""
    t = gdb.lookup_type(type_name)
    code = val.type.strip_typedefs().code
    if code in (gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_INT):
        return gdb.Value(int(val)).cast(t.pointer()).dereference()
    if val.type.strip_typedefs().tag != t.strip_typedefs().tag:
        raise QuartzError(f"expected a {type_name} (or a pointer to one), got {val.type}")
    return val


# ---------------------------------------------------------------------------------------
# Intrusive lists (kernel/lib/intrusive_list.h): circular around a sentinel node.

def walk_intrusive(list_val, owner_type, member):
    """Yields each element (a gdb.Value of owner_type) of an IntrusiveList object."""
    sentinel = list_val["sentinel_"]
    head = int(sentinel.address)
    off = field_offset(owner_type, member)
    ptr = gdb.lookup_type(owner_type).pointer()
    node = int(sentinel["next_"])
    n = 0
    while node and node != head and n < MAX_LIST:
        yield gdb.Value(node - off).cast(ptr).dereference()
        nxt = read_u32(node)  # next_ is the node's first word
        if nxt is None:
            return
        node = nxt
        n += 1


def thread_list():
    for name in ("'quartz::(anonymous namespace)::all_threads'",):
        try:
            return gdb.parse_and_eval(name)
        except gdb.error:
            continue
    raise QuartzError("no thread list (all_threads in kernel/sched.cpp) in the symbols: is "
                      "quartz.elf loaded?")


def all_threads():
    return list(walk_intrusive(thread_list(), "quartz::Thread", "all_node"))


def current_thread_addr():
    try:
        cur = gdb.parse_and_eval("'quartz::(anonymous namespace)::core'.current_")
        return int(cur)
    except gdb.error:
        return None


def find_thread(key):
    threads = all_threads()
    for t in threads:
        if value_cstring(t["name"]) == key:
            return t
    try:
        num = int(key, 0)
    except ValueError:
        num = None
    if num is not None:
        for t in threads:
            if int(t["id"]) == num:
                return t
        for t in threads:  # an address of a Thread
            if int(t.address) == num:
                return t
    names = ", ".join(f"{int(t['id'])} {value_cstring(t['name'])}" for t in threads)
    raise QuartzError(f"no thread {key!r} (threads: {names})")


def thread_wait_desc(t):
    s = t["sched"]
    wq = int(s["waiting_on"])
    if wq:
        name = read_cstring(int(s["waiting_on"]["name"])) or "?"
        return f"{name} ({wq:#x})"
    if int(s["timer_node"]["next_"]):
        return "(timer)"
    return "-"


# ---------------------------------------------------------------------------------------
# Task queues

def tq_tasks(queue, field):
    """The tasks of a queue's `head` (pending) or `batch` (being drained) list."""
    task = queue[field]
    seen = set()
    while int(task) and int(task) not in seen and len(seen) < MAX_LIST:
        seen.add(int(task))
        yield task.dereference()
        task = task["tq_next"]


def tq_task_state(task):
    magic = int(task["tq_magic"])
    sync = int(task["sync"])
    parts = []
    if sync & 1:
        q = int(task["tq_queue"])
        qname = read_cstring(int(task["tq_queue"]["name"])) if q else None
        parts.append(f"pending on {qname or hex(q)}" if q else "pending (in a drain's batch)")
    elif magic == 0x6B6B7451:
        parts.append("FREED")
    elif magic == 0:
        parts.append("never queued")
    else:
        parts.append("idle")
    try:
        if int(gdb.parse_and_eval("tq_timer.running")) == int(task.address):
            parts.append("its routine is running now (tq_timer)")
    except gdb.error:
        pass
    if sync >> 8:
        parts.append(f"{sync >> 8} cancel(s) in progress")
    return ", ".join(parts)


def tq_task_line(task):
    routine = describe_code(int(task["routine"]))
    return (f"tq_struct {int(task.address):#x}: routine {routine}, data {int(task['data']):#x}, "
            f"{tq_task_state(task)}")


def tq_registry():
    """Every registered queue, from the registry's head (kernel/lib/task_queue.h:
    TqRegistry<Guard>::head, a static member of a class template, one per guard type)."""
    out = gdb.execute("info variables -q ^quartz::TqRegistry<.*>::head$", to_string=True)
    m = re.search(r"^(0x[0-9a-f]+)\s+quartz::TqRegistry<.*>::head$", out, re.M)
    if m:
        addr = int(m.group(1), 16)
    else:  # with debug information, `info variables` lists it by file and type instead
        try:
            addr = int(gdb.parse_and_eval(
                "&'quartz::TqRegistry<quartz::InterruptDisabler>::head'"))
        except gdb.error:
            raise QuartzError("the task queue registry (quartz::TqRegistry<...>::head) is not "
                              "in the symbols")
    head = read_u32(addr)
    qtype = gdb.lookup_type("task_queue_head").pointer()
    seen = set()
    while head and head not in seen:
        seen.add(head)
        q = gdb.Value(head).cast(qtype).dereference()
        yield q
        head = int(q["next_queue"])


def tq_show(queue):
    name = read_cstring(int(queue["name"])) or "(unnamed)"
    gdb.write(f"{name} ({int(queue.address):#x}): {int(queue['queued'])} queued, "
              f"{'draining' if int(queue['draining']) else 'not draining'}; "
              f"{int(queue['drains'])} drains, {int(queue['tasks_run'])} tasks run, "
              f"{int(queue['delayed'])} delayed, {int(queue['skipped'])} skipped ticks\n")
    running = int(queue["running"])
    if running:
        gdb.write(f"  running now: tq_struct {running:#x}, routine "
                  f"{describe_code(int(queue['running_routine']))}\n")
    any_task = False
    for label, field in (("pending", "head"), ("rest of the batch being drained", "batch")):
        tasks = list(tq_tasks(queue, field))
        if tasks:
            any_task = True
            gdb.write(f"  {label}:\n")
            for i, t in enumerate(tasks):
                gdb.write(f"    [{i}] {tq_task_line(t)}\n")
    if not any_task:
        gdb.write("  (no tasks queued)\n")


class TqCommand(gdb.Command):
    """Show a task queue: its tasks (routine symbol, data, state) and counters.
Usage: tq [QUEUE]   QUEUE is an expression (a task_queue or a pointer to one);
                    default tq_timer. `tq --all` shows every registered queue."""

    def __init__(self):
        super().__init__("tq", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if arg in ("--all", "-a"):
            for q in tq_registry():
                tq_show(q)
            return
        queue = as_type(eval_object(arg or "tq_timer"), "task_queue_head")
        tq_show(queue)


# ---------------------------------------------------------------------------------------
# Threads and wait queues

class ThreadsCommand(gdb.Command):
    """List the kernel threads: id, name, state, what each sleeps on, ticks run, saved ESP.
The running thread is marked with '*'. See also: btthread, waitq."""

    def __init__(self):
        super().__init__("threads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        cur = current_thread_addr()
        gdb.write(f"  {'ID':>3} {'NAME':<15} {'STATE':<9} {'WAITING ON':<28} {'TICKS':>8} "
                  f"{'SAVED ESP':>10}  THREAD\n")
        for t in all_threads():
            s = t["sched"]
            mark = "*" if int(t.address) == cur else " "
            esp = "-" if mark == "*" else f"{int(t['saved_esp']):#x}"
            gdb.write(f"{mark} {int(t['id']):>3} {value_cstring(t['name']):<15} "
                      f"{thread_state(t):<9} {thread_wait_desc(t):<28} "
                      f"{int(s['ticks_run']):>8} {esp:>10}  {int(t.address):#x}\n")


def frame_desc(pc):
    """'func (inlined into outer) at file:line' for a return address (looked up at pc-1,
    the call instruction), falling back to the minimal symbol."""
    look = pc - 1
    names = []
    try:
        block = gdb.block_for_pc(look)
    except RuntimeError:
        block = None
    while block is not None and not (block.is_global or block.is_static):
        if block.function is not None:
            names.append(block.function.print_name)
        block = block.superblock
    where = ""
    sal = gdb.find_pc_line(look)
    if sal.symtab is not None and sal.line:
        where = f" at {sal.symtab.filename}:{sal.line}"
    if not names:
        sym = symbolize(look)
        names = [sym.split("+")[0] if sym else "??"]
    desc = names[0]
    if len(names) > 1:
        desc += " [inlined into " + " <- ".join(names[1:]) + "]"
    return desc + where


class BtThreadCommand(gdb.Command):
    """Backtrace of a kernel thread, also one that is not running.
Usage: btthread ID|NAME
A sleeping thread's registers were pushed by switch_context (edi, esi, ebx, ebp, return
address at its saved ESP); the frame-pointer chain is walked from there. Nothing is
written to the target. For the running thread this is plain `bt`."""

    def __init__(self):
        super().__init__("btthread", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if not arg:
            raise QuartzError("usage: btthread ID|NAME (see `threads`)")
        t = find_thread(arg)
        name = value_cstring(t["name"])
        if int(t.address) == current_thread_addr():
            gdb.write(f"thread {int(t['id'])} {name} is running: its backtrace is `bt`\n")
            gdb.execute("bt", to_string=False)
            return
        esp = int(t["saved_esp"])
        gdb.write(f"thread {int(t['id'])} {name}, {thread_state(t)}, waiting on "
                  f"{thread_wait_desc(t)}, saved esp {esp:#x}\n")
        ebp = read_u32(esp + 12)
        pc = read_u32(esp + 16)
        if pc is None:
            raise QuartzError(f"cannot read the saved registers at {esp:#x}")
        gdb.write(f"#0  {pc:#010x} in {frame_desc(pc)}  (switch_context returns here)\n")
        n = 1
        lo, hi = int(t["stack_low"]), int(t["stack_high"])
        while ebp and n < 64:
            if lo and hi and not (lo <= ebp < hi):
                break  # left the thread's stack (e.g. the boot stack's end marker)
            ret = read_u32(ebp + 4)
            nxt = read_u32(ebp)
            if not ret or nxt is None:
                break
            gdb.write(f"#{n:<2} {ret:#010x} in {frame_desc(ret)}\n")
            n += 1
            if nxt <= ebp:
                break
            ebp = nxt


class WaitqCommand(gdb.Command):
    """List the threads sleeping on a wait queue.
Usage: waitq EXPR   EXPR is a wait_queue_head (or a pointer to one), e.g. `waitq input_wq`
                    or `waitq &WaitQ`; a bare name is also looked up in quartz::.
       waitq        every wait queue some thread sleeps on."""

    def __init__(self):
        super().__init__("waitq", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if not arg:
            queues = {}
            for t in all_threads():
                wq = int(t["sched"]["waiting_on"])
                if wq:
                    queues.setdefault(wq, None)
            if not queues:
                gdb.write("no thread sleeps on a wait queue\n")
            for wq in queues:
                self.show(gdb.Value(wq).cast(gdb.lookup_type("wait_queue_head").pointer())
                          .dereference())
            return
        self.show(as_type(eval_object(arg), "wait_queue_head"))

    @staticmethod
    def show(wq):
        name = read_cstring(int(wq["name"])) or "(unnamed)"
        head = int(wq["sleepers"].address)
        off = field_offset("quartz::Thread", "sched.wait_link")
        tptr = gdb.lookup_type("quartz::Thread").pointer()
        link = int(wq["sleepers"]["next"])
        sleepers = []
        while link and link != head and len(sleepers) < MAX_LIST:
            sleepers.append(gdb.Value(link - off).cast(tptr).dereference())
            link = read_u32(link) or 0
        gdb.write(f"wait queue {name} ({head:#x}): {len(sleepers)} sleeper(s)\n")
        now = None
        try:
            now = int(gdb.parse_and_eval("jiffies"))
        except gdb.error:
            pass
        for t in sleepers:
            s = t["sched"]
            since = ""
            if now is not None:
                since = f", asleep {now - int(s['blocked_since'])} ticks"
            how = "sleep_on" if int(s["watched"]) else "wait_event"
            gdb.write(f"  {int(t['id']):>3} {value_cstring(t['name']):<15} "
                      f"{thread_state(t)} ({how}{since})\n")


# ---------------------------------------------------------------------------------------
# Modules and their symbols

class ModulesDirParameter(gdb.Parameter):
    """Where tools/gdb/quartz.py finds NAME.ko for a module's symbols (empty: the
    `modules` directory next to the kernel ELF, i.e. build/modules)."""
    set_doc = "Set the directory of the modules' .ko files for automatic module symbols."
    show_doc = "Show the directory of the modules' .ko files for automatic module symbols."

    def __init__(self):
        super().__init__("quartz-modules-dir", gdb.COMMAND_FILES, gdb.PARAM_OPTIONAL_FILENAME)
        self.value = ""

    def get_show_string(self, svalue):
        return f"Module .ko files are looked up in {modules_dir()!r}."

    def get_set_string(self):
        return ""


class VerboseParameter(gdb.Parameter):
    """Whether quartz.py says when it loads or drops a module's symbols."""
    set_doc = "Set whether automatic module symbols are announced."
    show_doc = "Show whether automatic module symbols are announced."

    def __init__(self):
        super().__init__("quartz-verbose", gdb.COMMAND_SUPPORT, gdb.PARAM_BOOLEAN)
        self.value = True

    def get_set_string(self):
        return ""


_modules_dir_param = None
_verbose_param = None


def modules_dir():
    if _modules_dir_param is not None and _modules_dir_param.value:
        return os.path.expanduser(_modules_dir_param.value)
    try:
        d = gdb.parse_and_eval("$quartz_modules_dir")
        if d.type.code != gdb.TYPE_CODE_VOID:
            return d.string()
    except gdb.error:
        pass
    kernel = gdb.current_progspace().filename
    if kernel:
        return os.path.join(os.path.dirname(os.path.abspath(kernel)), "modules")
    return "modules"


def say(text):
    if _verbose_param is None or _verbose_param.value:
        gdb.write(f"[quartz] {text}\n")


# name -> (text address, path) of the module symbol files we added
_loaded_syms = {}
# addresses of struct module whose unload event we saw (still listed until freed)
_going = set()


def module_sections(m):
    out = []
    for i in range(min(int(m["nsections"]), 24)):
        sec = m["sections"][i]
        out.append((read_cstring(int(sec["name"])) or f"?{i}", int(sec["addr"])))
    return out


def load_module_symbols(m):
    name = value_cstring(m["name"])
    text = int(m["text_addr"])
    if not name:
        return
    old = _loaded_syms.get(name)
    if old and old[0] == text:
        return
    if old:
        drop_module_symbols(name)
    path = os.path.join(modules_dir(), name + ".ko")
    if not os.path.exists(path):
        say(f"module {name} at {text:#x}: no {path} for its symbols "
            f"(set quartz-modules-dir DIR)")
        return
    sections = module_sections(m)
    textaddr = dict(sections).get(".text", text)
    cmd = f"add-symbol-file {path} {textaddr:#x}"
    for sname, addr in sections:
        if sname != ".text":
            cmd += f" -s {sname} {addr:#x}"
    gdb.execute(cmd, to_string=True)
    _loaded_syms[name] = (textaddr, path)
    say(f"module {name} loaded at {text:#x}: symbols from {path}")


def drop_module_symbols(name, reloading=False):
    """Drops a module's symbols: it was unloaded, or (reloading) they are about to be read
    again by quartz-sync-symbols, which must not claim the module went away."""
    entry = _loaded_syms.pop(name, None)
    if not entry:
        return
    try:
        gdb.execute(f"remove-symbol-file -a {entry[0]:#x}", to_string=True)
    except gdb.error as e:
        say(f"module {name}: could not drop its symbols: {e}")
        return
    if not reloading:
        say(f"module {name} unloaded: symbols dropped")


def module_list():
    try:
        return gdb.parse_and_eval("quartz::g_modules")
    except gdb.error:
        raise QuartzError("no module list (quartz::g_modules) in the symbols")


def loaded_modules():
    return list(walk_intrusive(module_list(), "module", "node"))


def sync_module_symbols():
    """Makes GDB's module symbol files match the kernel's module list (for a GDB that
    attaches after modules were loaded, or after a missed event)."""
    try:
        mods = loaded_modules()
    except (gdb.error, QuartzError):
        return
    live = {}
    listed = set()
    for m in mods:
        listed.add(int(m.address))
        name = value_cstring(m["name"])
        if name and int(m.address) not in _going:
            live[name] = m
    _going.intersection_update(listed)
    for name in list(_loaded_syms):
        if name not in live or int(live[name]["text_addr"]) != _loaded_syms[name][0]:
            drop_module_symbols(name)
    for name, m in live.items():
        if name not in _loaded_syms:
            load_module_symbols(m)


class ModuleEventBreakpoint(gdb.Breakpoint):
    """Internal, silent: at the first instruction of quartz_module_event(m, loaded) the
    arguments are at esp+4 and esp+8 (cdecl), whatever the optimisation level."""

    def __init__(self):
        super().__init__("*quartz_module_event", gdb.BP_BREAKPOINT, internal=True)
        self.silent = True

    def stop(self):
        try:
            esp = int(gdb.parse_and_eval("$esp")) & 0xFFFFFFFF
            maddr, loaded = read_u32(esp + 4), read_u32(esp + 8)
            if maddr:
                m = gdb.Value(maddr).cast(gdb.lookup_type("module").pointer()).dereference()
                if loaded:
                    _going.discard(maddr)
                    load_module_symbols(m)
                else:
                    _going.add(maddr)
                    drop_module_symbols(value_cstring(m["name"]))
        except Exception as e:  # never stop the kernel because of us
            gdb.write(f"[quartz] module event: {e}\n")
        return False


_event_bp = None


def ensure_event_breakpoint():
    global _event_bp
    if _event_bp is not None and _event_bp.is_valid():
        return
    try:
        gdb.parse_and_eval("quartz_module_event")
    except gdb.error:
        return  # no kernel symbols yet (try again when a file is loaded)
    _event_bp = ModuleEventBreakpoint()


class ModulesCommand(gdb.Command):
    """List the loaded modules: state, addresses, sizes, sections, and whether GDB has
their symbols (they are added and dropped automatically on insmod and rmmod)."""

    def __init__(self):
        super().__init__("modules", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        sync_module_symbols()
        mods = loaded_modules()
        if not mods:
            gdb.write("no modules loaded\n")
            return
        gdb.write(f"{'NAME':<14} {'STATE':<7} {'TEXT':>10} {'SIZE':>6} {'DATA':>10} {'SIZE':>6} "
                  f"{'REFS':>4}  SYMBOLS\n")
        for m in mods:
            name = value_cstring(m["name"])
            syms = _loaded_syms.get(name)
            gdb.write(f"{name:<14} {enum_name(m['life']['state']).lower():<7} "
                      f"{int(m['text_addr']):#10x} {int(m['text_size']):>6} "
                      f"{int(m['data_addr']):#10x} {int(m['data_size']):>6} "
                      f"{int(m['life']['users']):>4}  {syms[1] if syms else '(none)'}\n")
            secs = "  ".join(f"{n} {a:#x}" for n, a in module_sections(m))
            gdb.write(f"    sections: {secs}\n")


class SyncSymbolsCommand(gdb.Command):
    """Reload the module symbols from the kernel's module list (normally automatic)."""

    def __init__(self):
        super().__init__("quartz-sync-symbols", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        for name in list(_loaded_syms):
            drop_module_symbols(name, reloading=True)
        sync_module_symbols()


def _on_stop(event):
    sync_module_symbols()


def _on_new_objfile(event):
    ensure_event_breakpoint()


def _on_exited(event):
    _loaded_syms.clear()
    _going.clear()


# ---------------------------------------------------------------------------------------
# Pretty-printers

class TqStructPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        return (f"tq_struct {{routine = {describe_code(int(v['routine']))}, "
                f"data = {int(v['data']):#x}, {tq_task_state(v)}}}")


class TaskQueuePrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        v = self.val
        name = read_cstring(int(v["name"])) or "(unnamed)"
        state = "draining" if int(v["draining"]) else "idle"
        text = (f"task_queue {name}: {int(v['queued'])} queued, {state}, "
                f"{int(v['drains'])} drains, {int(v['tasks_run'])} tasks run, "
                f"{int(v['delayed'])} delayed, {int(v['skipped'])} skipped")
        if int(v["running"]):
            text += f", running {describe_code(int(v['running_routine']))}"
        return text

    def children(self):
        for i, t in enumerate(tq_tasks(self.val, "head")):
            yield f"[{i}]", t
        for i, t in enumerate(tq_tasks(self.val, "batch")):
            yield f"batch[{i}]", t


def build_pretty_printers():
    pp = gdb.printing.RegexpCollectionPrettyPrinter("quartz")
    pp.add_printer("tq_struct", "^tq_struct$", TqStructPrinter)
    pp.add_printer("task_queue_head", "^task_queue_head$", TaskQueuePrinter)
    return pp


# ---------------------------------------------------------------------------------------
# User processes (kernel/process/process.cpp's table) and user programs' symbols

def process_table():
    try:
        return gdb.parse_and_eval("quartz::g_processes")
    except gdb.error:
        raise QuartzError("no process table (quartz::g_processes, kernel/process/process.cpp) in the symbols")


def all_processes():
    table = process_table()
    n = table.type.strip_typedefs().range()[1] + 1
    procs = []
    for i in range(n):
        p = table[i]
        if int(p):
            procs.append(p.dereference())
    return sorted(procs, key=lambda p: int(p["pid"]))


def current_process():
    cur = current_thread_addr()
    if not cur:
        return None
    t = gdb.Value(cur).cast(gdb.lookup_type("quartz::Thread").pointer()).dereference()
    p = int(t["process"])
    return t["process"].dereference() if p else None


class ProcessesCommand(gdb.Command):
    """List the user processes: pid, parent, state, program, thread, pages, page directory.
The process running now (if a process runs) is marked with '*'."""

    def __init__(self):
        super().__init__("processes", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        cur = current_process()
        cur_addr = int(cur.address) if cur is not None else 0
        gdb.write(f"  {'PID':>5} {'PPID':>5} {'STATE':<8} {'PROGRAM':<16} {'THREAD':>6} "
                  f"{'PAGES':>6} {'CR3':>10}\n")
        for p in all_processes():
            mark = "*" if int(p.address) == cur_addr else " "
            t = p["thread"]
            tid = str(int(t.dereference()["id"])) if int(t) else "-"
            asp = p["as"]
            pages = int(asp.dereference()["pages"]) if int(asp) else 0
            cr3 = f"{int(asp.dereference()['pd']):#x}" if int(asp) else "-"
            gdb.write(f"{mark} {int(p['pid']):>5} {int(p['ppid']):>5} {enum_name(p['state']):<8} "
                      f"{value_cstring(p['name']):<16} {tid:>6} {pages:>6} {cr3:>10}\n")


def user_program_path(name):
    build = os.path.dirname(os.path.abspath(gdb.current_progspace().filename or "build/x"))
    for sub in ("bin", "sbin", "tests"):
        path = os.path.join(build, "user", sub, name)
        if os.path.exists(path):
            return path
    raise QuartzError(f"no user program {name!r} in {build}/user/{{bin,sbin,tests}}")


class UprogramCommand(gdb.Command):
    """Load a user program's symbols: `uprogram cat` (from build/user/bin, sbin or tests).
Programs are linked at 0x40000000, above the kernel, so their symbols and the kernel's do
not overlap; every program uses the same addresses, so a breakpoint in one also stops the
others: `break main if $_streq($comm(), "cat")` stops only in cat."""

    def __init__(self):
        super().__init__("uprogram", gdb.COMMAND_FILES, gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        if not name:
            raise QuartzError("usage: uprogram NAME (e.g. uprogram cat)")
        path = user_program_path(name)
        for objfile in gdb.objfiles():  # one user program's symbols at a time
            fn = objfile.filename or ""
            if os.sep + "user" + os.sep in fn and fn != path:
                gdb.execute(f"remove-symbol-file {fn}", to_string=True)
        gdb.execute(f"add-symbol-file {path}", to_string=True)
        gdb.write(f"uprogram: symbols of {path}\n")


class CommFunction(gdb.Function):
    """$comm(): the name of the user program running now ("" in a kernel thread), as
Linux's task->comm. For conditions: break main if $_streq($comm(), "cat")."""

    def __init__(self):
        super().__init__("comm")

    def invoke(self):
        p = current_process()
        return value_cstring(p["name"]) if p is not None else ""


# ---------------------------------------------------------------------------------------
# Registration (idempotent enough for a second `source`)

if not getattr(gdb, "_quartz_loaded", False):
    gdb._quartz_loaded = True
    TqCommand()
    ThreadsCommand()
    BtThreadCommand()
    WaitqCommand()
    ModulesCommand()
    SyncSymbolsCommand()
    ProcessesCommand()
    UprogramCommand()
    CommFunction()
    _modules_dir_param = ModulesDirParameter()
    _verbose_param = VerboseParameter()
    gdb._quartz_params = (_modules_dir_param, _verbose_param)
    gdb.printing.register_pretty_printer(None, build_pretty_printers(), replace=True)
    gdb.events.stop.connect(_on_stop)
    gdb.events.new_objfile.connect(_on_new_objfile)
    gdb.events.exited.connect(_on_exited)
    ensure_event_breakpoint()
else:
    _modules_dir_param, _verbose_param = gdb._quartz_params
