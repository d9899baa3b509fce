"""Memory at every size: RAM up to 1 GiB is found, counted and handed out (the identity
map covers it in 4 MiB pages), RAM beyond (user memory's addresses) is reported and left
unused, and the self-tests pass at each size (docs/memory.md)."""
import re

from quartz_qemu import Qemu, exit_status

LIMIT_MIB = 1024  # kernel/arch/x86/paging.h kIdentityLimit


def boot(build, memory, extra=()):
    """Boots with `memory` MiB, runs `mem` and the self-tests; returns the figures."""
    with Qemu(build, memory=memory, icount=True, extra=extra,
              append='panic=exit run="mem; selftest --exit"') as q:
        usable_kib = int(q.expect(r"memory: (\d+) KiB usable").group(1))
        free, total = map(int, q.expect(r"pages: (\d+) free of (\d+) ").groups())
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0 and int(m.group(1)) > 0, q.output[-3000:]
        assert q.wait_exit() == exit_status(0)
        unused = re.search(rf"memory: (\d+) MiB of RAM above {LIMIT_MIB} MiB left unused",
                           q.output)
        assert usable_kib == total * 4, q.output[:1000]
        return {"total": total, "free": free, "unused_mib": int(unused.group(1)) if unused else 0}


def bitmap_pages(total_pages_about):
    """Frames the page bitmap takes: one bit per page up to the top of RAM."""
    return -(-total_pages_about // (8 * 4096))


def memory_every_mib_up_to_1gib_is_counted(build):
    small, big = boot(build, 8), boot(build, 1024)
    # Everything but the RAM itself is the same at both sizes (first MiB, kernel image,
    # the firmware's reserved top): 1016 MiB more is 1016 MiB more pages, less the
    # bitmap's growth.
    assert big["total"] - small["total"] == (1016 * 256 - (bitmap_pages(1024 * 256) -
                                                            bitmap_pages(8 * 256))), (small, big)
    assert small["unused_mib"] == big["unused_mib"] == 0
    # The identity map takes no page table per 4 MiB (1 GiB in 4 KiB tables would take
    # 256 frames): only a few frames are in use after boot and the self-tests.
    assert big["total"] - big["free"] < 64, big


def memory_above_1gib_is_left_unused(build):
    # 1 GiB and up are user addresses. With 3584 MiB QEMU puts 3 GiB below 4 GiB and
    # 512 MiB above (out of reach of 32-bit paging without PAE anyway).
    low, mid, high = boot(build, 1024), boot(build, 2048), boot(build, 3584)
    assert low["unused_mib"] == 0, low
    # All of it but what the firmware keeps at the top of the low RAM (under 1 MiB).
    assert 1023 <= mid["unused_mib"] <= 1024, mid
    assert high["unused_mib"] - mid["unused_mib"] == 3584 - 2048, (mid, high)
    # With 1 GiB the firmware's reserved top lies inside it; above, every frame counts.
    assert low["total"] <= mid["total"] == high["total"], (low, mid, high)
    assert low["total"] * 4 > (LIMIT_MIB - 8) * 1024, low  # all but the first MiBs


def memory_without_large_pages(build):
    # A CPU without PSE gets the identity map in 4 KiB tables: one frame per 4 MiB.
    r = boot(build, 128, extra=["-cpu", "qemu32,-pse"])
    assert r["total"] - r["free"] >= 32, r
