#!/usr/bin/python3
"""Small reader for x86_64 and arm64 ELF vmcores (/proc/vmcore copies).

  elfcore.py length FILE      print end of the last segment: max(p_offset+p_filesz)
  elfcore.py vmcoreinfo FILE  print the VMCOREINFO note text
  elfcore.py summary FILE     print PT_LOAD / note counts and key VMCOREINFO values
Exits 1 with a message when FILE is not an ELF64 core with a VMCOREINFO note.
"""
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS = 1


def fail(msg):
    sys.stderr.write(f"elfcore.py: {msg}\n")
    sys.exit(1)


def read_phdrs(f):
    ehdr = f.read(64)
    if len(ehdr) < 64 or ehdr[:4] != b"\x7fELF":
        fail("no ELF magic")
    if ehdr[4] != 2 or ehdr[5] != 1:
        fail("not ELF64 little-endian")
    e_type, e_machine = struct.unpack_from("<HH", ehdr, 16)
    if e_type != 4:
        fail(f"ELF type {e_type}, expected ET_CORE (4)")
    e_phoff, = struct.unpack_from("<Q", ehdr, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", ehdr, 54)
    if e_phentsize != 56 or not 0 < e_phnum < 65535:
        fail(f"bad program headers (entsize {e_phentsize}, num {e_phnum})")
    f.seek(e_phoff)
    raw = f.read(e_phentsize * e_phnum)
    if len(raw) != e_phentsize * e_phnum:
        fail("truncated program headers")
    phdrs = []
    for i in range(e_phnum):
        p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align = \
            struct.unpack_from("<IIQQQQQQ", raw, i * 56)
        phdrs.append(dict(type=p_type, offset=p_offset, vaddr=p_vaddr,
                          paddr=p_paddr, filesz=p_filesz, memsz=p_memsz))
    return phdrs


def read_notes(f, phdrs):
    notes = []
    for ph in phdrs:
        if ph["type"] != PT_NOTE:
            continue
        f.seek(ph["offset"])
        data = f.read(ph["filesz"])
        off = 0
        while off + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            off += 12
            name = data[off:off + namesz].rstrip(b"\0").decode("ascii", "replace")
            off += (namesz + 3) & ~3
            desc = data[off:off + descsz]
            off += (descsz + 3) & ~3
            if namesz == 0 and descsz == 0:
                break
            notes.append((name, ntype, desc))
    return notes


def vmcoreinfo(notes):
    for name, _ntype, desc in notes:
        if name == "VMCOREINFO":
            return desc.rstrip(b"\0").decode("ascii", "replace")
    fail("no VMCOREINFO note")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("length", "vmcoreinfo", "summary"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmd, path = sys.argv[1:]
    with open(path, "rb") as f:
        phdrs = read_phdrs(f)
        if cmd == "length":
            print(max(ph["offset"] + ph["filesz"] for ph in phdrs))
            return
        notes = read_notes(f, phdrs)
        info = vmcoreinfo(notes)
        if cmd == "vmcoreinfo":
            sys.stdout.write(info if info.endswith("\n") else info + "\n")
            return
        kv = dict(l.split("=", 1) for l in info.splitlines() if "=" in l)
        loads = [ph for ph in phdrs if ph["type"] == PT_LOAD]
        prstatus = sum(1 for n, t, _ in notes if n == "CORE" and t == NT_PRSTATUS)
        print(f"pt_load={len(loads)}")
        print(f"pt_load_bytes={sum(ph['filesz'] for ph in loads)}")
        print(f"nt_prstatus={prstatus}")
        print(f"vmcoreinfo_bytes={len(info)}")
        for key in ("OSRELEASE", "PAGESIZE", "KERNELOFFSET", "NUMBER(pgtable_l5_enabled)",
                    "NUMBER(phys_base)", "CRASHTIME"):
            print(f"{key}={kv.get(key, '')}")
        # arm64's address-space lines, only where the kernel exports them
        for key in ("NUMBER(VA_BITS)", "NUMBER(TCR_EL1_T1SZ)", "NUMBER(MAX_PHYSMEM_BITS)",
                    "NUMBER(kimage_voffset)", "NUMBER(PHYS_OFFSET)"):
            if key in kv:
                print(f"{key}={kv[key]}")


if __name__ == "__main__":
    main()
