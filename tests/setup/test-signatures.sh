#!/bin/bash
# kcatch list and report on a collector's dump directory: dumps of several
# hosts and boots, their kernel logs the real ones of tests/unit/signature-logs
# (sysrq crashes of 6.12.117 and 6.12.41, a NULL dereference and a BUG_ON
# in a module). The same bug on two hosts, two boots and two kernels of one
# release family must show one signature and group as one line (count,
# first and last seen, hosts); different bugs must not. A signature that
# kcatch.json carries (the agent's) is taken as it is; a malformed one is
# ignored and the log decides.
#
# With AGENT MKVMCORE SPEC: kcatch-agent (test mode) writes the signature
# into kcatch.json, and it is the one kcatch computes from the dump's
# vmcore-dmesg.txt.
#
#   test-signatures.sh KCATCH LOGDIR [AGENT MKVMCORE SPEC]
set -uo pipefail
KCATCH=$(realpath "$1")
LOGS=$(realpath "$2")
AGENT=${3:-} MKVMCORE=${4:-} SPEC=${5:-}
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-sig.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
R=$W/root D=$W/root/var/crash
passed=0 failed=0
check() {  # NAME COMMAND...
	local name=$1; shift
	if "$@" >"$W/check.out" 2>&1; then
		passed=$((passed + 1)); echo "ok - $name"
	else
		failed=$((failed + 1)); echo "not ok - $name"; sed 's/^/#   /' "$W/check.out" | head -20
	fi
}
mkdir -p "$R/etc" "$D"
printf 'path /var/crash\n' >"$R/etc/kcatch.conf"

# dump NAME HOST TIME RELEASE LOG [EXTRA-JSON]: a dump as the agent leaves it
dump() {
	mkdir -p "$D/$1"
	printf '{ "version": 1, "status": "complete", "crash_time": "%s", "kernel_release": "%s", "hostname": "%s"%s }\n' \
		"$3" "$4" "$2" "${6:-}" >"$D/$1/kcatch.json"
	head -c 4096 /dev/zero >"$D/$1/vmcore"
	[[ -n $5 ]] && cp "$5" "$D/$1/vmcore-dmesg.txt"
}
# another boot of the same crash: every timestamp, pid and address differs
reboot_log() {
	sed -E 's/\[ *[0-9]+\.[0-9]+\]/[  977.000001]/; s/T[0-9]+\]/T4242]/; s/[0-9a-f]{16}/ffff8880deadbeef/g' "$1"
}
reboot_log "$LOGS/null-deref-module-6.12.117-amd64.txt" >"$W/null-again.txt"

dump 2026-01-01-10:00:00-web1 web1 2026-01-01T10:00:00Z 6.12.117+deb13-amd64 "$LOGS/sysrq-6.12.117-amd64.txt"
dump 2026-01-02-10:00:00-web1 web1 2026-01-02T10:00:00Z 6.12.117+deb13-amd64 "$LOGS/null-deref-module-6.12.117-amd64.txt"
dump 2026-01-03-10:00:00-web2 web2 2026-01-03T10:00:00Z 6.12.41+deb13-amd64 "$LOGS/sysrq-6.12.41-amd64.txt"
dump 2026-01-04-10:00:00-db1 db1 2026-01-04T10:00:00Z 6.12.117+deb13-amd64 "$LOGS/bug-on-module-6.12.117-amd64.txt"
dump 2026-01-05-10:00:00-web2 web2 2026-01-05T10:00:00Z 6.12.117+deb13-amd64 "$W/null-again.txt"
# the agent's own signature, taken as is (no log here)
dump 2026-01-06-10:00:00-db2 db2 2026-01-06T10:00:00Z 6.12.117+deb13-amd64 "" \
	', "signature": { "hash": "0123456789abcdef", "summary": "agent-made" }'
# a malformed one: ignored, the log decides
dump 2026-01-07-10:00:00-db3 db3 2026-01-07T10:00:00Z 6.1.0-50-amd64 "$LOGS/sysrq-6.1.0-50-amd64.txt" \
	', "signature": { "hash": "../../etc\u001b[2J", "summary": "x" }'
# a dump that never finished: no signature
mkdir "$D/2026-01-08-10:00:00-db4" && head -c 100 /dev/zero >"$D/2026-01-08-10:00:00-db4/vmcore.incomplete"

OUT=$("$KCATCH" --root "$R" list 2>"$W/err"); RC=$?
echo "$OUT" | sed 's/^/# /'
# the column after STATE (SIZE is two words: "6.4 KiB")
sig_of() { awk -v id="$1" '$1 == id { for (i = 2; i < NF; i++) if ($i ~ /^(complete|incomplete)$/) { print $(i + 1); exit } }' <<<"$OUT"; }
S1=$(sig_of 2026-01-01-10:00:00-web1) N1=$(sig_of 2026-01-02-10:00:00-web1) S2=$(sig_of 2026-01-03-10:00:00-web2)
B1=$(sig_of 2026-01-04-10:00:00-db1) N2=$(sig_of 2026-01-05-10:00:00-web2) A1=$(sig_of 2026-01-06-10:00:00-db2)
M1=$(sig_of 2026-01-07-10:00:00-db3) I1=$(sig_of 2026-01-08-10:00:00-db4)
check "list exits 0 (status $RC)" test "$RC" = 0
check "signatures are 16 hex digits ($S1 $N1 $B1 $M1)" \
	bash -c 'for s; do [[ $s =~ ^[0-9a-f]{16}$ ]] || exit 1; done' _ "$S1" "$N1" "$B1" "$M1"
check "6.12.117's sysrq crash has the signature the unit test pins" test "$S1" = ace79697fa0c2559
check "the same sysrq crash on 6.12.41 (another host, same family): the same signature" test "$S1" = "$S2"
check "the NULL dereference on another boot and host: the same signature" test "$N1" = "$N2"
check "sysrq, NULL dereference and BUG_ON: three signatures" \
	bash -c '[[ $1 != "$2" && $1 != "$3" && $2 != "$3" ]]' _ "$S1" "$N1" "$B1"
check "6.1's sysrq crash (another family) differs from 6.12's" test "$M1" != "$S1"
check "kcatch.json's signature is taken as it is" test "$A1" = 0123456789abcdef
check "a malformed signature in kcatch.json is not shown" bash -c '! grep -q "etc" <<<"$1"' _ "$OUT"
check "a dump without a log has no signature" test "$I1" = "-"
GRP=$(sed -n '/by signature/,$p' <<<"$OUT")
row() { awk -v s="$1" '$1 == s' <<<"$GRP"; }
check "groups: sysrq twice, first 01-01, last 01-03, hosts web1 and web2" \
	grep -qE "^$S1 +2 2026-01-01T10:00:00Z +2026-01-03T10:00:00Z +web1, web2 " <<<"$(row "$S1")"
check "groups: the NULL dereference twice, on web1 then web2, named with its function" \
	bash -c 'grep -qE "^$1 +2 2026-01-02T10:00:00Z +2026-01-05T10:00:00Z +web1, web2 +BUG: kernel NULL pointer dereference.* in [a-z_]+" <<<"$2"' _ "$N1" "$(row "$N1")"
check "groups: the BUG_ON once, on db1" grep -qE "^$B1 +1 .* db1 +kernel BUG at" <<<"$(row "$B1")"
check "groups: five signatures, the two-dump groups first" \
	bash -c '[[ $(grep -cE "^[0-9a-f]{16} " <<<"$1") == 5 ]] && [[ $(sed -n 3p <<<"$1" | awk "{print \$2}") == 2 ]]' _ "$GRP"
OUT=$("$KCATCH" --root "$R" report 2026-01-02-10:00:00-web1 2>&1)
check "report shows the signature, the cause and the function" \
	grep -qE "^  signature    $N1 \(BUG: kernel NULL pointer dereference.* in " <<<"$OUT"
# one dump: no group table (nothing to group)
mkdir -p "$W/one/etc" "$W/one/var/crash" && cp "$R/etc/kcatch.conf" "$W/one/etc/"
cp -r "$D/2026-01-01-10:00:00-web1" "$W/one/var/crash/"
OUT=$("$KCATCH" --root "$W/one" list 2>&1)
check "one dump: the list only, no group table" bash -c '[[ $(grep -c . <<<"$1") == 2 ]]' _ "$OUT"
if [[ -n $AGENT ]]; then
	A=$W/agent
	mkdir -p "$A/etc" "$A/var/crash" && cp "$R/etc/kcatch.conf" "$A/etc/"
	"$MKVMCORE" "$SPEC" "$W/vmcore" "$W/expect" >/dev/null
	"$AGENT" --vmcore "$W/vmcore" --root "$A" --config "$A/etc/kcatch.conf" >"$W/agent.log" 2>&1
	J=$(ls "$A"/var/crash/*/kcatch.json)
	AS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signature"]["hash"])' "$J" 2>/dev/null)
	check "the agent writes signature.hash into kcatch.json ($AS) and logs it" \
		bash -c '[[ $1 =~ ^[0-9a-f]{16}$ ]] && grep -q "crash signature $1" "$2"' _ "$AS" "$W/agent.log"
	python3 - "$J" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); j.pop("signature"); json.dump(j, open(sys.argv[1], "w"))
PY
	OUT=$("$KCATCH" --root "$A" list 2>&1)
	check "kcatch computes the same signature from vmcore-dmesg.txt" grep -q " $AS " <<<"$OUT"
fi
echo "1..$((passed + failed))"
echo "# $passed passed, $failed failed"
[ "$failed" = 0 ]
