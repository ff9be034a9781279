#!/usr/bin/python3
# Print what a debugger needs from a crash dump, through drgn: kernel
# release, the crashed thread's backtrace, the task list, the tail of the
# kernel log and its panic line, and slab caches with their object counts.
# Run it on the original vmcore and on a filtered dump: the outputs must be
# identical, which shows no page the kernel was using was dropped.
#
#   drgn-check.py VMLINUX DUMPFILE
import sys

import drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.printk import get_printk_records
from drgn.helpers.linux.slab import for_each_slab_cache, slab_cache_for_each_allocated_object

vmlinux, dump = sys.argv[1], sys.argv[2]
prog = drgn.Program()
prog.set_core_dump(dump)
prog.load_debug_info([vmlinux])

print("release", prog["UTS_RELEASE"].string_().decode())
thread = prog.crashed_thread()
print("crashed pid", thread.tid)
try:
    for frame in thread.stack_trace():
        print("  frame", frame.name)
except Exception as e:  # Debian 12's drgn cannot unwind 6.12 ORC: say so, go on
    print("  stack trace unavailable:", e)

tasks = sorted((t.pid.value_(), t.comm.string_().decode()) for t in for_each_task(prog))
print("tasks", len(tasks))
for pid, comm in tasks:
    print("  task", pid, comm)

records = get_printk_records(prog)
print("log records", len(records))
panic = [r for r in records if r.text.startswith(b"Kernel panic - not syncing")]
print("panic", panic[0].text.decode(errors="replace") if panic else "(none in the log)")
for r in records[-20:]:
    print("  log", r.text.decode(errors="replace"))

caches = 0
for cache in for_each_slab_cache(prog):
    caches += 1
    name = cache.name.string_().decode()
    if name in ("task_struct", "mm_struct", "files_cache", "signal_cache", "cred_jar"):
        # Walking allocated objects reads the slab pages themselves.
        try:
            n = sum(1 for _ in slab_cache_for_each_allocated_object(cache, "void"))
        except Exception as e:
            n = "unavailable (%s)" % e
        print("  slab", name, cache.object_size.value_(), "allocated", n)
print("slab caches", caches)
