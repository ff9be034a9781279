#!/usr/bin/python3
# Bad input must give a clear error naming the problem and a non-zero
# exit, never a crash, and leave no dump file behind. The inputs are
# damaged copies of a synthetic vmcore. Prints TAP.
#
#   test-bad-input.py KCATCH_FILTER MKVMCORE SPEC
import os
import re
import struct
import subprocess
import sys
import tempfile

from synthtap import ok
import synthtap

kf, mk, spec = sys.argv[1:4]




def phdrs(data):
    phoff, = struct.unpack_from("<Q", data, 32)
    num, = struct.unpack_from("<H", data, 56)
    return [(phoff + 56 * i, struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)) for i in range(num)]


def case(tmp, name, data, pattern, args=("-l", "-d", "31"), want_exit=1):
    path = os.path.join(tmp, name)
    out = os.path.join(tmp, name + ".dump")
    with open(path, "wb") as f:
        f.write(data)
    r = subprocess.run([kf, *args, "--message-level", "4", path, out], capture_output=True, text=True)
    first = r.stderr.splitlines()[0] if r.stderr else ""
    good = (r.returncode == want_exit and re.search(pattern, first) is not None and
            "Sanitizer" not in r.stderr and "runtime error" not in r.stderr and
            not os.path.exists(out))
    ok(good, "%s: exit %d, \"%s\"" % (name, r.returncode, first[:150]),
       "expected exit %d and /%s/ with no dump left\n%s" % (want_exit, pattern, r.stderr))


with tempfile.TemporaryDirectory(prefix="kcatch-bad-") as tmp:
    good = os.path.join(tmp, "good.vmcore")
    subprocess.run([mk, spec, good, good + ".expect"], check=True, capture_output=True)
    data = bytearray(open(good, "rb").read())
    loads = [(off, p) for off, p in phdrs(data) if p[0] == 1]
    note_off = [p for off, p in phdrs(data) if p[0] == 4][0][2]

    case(tmp, "empty", b"", r"neither an ELF vmcore nor a kdump")
    case(tmp, "random-bytes", os.urandom(65536), r"neither an ELF vmcore nor a kdump")
    case(tmp, "elf-header-only", data[:64], r"program headers lie past the end")
    case(tmp, "truncated-half", data[:len(data) // 2], r"points past the end of the file.*truncated")
    d = bytearray(data)
    d[16:18] = struct.pack("<H", 2)   # ET_EXEC
    case(tmp, "not-a-core-file", d, r"not a core file")

    d = bytearray(data)
    i = d.find(b"VMCOREINFO\0", note_off)
    d[i:i + 10] = b"VMCOREINFX"
    case(tmp, "no-vmcoreinfo-note", d, r"no VMCOREINFO note")

    d = bytearray(data)
    i = d.find(b"SIZE(page)=64")
    d[i:i + 13] = b"SIZE(page)=6x"
    case(tmp, "garbled-vmcoreinfo", d, r"VMCOREINFO line \"SIZE\(page\)=6x\" has a garbled value")

    d = bytearray(data)
    i = d.find(b"OSRELEASE=")
    d[i:i + 10] = b"OSRELEASX="
    case(tmp, "vmcoreinfo-without-osrelease", d, r"lacks OSRELEASE")

    d = bytearray(data)
    i = d.find(b"NUMBER(SECTION_SIZE_BITS)=")
    d[i:i + 26] = b"NUMBER(SECTION_SIZE_BITX)="
    case(tmp, "vmcoreinfo-without-section-bits", d, r"lacks NUMBER\(SECTION_SIZE_BITS\)")

    d = bytearray(data)
    off, p = loads[-1]
    struct.pack_into("<Q", d, off + 8, len(d) * 4)   # p_offset past EOF
    case(tmp, "pt-load-past-eof", d, r"segment \d+ .*points past the end of the file")

    d = bytearray(data)
    off, p = loads[0]
    struct.pack_into("<Q", d, off + 32, p[5] + 4096)  # filesz > memsz
    case(tmp, "pt-load-filesz-over-memsz", d, r"inconsistent sizes|points past the end")

    # mem_map pointers that lead nowhere: mem_section moved to an unmapped address
    d = bytearray(data)
    m = re.search(rb"SYMBOL\(mem_section\)=([0-9a-f]+)\n", d)
    bogus = b"%x" % (int(m.group(1), 16) ^ 0x0000400000000000)
    d[m.start(1):m.end(1)] = bogus.rjust(len(m.group(1)), b"0")[-len(m.group(1)):]
    case(tmp, "mem-section-leads-nowhere", d, r"no struct page could be read.*-d 0 or -d 1")
    # ...which still dumps unfiltered at -d 1, as the message says
    path = os.path.join(tmp, "nowhere.vmcore")
    open(path, "wb").write(d)
    r = subprocess.run([kf, "-l", "-d", "1", "--message-level", "4", path, path + ".dump"],
                       capture_output=True, text=True)
    ok(r.returncode == 0 and os.path.getsize(path + ".dump") > 0,
       "mem-section-leads-nowhere: -d 1 still writes a dump", r.stderr)

    # a kdump-compressed input cut short
    kd = os.path.join(tmp, "good.kdump")
    subprocess.run([kf, "-l", "-d", "0", "--message-level", "4", good, kd], check=True)
    k = open(kd, "rb").read()
    case(tmp, "kdump-input-truncated", k[:len(k) // 3], r"page descriptors run past the end|truncated|cannot read")
    case(tmp, "kdump-input-header-only", k[:8192], r"not a usable kdump|shorter than|past the end")

sys.exit(synthtap.done())
