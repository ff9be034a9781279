"""TAP output and the generator's exclusion rule, shared by the synthetic
vmcore test scripts next to this file (they import it from their own
directory, which Python puts first on sys.path)."""
import sys

DL_ZERO, DL_CACHE, DL_PRIV, DL_USER, DL_FREE = 1, 2, 4, 8, 16

n = 0        # tests run so far
failed = 0   # of which failed


def ok(cond, desc, detail=""):
    """One TAP line; on failure the first 15 lines of detail as comments."""
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc))
    if not cond and detail:
        for line in str(detail).splitlines()[:15]:
            print("#   " + line)
    sys.stdout.flush()


def done():
    """Print the plan; the exit status for sys.exit()."""
    print("1..%d" % n)
    return 1 if failed else 0


def excluded(cls, level):
    """The generator's rule (synth-vmcore.h): whether dump level `level`
    leaves out a page of class `cls`."""
    return ((cls == "zero" and level & DL_ZERO) or
            (cls == "cache" and level & (DL_CACHE | DL_PRIV)) or
            (cls == "cache_private" and level & DL_PRIV) or
            (cls == "user" and level & DL_USER) or
            (cls == "free" and level & DL_FREE) or
            cls in ("hwpoison", "offline"))
