#!/usr/bin/env python3
# A stand-in for journald in a test: binds the native protocol socket at
# SOCKET, decodes every entry sent to it (KEY=VALUE lines, the binary-safe
# KEY\n<le64 length><data>\n form, and an entry passed as a memfd when it
# is too big for a datagram) and, once the file DONE exists and nothing
# arrives for a moment, writes the entries to OUT as JSON: a list of
# [[field, value], ...] in the order sent, values as text (bytes that are
# not UTF-8 as U+FFFD).
#
#   journal-sink.py SOCKET OUT DONE
import array, json, os, socket, struct, sys, time

sock_path, out, done = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
s.settimeout(0.2)
entries, deadline = [], time.time() + 120


def parse(data):
    fields, i = [], 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            fields.append(["<truncated>", data[i:].decode(errors="replace")])
            break
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            fields.append([k.decode(errors="replace"), v.decode(errors="replace")])
            i = nl + 1
        else:
            (n,) = struct.unpack_from("<Q", data, nl + 1)
            v = data[nl + 9:nl + 9 + n]
            fields.append([line.decode(errors="replace"), v.decode(errors="replace")])
            i = nl + 9 + n + 1
    return fields


while time.time() < deadline:
    try:
        fds = array.array("i")
        data, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
    except socket.timeout:
        if os.path.exists(done):
            break
        continue
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    if fds:
        with os.fdopen(fds[0], "rb") as f:
            f.seek(0)
            data = f.read()
    entries.append(parse(data))
with open(out, "w") as f:
    json.dump(entries, f)
