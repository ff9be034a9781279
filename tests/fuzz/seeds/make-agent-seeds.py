#!/usr/bin/python3
# Seeds for the agent's fuzz targets, written into tests/fuzz/corpus/
# {config,dhcp,dumpinfo}/ under the SHA-1 of their contents:
#   config    the documented example, network targets, every key at the
#             edges of its range
#   dhcp      OFFER, ACK, NAK, overloaded options, truncations
#   dumpinfo  a kcatch.json the agent wrote (seeds/kcatch.json) and
#             variants: escapes, nesting, duplicate keys, big numbers
#   tests/fuzz/seeds/make-agent-seeds.py
import hashlib, json, os, struct

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "..", "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


# ---- config
put("config", open(os.path.join(here, "..", "..", "..", "initramfs", "kcatch.conf.example")).read())
put("config", "target ssh://kdump@[fd00::2]:2222/srv/crash\nnet 52:54:00:12:34:56 dhcp\nstall_timeout 0\n")
put("config", "target nfs://192.0.2.7:2049/srv/crash\nnet eth0 192.0.2.10/24 gw 192.0.2.1\nnfs_options vers=3\n")
put("config", "target LABEL=dumps\nkeep 100000\nmin_free 1024T\nwatchdog 604800\ntarget_timeout 3600\n"
    "progress_interval 1\nnet_timeout 3600\ndump_level 31\ncompress lzo\n")
put("config", "target UUID=1\nkeep 100001\nmin_free 1025T\nwatchdog 604801\nprogress_interval 0\n"
    "min_free 18446744073709551615\nkeep -1\n")
put("config", "failure_action fallback\nfallback_target /dev/sdb1\nfallback_path /x/../y\nextra_modules a,b c\n"
    "extra_modules virtio_blk\n# comment\n\n   \t\npath /var/crash # trailing\n")

# ---- dhcp
MAC = bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56])


def answer(xid, yiaddr, options, size=None):
    p = bytearray(236)
    p[0], p[1], p[2] = 2, 1, 6
    p[4:8] = struct.pack(">I", xid)
    p[16:20] = bytes(int(x) for x in yiaddr.split("."))
    p[28:34] = MAC
    p += struct.pack(">I", 0x63825363) + bytes(options)
    if size:
        p = p[:size] if len(p) > size else p + bytes(size - len(p))
    return bytes(p)


sid = [54, 4, 10, 0, 2, 2]
put("dhcp", answer(42, "10.0.2.15", [53, 1, 2] + sid + [1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2,
                                                      6, 8, 10, 0, 2, 3, 8, 8, 8, 8, 51, 4, 0, 1, 81, 128, 255], 300))
put("dhcp", answer(42, "10.0.2.15", [53, 1, 5] + sid + [255], 300))
put("dhcp", answer(42, "0.0.0.0", [53, 1, 6] + sid + [255]))
ov = bytearray(answer(42, "10.0.2.16", [52, 1, 3] + sid + [255], 300))
ov[108:118] = bytes([53, 1, 5, 3, 4, 10, 0, 2, 1, 255])
ov[44:50] = bytes([6, 4, 1, 1, 1, 1])
put("dhcp", bytes(ov))
put("dhcp", answer(42, "10.0.2.15", [53, 1, 2] + sid + [6, 200, 1, 2]))
put("dhcp", answer(42, "10.0.2.15", [53, 1, 2, 53, 1, 5] + sid))
put("dhcp", answer(42, "10.0.2.15", [0] * 40 + [53, 1, 2] + sid)[:260])

# ---- dumpinfo
real = open(os.path.join(here, "kcatch.json")).read()
put("dumpinfo", real)
j = json.loads(real)
j["id"] = "9999-\x1b[31m-\u00e9\n"
put("dumpinfo", json.dumps(j))
put("dumpinfo", json.dumps(j, ensure_ascii=False))
put("dumpinfo", '{"kcatch_version":"0.1.0","id":"a","machine_id":"x","machine_id":"y","crash_time_epoch":1}')
put("dumpinfo", '{"kcatch_version":"0.1.0","crash_time_epoch":18446744073709551616,"x":[1,2.5e-3,-0,true,null,{}]}')
put("dumpinfo", '{"a":' * 20 + '1' + '}' * 20)
put("dumpinfo", '{"kcatch_version":"0.1.0","id":"\\ud83d\\ude00\\/\\b\\f\\t","hostname":"\\u0000"}')
put("dumpinfo", real[:len(real) // 2] + '"\\u12')
