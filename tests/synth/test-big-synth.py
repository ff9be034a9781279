#!/usr/bin/python3
# A big sparse synthetic vmcore (GiBs of RAM, mostly holes): the generator
# writes it sparse and quickly, and kcatch-filter at -d 31 and -d 1 keeps
# exactly the pages the expectation predicts. Streams run lists (the
# expectation file and kdump-verify --list), so millions of PFNs cost
# seconds. Prints TAP.
#
#   test-big-synth.py KCATCH_FILTER KDUMP_VERIFY MKVMCORE SPEC
import os
import subprocess
import sys
import tempfile
import time

from synthtap import DL_ZERO, DL_CACHE, DL_PRIV, DL_USER, DL_FREE, ok, excluded  # noqa: F401
import synthtap

kf, kv, mk, spec = sys.argv[1:5]






def expected_status(cls, level):
    """What kdump-verify --list must say: zero pages stay in the dump as
    references to the shared zero page (as makedumpfile writes them)."""
    if cls == "zero" and level & DL_ZERO:
        return "zero"
    return "excluded" if excluded(cls, level) else "kept"


def runs(lines):
    """(first, last, word) from 'FIRST[-LAST] WORD' lines."""
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        rng, word = line.split()[:2]
        a, _, b = rng.partition("-")
        yield int(a, 16), int(b or a, 16), word


def compare(expect_runs, got_runs, level):
    """Sweep both run lists; return (pages compared, first mismatches)."""
    got = iter(got_runs)
    g = next(got, None)
    pages, bad = 0, []
    for a, b, cls in expect_runs:
        want = expected_status(cls, level)
        p = a
        while p <= b:
            while g is not None and g[1] < p:
                g = next(got, None)
            if g is None or g[0] > p:
                # not in the dump's bitmap 1 at all
                end = b if g is None else min(b, g[0] - 1)
                have = "absent"
            else:
                end = min(b, g[1])
                have = g[2]
            if have != want and len(bad) < 10:
                bad.append("PFNs %#x-%#x: class %s, expected %s, dump says %s" % (p, end, cls, want, have))
            pages += end - p + 1
            p = end + 1
    return pages, bad


def header(path):
    h = {}
    for line in open(path):
        if not line.startswith("#"):
            break
        w = line.split()
        if len(w) >= 4 and w[1] == "level" and w[3] == "excluded":
            h["excluded%s" % w[2]] = int(w[4])
        if len(w) >= 5 and w[1] == "max_pfn":
            h["ram_pages"] = int(w[4])
    return h


# The vmcore is GiBs of holes: on tmpfs, the filter's mmap of a hole would
# allocate memory for it, so work on a disk filesystem ($BIG_TMPDIR, else
# /var/tmp) and skip when that is tmpfs or short of space.
where = os.environ.get("BIG_TMPDIR", "/var/tmp")
fs = subprocess.run(["stat", "-f", "-c", "%T", where], capture_output=True, text=True).stdout.strip()
sv = os.statvfs(where)
if fs == "tmpfs" or sv.f_bavail * sv.f_frsize < 2 << 30:
    print("1..0 # SKIP %s is %s with %d MB free: need a disk filesystem with 2 GB (set BIG_TMPDIR)"
          % (where, fs or "unknown", sv.f_bavail * sv.f_frsize // 10**6))
    sys.exit(0)

with tempfile.TemporaryDirectory(prefix="kcatch-big-", dir=where) as tmp:
    name = os.path.basename(spec).removesuffix(".spec")
    vmcore, expect = os.path.join(tmp, name + ".vmcore"), os.path.join(tmp, name + ".expect")
    t0 = time.monotonic()
    r = subprocess.run([mk, spec, vmcore, expect], capture_output=True, text=True)
    gen = time.monotonic() - t0
    if r.returncode != 0:
        ok(False, "%s: mkvmcore" % name, r.stderr)
        sys.exit(synthtap.done())
    h = header(expect)
    st = os.stat(vmcore)
    ram = h.get("ram_pages", 0) * 4096
    ok(st.st_size > ram >= 4 << 30 and st.st_blocks * 512 < ram // 10,
       "%s: %.1f GiB of RAM written sparse in %.1f s: %.0f MB apparent, %.0f MB on disk"
       % (name, ram / 2**30, gen, st.st_size / 1e6, st.st_blocks * 512 / 1e6))
    for level in (31, 1):
        out = os.path.join(tmp, "%s.d%d" % (name, level))
        r = subprocess.run([kf, "-l", "-d", str(level), "--message-level", "4", vmcore, out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            ok(False, "%s -d %d: kcatch-filter" % (name, level), r.stderr)
            continue
        v = subprocess.run([kv, "--quiet", "--vmcore", vmcore, out], capture_output=True, text=True)
        ok(v.returncode == 0, "%s -d %d: dump verifies, every dumped page equals the vmcore's" % (name, level),
           v.stderr)
        lst = subprocess.Popen([kv, "--list", out], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        got = list(runs(lst.stdout))
        lst.wait()
        with open(expect) as f:
            pages, bad = compare(runs(f), got, level)
        ok(lst.returncode == 0 and not bad and pages == h.get("ram_pages"),
           "%s -d %d: every PFN kept, zero or excluded as expected (%d RAM pages)" % (name, level, pages),
           "\n".join(bad))
        out_pages = sum(b - a + 1 for a, b, w in got if w == "excluded")
        # zero pages are listed as "zero": the level without bit 1 counts the rest
        ok(out_pages == h.get("excluded%d" % (level & ~DL_ZERO)),
           "%s -d %d: %d pages excluded outright, as the expectation counts" % (name, level, out_pages))
        os.unlink(out)

sys.exit(synthtap.done())
