#!/bin/bash
# keep on a dump directory that two hosts share (an nfs:// export, a
# world-writable /var/crash): the agent runs in test mode for host A
# (machine-id aaaa...) and host B (bbbb...), both writing into one
# directory through a symlinked target, with planted entries beside the
# dumps. Only host A's dumps, proven by their kcatch.json, go, the oldest
# by the crash time recorded inside; everything else stays, nothing blocks.
#
#   test-agent-retention.sh AGENT MKVMCORE SPEC
set -uo pipefail
AGENT=$1 MKVMCORE=$2 SPEC=$3
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-retention.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/lib-tap.sh"
MID_A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa MID_B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
name() { echo "$(date -u -d "@$1" +%Y-%m-%d-%H:%M:%S)-$2"; }
# core CRASHTIME HOST: a vmcore of that crash
core() {
	[[ -f $W/core-$1-$2 ]] && return
	{ cat "$SPEC"; printf 'crashtime %s\nhostname %s\n' "$1" "$2"; } >"$W/spec-$1-$2"
	"$MKVMCORE" "$W/spec-$1-$2" "$W/core-$1-$2" /dev/null >/dev/null || echo "Bail out! mkvmcore failed"
}
# save ROOT CRASHTIME HOST CONFIG-LINES...: one capture; sets RC, LOG
save() {
	local root=$1 t=$2 host=$3
	shift 3
	core "$t" "$host"
	printf '%s\n' "$@" >"$W/conf"
	LOG=$W/log-$t-$host RC=0
	timeout 60 "$AGENT" --vmcore "$W/core-$t-$host" --root "$root" --config "$W/conf" >"$LOG" 2>&1 || RC=$?
}
# forge DIR FROM-JSON ID CRASHTIME [MACHINE-ID]: a kcatch.json in DIR copied from FROM-JSON
forge() {
	mkdir -p "$1"
	python3 - "$2" "$1/kcatch.json" "$3" "$4" "${5:-}" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["id"], j["crash_time_epoch"] = sys.argv[3], int(sys.argv[4])
if sys.argv[5]:
    j["machine_id"] = sys.argv[5]
json.dump(j, open(sys.argv[2], "w"))
EOF
	echo planted >"$1/vmcore"
}

# Two hosts, one directory: $W/shared, reached from both roots as /dumps
S=$W/shared/crash
mkdir -p "$W/shared" "$W/a/etc" "$W/b/etc"
ln -s "$W/shared" "$W/a/dumps"
ln -s "$W/shared" "$W/b/dumps"
echo $MID_A >"$W/a/etc/machine-id"
echo $MID_B >"$W/b/etc/machine-id"
CONF=("target /dumps" "path /crash")
A1=$(name 1700000000 host-a) A2=$(name 1700100000 host-a) A3=$(name 1700200000 host-a)
B1=$(name 1700050000 host-b) B0=$(name 1600000000 host-b)

save "$W/b" 1700050000 host-b "${CONF[@]}" "keep 1"
save "$W/a" 1700000000 host-a "${CONF[@]}"
save "$W/a" 1700100000 host-a "${CONF[@]}"
check "setup: host B's and two of host A's dumps saved in the shared directory" \
	bash -c "test -s '$S/$B1/vmcore' && test -s '$S/$A1/vmcore' && test -s '$S/$A2/vmcore'"
check "kcatch.json records the writer's machine-id and the crash time" \
	test "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["machine_id"], j["crash_time_epoch"])' "$S/$A1/kcatch.json")" \
	= "$MID_A 1700000000"

# Planted entries
forge "$S/$B0" "$S/$B1/kcatch.json" "$B0" 1600000000                       # host B's, oldest of all
mkdir -p "$S/no-json" && echo x >"$S/no-json/vmcore"                         # no kcatch.json
forge "$W/outside/victim" "$S/$A1/kcatch.json" "0000-link" 1500000000        # A's, reached by a symlink
ln -s "$W/outside/victim" "$S/0000-link"
mkdir -p "$S/0001-fifo" && mkfifo "$S/0001-fifo/kcatch.json"                 # would block a blocking open
forge "$S/0002-renamed" "$S/$A1/kcatch.json" "not-this-name" 1500000000      # A's json, another name
forge "$S/0003-bigjson" "$S/$A1/kcatch.json" "0003-bigjson" 1500000000
head -c 70000 /dev/zero | tr '\0' ' ' >>"$S/0003-bigjson/kcatch.json"        # valid JSON, over 64 KiB
forge "$S/0004-badjson" "$S/$A1/kcatch.json" "0004-badjson" 1500000000
printf '{"kcatch_version": "0.1.0", "id": "0004-badjson", "machine_id": "%s", "crash_time_epoch": 1500000000, "x": "\\u12' \
	$MID_A >"$S/0004-badjson/kcatch.json"                                     # a truncated escape
forge "$S/0005-dupkey" "$S/$A1/kcatch.json" "0005-dupkey" 1500000000
sed -i "s/\"machine_id\"/\"machine_id\": \"$MID_B\", \"machine_id\"/" "$S/0005-dupkey/kcatch.json"
# host A's by every proof (same uid, machine-id, its own name), named to sort last, crashed first;
# its name holds an escape sequence
EVIL=$'9999-\e[31m-oldest'
forge "$S/$EVIL" "$S/$A1/kcatch.json" "$EVIL" 1600000000
if [[ $(id -u) == 0 ]]; then   # another user's directory claiming to be host A's
	forge "$S/0006-other-user" "$S/$A1/kcatch.json" "0006-other-user" 1500000000
	chown -R 65534:65534 "$S/0006-other-user"
fi
ls -A "$S" | LC_ALL=C sort >"$W/before"

# Host A's third crash, keep 2: of its own old dumps, the newest by recorded crash time stays
save "$W/a" 1700200000 host-a "${CONF[@]}" "keep 2"
check "keep 2: exit 0, the new dump complete (status $RC)" bash -c "[[ $RC == 0 ]] && test -s '$S/$A3/vmcore'"
check "keep 2: host A's oldest by recorded crash time went (the one named to sort last, then $A1)" \
	bash -c "! test -e '$S/$EVIL' && ! test -e '$S/$A1'"
check "keep 2: host A's newest old dump $A2 stays" test -s "$S/$A2/vmcore"
check "keep 2: host B's dumps stay, the real one and the one with the oldest crash time" \
	bash -c "test -s '$S/$B1/vmcore' && test -s '$S/$B0/vmcore'"
ls -A "$S" | LC_ALL=C sort >"$W/after"
check "keep 2: every planted entry is untouched (only the two dumps of host A are gone)" \
	test "$(comm -23 "$W/before" "$W/after" | tr '\n' '|')" = "$A1|$EVIL|"
check "keep 2: the symlink is still a symlink, and what it points to is intact" \
	bash -c "test -L '$S/0000-link' && test -s '$W/outside/victim/vmcore' && test -s '$W/outside/victim/kcatch.json'"
check "keep 2: the FIFO did not block the capture, and is still there" test -p "$S/0001-fifo/kcatch.json"
check "keep 2: the escape sequence in a removed dump's name is printed escaped" \
	bash -c "grep -qF 'keep: removed the old dump 9999-\\x1b[31m-oldest' '$LOG' && ! grep -q $'\\e' '$LOG'"
check "keep 2: the console counts what it left alone" grep -q 'are not dumps this agent wrote for this host; left alone' "$LOG"

# A capture that is not complete deletes nothing
save "$W/a" 1700300000 host-a "${CONF[@]}" "keep 1" "min_free 1000T"
check "keep 1 with a failed capture (min_free): nothing of host A's removed (status $RC)" \
	bash -c "[[ $RC == 1 ]] && test -s '$S/$A2/vmcore' && test -s '$S/$A3/vmcore' && ! grep -q 'keep: removed' '$LOG'"

# An nfs:// export (in test mode it stands for --root), no machine-id in the image:
# the crashed host's name proves nothing there
N=$W/nfs
mkdir -p "$N"
NFS=("target nfs://192.0.2.1/srv/crash" "net auto dhcp")
save "$N" 1700000000 host-a "${NFS[@]}"
save "$N" 1700100000 host-a "${NFS[@]}" "keep 1"
check "nfs:// without machine-id: keep is not applied, the older dump of the same host name stays" \
	bash -c "[[ $RC == 0 ]] && test -s '$N/$A1/vmcore' && test -s '$N/$A2/vmcore' && grep -q 'keep 1: not applied' '$LOG'"

# A local target without machine-id: the crashed host's name, and only dumps without a machine-id
L=$W/local
mkdir -p "$L"
save "$L" 1700000000 host-a "target /"
forge "$L/var/crash/0100-other" "$L/var/crash/$A1/kcatch.json" "0100-other" 1500000000 $MID_B
save "$L" 1700100000 host-a "target /" "keep 1"
check "local, no machine-id: keep 1 removes the older dump of the same host name" \
	bash -c "[[ $RC == 0 ]] && ! test -e '$L/var/crash/$A1' && test -s '$L/var/crash/$A2/vmcore'"
check "local, no machine-id: a dump of that name written by a host with a machine-id stays" \
	test -s "$L/var/crash/0100-other/vmcore"

tap_finish
