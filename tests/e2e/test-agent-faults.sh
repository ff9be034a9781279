#!/bin/bash
# A dump target that fails, without QEMU or FUSE: the dynamically linked
# agent runs in test mode (--vmcore/--root) under LD_PRELOAD=fault-inject.so,
# which makes write, fdatasync, fsync, close, rename or open of one file
# fail with EIO or ENOSPC, or kills the whole target after one step (an NFS
# server gone between the dump and kcatch.json). Each case checks the bytes
# left on the target (cmp against a clean run's dump, kdump-verify against
# the vmcore), kcatch.json, and the console. See capture/SAVE-FAILURES.md.
#
#   test-agent-faults.sh AGENT_DYNAMIC FAULT_LIB MKVMCORE KDUMP_VERIFY SPEC
set -uo pipefail
AGENT=$1 LIB=$2 MKVMCORE=$3 KV=$4 SPEC=$5
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-faults.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/lib-tap.sh"
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
ID=2023-11-14-22:13:20-synth-host   # CRASHTIME 1700000000, nodename synth-host
# an ASan build checks that its runtime comes first; the interposer must
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS

# frun NAME FAULT CONFIG-LINES...: the agent under KCATCH_FAULT=FAULT on a fresh
# root; sets RC, LOG, ROOT and D (the dump directory of a "target /" config)
frun() {
	local name=$1 fault=$2
	shift 2
	ROOT=$W/$name LOG=$W/$name.log RC=0 D=$W/$name/var/crash/$ID
	mkdir -p "$ROOT"
	printf '%s\n' "$@" >"$W/$name.conf"
	KCATCH_FAULT=$fault LD_PRELOAD=$LIB "$AGENT" --vmcore "$W/core.elf" --root "$ROOT" \
		--config "$W/$name.conf" >"$LOG" 2>&1 || RC=$?
}

"$MKVMCORE" "$SPEC" "$W/core.elf" "$W/expect" >/dev/null || { echo "Bail out! mkvmcore $SPEC failed"; exit 1; }

# 0. the reference: the same agent, interposer loaded, no fault
frun ref "" "target /"
REF=$D/vmcore
check "reference run through the interposer: complete (status $RC)" \
	bash -c "[[ $RC == 0 ]] && test -s '$REF' && grep -q 'RESULT complete' '$LOG'"
FULL=$(stat -c %s "$REF" 2>/dev/null || echo 0)

# 1-2. the disk fails half way through the pages: the library marks the file incomplete
for err in EIO ENOSPC; do
	frun "write-$err" "write:vmcore.incomplete:$err:$((FULL / 2))" "target /"
	check "write $err after $((FULL / 2)) bytes: exit 2, vmcore.incomplete kept, no vmcore (status $RC)" \
		bash -c "[[ $RC == 2 ]] && test -s '$D/vmcore.incomplete' && ! test -e '$D/vmcore'"
	"$KV" --vmcore "$W/core.elf" "$D/vmcore.incomplete" >"$W/kv" 2>&1; KVRC=$?
	check "write $err: kdump-verify: flagged incomplete, every page it holds equals the vmcore's" \
		bash -c "[[ $KVRC == 0 ]] && grep -q 'incomplete: yes' '$W/kv'"
	check "write $err: kcatch.json says incomplete, step dump, file vmcore.incomplete, the error" \
		test "$(json "$D/kcatch.json" '(j["status"], j["failed_step"], j["dump"]["file"], j["dump"]["incomplete_flag"], j["dump"]["filter_finished"], "dump failed" in j["error"])')" \
		= "('incomplete', 'dump', 'vmcore.incomplete', True, False, True)"
done
check "write ENOSPC: the console says the file system is full" grep -qi 'full' "$W/write-ENOSPC.log"

# 3. the library's own flush (fdatasync before the final header) fails
frun fdatasync "fdatasync:vmcore.incomplete:EIO" "target /"
"$KV" --vmcore "$W/core.elf" "$D/vmcore.incomplete" >"$W/kv" 2>&1; KVRC=$?
check "fdatasync EIO: exit 2, vmcore.incomplete kept, kdump-verify reads it as incomplete (status $RC)" \
	bash -c "[[ $RC == 2 && $KVRC == 0 ]] && grep -q 'incomplete: yes' '$W/kv' && ! test -e '$D/vmcore'"
check "fdatasync EIO: kcatch.json says incomplete, step dump" \
	test "$(json "$D/kcatch.json" '(j["status"], j["failed_step"], j["dump"]["file"])')" \
	= "('incomplete', 'dump', 'vmcore.incomplete')"

# 4-6. the filter finished; then fsync, close or the rename fails: nothing is deleted
declare -A SAYS=([fsync]="fsync failed" [close]="close failed" [rename]="renaming it to vmcore failed")
for step in fsync close rename; do
	frun "$step" "$step:vmcore.incomplete:EIO" "target /"
	check "$step EIO after a finished dump: exit 2, vmcore.incomplete kept, byte for byte the clean run's dump (status $RC)" \
		bash -c "[[ $RC == 2 ]] && cmp '$D/vmcore.incomplete' '$REF' && ! test -e '$D/vmcore'"
	check "$step EIO: kdump-verify: every page equals the vmcore's" "$KV" --quiet --vmcore "$W/core.elf" "$D/vmcore.incomplete"
	check "$step EIO: kcatch.json says incomplete, step $step, every page in vmcore.incomplete" \
		test "$(json "$D/kcatch.json" '(j["status"], j["failed_step"], j["dump"]["file"], j["dump"]["filter_finished"], "kept as" in j["error"])')" \
		= "('incomplete', '$step', 'vmcore.incomplete', True, True)"
	check "$step EIO: the console says what failed and RESULT incomplete" \
		bash -c "grep -q '${SAYS[$step]}: Input/output error; kept as' '$LOG' && grep -q 'RESULT incomplete' '$LOG'"
done

# 7. kcatch.json cannot be written: the dump is complete, the console is the record
frun json "open:kcatch.json.tmp:ENOSPC" "target /"
check "kcatch.json ENOSPC: exit 2, vmcore complete and identical to the clean run's (status $RC)" \
	bash -c "[[ $RC == 2 ]] && cmp '$D/vmcore' '$REF' && ! test -e '$D/vmcore.incomplete' && ! test -e '$D/kcatch.json'"
check "kcatch.json ENOSPC: the console says kcatch.json could not be written, the dump is complete" \
	bash -c "grep -q 'cannot write .*kcatch.json: No space left on device; the dump itself is complete' '$LOG' &&
		grep -q 'RESULT incomplete .*kcatch.json could not be written' '$LOG'"

# 8-9. an nfs:// target (in test mode it stands for --root) that dies after the dump
# nfs_case WHEN FAULT FILE SAYS...: FILE is left identical to the clean run's dump,
# no kcatch.json, and the console has every SAYS pattern and RESULT incomplete
nfs_case() {
	local when=$1 fault=$2 file=$3 says
	shift 3
	frun "nfs-$when" "$fault" "target nfs://192.0.2.1/srv/crash" "net auto dhcp"
	D=$ROOT/$ID
	check "NFS server gone after the $when: exit 2, $file identical to the clean run's dump, no kcatch.json (status $RC)" \
		bash -c "[[ $RC == 2 ]] && cmp '$D/$file' '$REF' && ! test -e '$D/kcatch.json' &&
			{ [[ $file == vmcore ]] || ! test -e '$D/vmcore'; }"
	says=$(printf "grep -q '%s' '$LOG' && " "$@" "RESULT incomplete")
	check "NFS server gone after the $when: the console says what failed: $*" bash -c "${says% && }"
}
nfs_case close "die-after-close:vmcore.incomplete:EIO" vmcore.incomplete \
	'renaming it to vmcore failed: Input/output error; kept as .*vmcore.incomplete' \
	'cannot write .*kcatch.json: Input/output error; every page of the dump is in it'
nfs_case rename "die-after-rename:vmcore.incomplete:EIO" vmcore \
	'syncing its directory failed: Input/output error' 'cannot write .*kcatch.json'

# 10. a failing capture deletes no old dump (keep runs only after a complete save)
frun keepfail "" "target /" "keep 1"
KEEP_OLD=$D
KCATCH_FAULT="fsync:vmcore.incomplete:EIO" LD_PRELOAD=$LIB "$AGENT" --vmcore "$W/core.elf" --root "$ROOT" \
	--config "$W/keepfail.conf" >"$LOG" 2>&1
check "keep 1 and a capture whose fsync fails: the old dump is still there, the new one kept incomplete" \
	bash -c "test -s '$KEEP_OLD/vmcore' && test -s '$KEEP_OLD-2/vmcore.incomplete' && ! grep -q 'keep: removed' '$LOG'"

tap_finish
