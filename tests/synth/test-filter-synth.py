#!/usr/bin/python3
# kcatch-filter on synthetic vmcores: for every spec and dump level, the
# PFNs in the dump must be exactly those the generator's expectation
# keeps, and every dumped page must equal the vmcore's (kdump-verify,
# which shares no code with the filter, reads the dump). Also: the same
# bytes whatever the cycle size and thread count, --split/--reassemble,
# -F/-R, and --dump-dmesg against the generator's log. Prints TAP.
#
#   test-filter-synth.py KCATCH_FILTER KDUMP_VERIFY MKVMCORE SPEC...
import os
import subprocess
import sys
import tempfile

from synthtap import DL_ZERO, DL_CACHE, DL_PRIV, DL_USER, DL_FREE, ok, excluded  # noqa: F401
import synthtap

kf, kv, mk = sys.argv[1:4]
specs = sys.argv[4:]
LEVELS = [0, 1, 2, 4, 8, 16, 31]
# VMCOREINFO keys without which the filter cannot decide (a kernel from the
# future renamed them): it keeps what it cannot classify, exits 0 and names
# the key on stderr. The compound offset may be named in either spelling.
NEEDED = {
    "OFFSET(page.compound_head)": ("OFFSET(page.compound_head)", "OFFSET(page.compound_info)"),
    "OFFSET(page.compound_info)": ("OFFSET(page.compound_head)", "OFFSET(page.compound_info)"),
    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)": ("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)",),
    "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)": ("NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)",),
    "NUMBER(PG_slab)": ("NUMBER(PG_slab)",),
}


def missing_keys(spec):
    """The needed keys a spec drops with vmcoreinfo_omit."""
    keys = []
    for line in open(spec):
        w = line.split("#")[0].split()
        if len(w) == 2 and w[0] == "vmcoreinfo_omit" and w[1] in NEEDED:
            keys.append(w[1])
    return keys


def runs(path):
    """Yield (first, last, word) from 'FIRST[-LAST] WORD' lines."""
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        rng, word = line.split()[:2]
        a, _, b = rng.partition("-")
        yield int(a, 16), int(b or a, 16), word


def expand(path):
    m = {}
    for a, b, w in runs(path):
        for p in range(a, b + 1):
            m[p] = w
    return m


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def dumped_set(dump):
    r = run(kv, "--list", dump)
    if r.returncode != 0:
        return None, r.stderr
    got = {}
    for line in r.stdout.splitlines():
        rng, word = line.split()[:2]
        a, _, b = rng.partition("-")
        for p in range(int(a, 16), int(b or a, 16) + 1):
            got[p] = word
    return got, ""


with tempfile.TemporaryDirectory(prefix="kcatch-synth-") as tmp:
    for spec in specs:
        name = os.path.basename(spec).removesuffix(".spec")
        vmcore, expect, dmesg, cdmesg = (os.path.join(tmp, name + s)
                                         for s in (".vmcore", ".expect", ".dmesg", ".cdmesg"))
        r = run(mk, spec, vmcore, expect, dmesg, cdmesg)
        if r.returncode != 0:
            ok(False, "%s: mkvmcore" % name, r.stderr)
            continue
        classes = expand(expect)
        for key in missing_keys(spec):
            # the default message level: the warning is not a progress message
            r = run(kf, "-l", "-d", "31", "-f", vmcore, os.path.join(tmp, name + ".missing"))
            ok(r.returncode == 0 and any(k in r.stderr for k in NEEDED[key]),
               "%s: without %s, kcatch-filter -d 31 exits 0 and names the key on stderr" % (name, key),
               "exit %d, stderr:\n%s" % (r.returncode, r.stderr))
        for level in LEVELS:
            out = os.path.join(tmp, "%s.d%d" % (name, level))
            r = run(kf, "-l", "-d", str(level), "--cycle-pages", "4096", "--num-threads", "0", "--message-level", "4",
                    vmcore, out)
            if r.returncode != 0:
                ok(False, "%s -d %d: kcatch-filter" % (name, level), r.stderr)
                continue
            v = run(kv, "--quiet", "--vmcore", vmcore, out)
            ok(v.returncode == 0, "%s -d %d: dump verifies, every page equals the vmcore's" % (name, level),
               v.stderr)
            got, err = dumped_set(out)
            if got is None:
                ok(False, "%s -d %d: kdump-verify --list" % (name, level), err)
                continue
            # In a kdump file zero pages stay listed (pointing at the shared
            # zero page); every other excluded class must be absent.
            wrong = [p for p, c in classes.items()
                     if (got.get(p, "excluded") == "excluded") != bool(excluded(c, level & ~DL_ZERO))]
            ok(not wrong, "%s -d %d: dumped PFNs are exactly the expected ones (%d RAM pages)"
               % (name, level, len(classes)),
               "\n".join("pfn %#x class %s dump says %s" % (p, classes[p], got.get(p, "absent"))
                         for p in wrong[:10]))
            if level != 31:
                os.unlink(out)
        d31 = os.path.join(tmp, name + ".d31")
        if not os.path.exists(d31):
            continue
        # every compressor: the dump verifies and holds the same pages
        for copt in ("-c", "-p", "-z", "-E"):
            o = os.path.join(tmp, name + ".comp")
            r = run(kf, copt, "-d", "31", "--message-level", "4", "-f", vmcore, o)
            if copt == "-E":
                # an ELF dump is read back by kcatch itself: its PFNs, re-dumped as kdump
                o2 = os.path.join(tmp, name + ".comp2")
                r2 = run(kf, "-l", "-d", "0", "--message-level", "4", "-f", o, o2) if r.returncode == 0 else r
                good = r2.returncode == 0 and run(kv, "--quiet", o2).returncode == 0
                ok(good, "%s: -E -d 31 writes an ELF dump that reads back" % name, r.stderr + r2.stderr)
                continue
            v = run(kv, "--quiet", "--vmcore", vmcore, o) if r.returncode == 0 else r
            got, _ = dumped_set(o) if r.returncode == 0 else (None, "")
            ref, _ = dumped_set(d31)
            ok(v.returncode == 0 and got == ref, "%s: %s -d 31 verifies and keeps the same pages as -l" % (name, copt),
               r.stderr + v.stderr)
        # a kdump file as input (no virtual addresses: the arch finds the direct map)
        o = os.path.join(tmp, name + ".refilter")
        r = run(kf, "-l", "-d", "31", "--message-level", "4", "-f", d31, o)
        v = run(kv, "--quiet", "--vmcore", vmcore, o) if r.returncode == 0 else r
        got, _ = dumped_set(o) if r.returncode == 0 else (None, "")
        ref, _ = dumped_set(d31)
        ok(v.returncode == 0 and got == ref, "%s: -d 31 of its own -d 31 dump verifies and keeps the same pages" % name,
           r.stderr + v.stderr)
        # the same file from other writer configurations
        for extra, label in ((["--num-threads", "2"], "2 threads"), (["--num-threads", "4"], "4 threads"),
                             ([], "one cycle")):
            o = os.path.join(tmp, name + ".alt")
            r = run(kf, "-l", "-d", "31", "--message-level", "4", "-f", *extra, vmcore, o)
            same = r.returncode == 0 and open(o, "rb").read() == open(d31, "rb").read()
            ok(same, "%s: -d 31 with %s is byte-identical" % (name, label), r.stderr)
        parts = [os.path.join(tmp, "%s.part%d" % (name, i)) for i in range(3)]
        ra = os.path.join(tmp, name + ".ra")
        r = run(kf, "-l", "-d", "31", "--cycle-pages", "4096", "--split", "--message-level", "4", vmcore, *parts)
        r2 = run(kf, "--reassemble", "--message-level", "4", *parts, ra) if r.returncode == 0 else r
        same = r2.returncode == 0 and open(ra, "rb").read() == open(d31, "rb").read()
        ok(same, "%s: --split in 3 then --reassemble gives the same file" % name, r.stderr + r2.stderr)
        flat, rf = os.path.join(tmp, name + ".flat"), os.path.join(tmp, name + ".rf")
        with open(flat, "wb") as f:
            r = subprocess.run([kf, "-F", "-l", "-d", "31", "--cycle-pages", "4096", "--message-level", "4",
                                vmcore], stdout=f, stderr=subprocess.PIPE, text=True)
        with open(flat, "rb") as f:
            r2 = subprocess.run([kf, "-R", rf, "--message-level", "4"], stdin=f, capture_output=True, text=True)
        same = r.returncode == 0 and r2.returncode == 0 and open(rf, "rb").read() == open(d31, "rb").read()
        ok(same, "%s: -F then -R gives the same file" % name, (r.stderr or "") + r2.stderr)
        # the default form, with caller ids (makedumpfile 1.7.5+), and --classic-dmesg (1.7.2)
        for form, want, args in (("caller ids", cdmesg, []), ("classic", dmesg, ["--classic-dmesg"])):
            kd = os.path.join(tmp, name + (".kdmesg" if not args else ".kcdmesg"))
            r = run(kf, "--dump-dmesg", *args, "--message-level", "4", vmcore, kd)
            if os.path.exists(want) and os.path.getsize(want) > 0:
                same = r.returncode == 0 and open(kd, "rb").read() == open(want, "rb").read()
                ok(same, "%s: --dump-dmesg %s equals the generator's log (%s)" % (name, " ".join(args), form),
                   r.stderr)
        for f in os.listdir(tmp):
            if f.startswith(name + "."):
                os.unlink(os.path.join(tmp, f))

sys.exit(synthtap.done())
