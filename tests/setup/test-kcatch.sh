#!/bin/bash
# kcatch (systemd/) on a fake root: status, show, test, load --dry-run,
# list and report, with a real dump directory written by kcatch-agent in
# test mode from a synthetic vmcore; and systemd-analyze verify on the
# units when systemd-analyze exists. Nothing is loaded into the kernel.
#
#   test-kcatch.sh KCATCH AGENT MKVMCORE SPEC UNIT...
set -uo pipefail
KCATCH=$(realpath "$1") AGENT=$2 MKVMCORE=$3 SPEC=$4
shift 4
UNITS=("$@")
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-setup.XXXXXX")
trap 'rm -rf "$W"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d"; sed 's/^/#   /' <<<"$out" | tail -15; fi
}
# k ARGS...: kcatch on the fake root; sets RC and OUT (stdout+stderr)
k() { RC=0; OUT=$("$KCATCH" --root "$R" "$@" 2>&1) || RC=$?; }
has() { grep -qF -- "$1" <<<"$OUT"; }

R=$W/root
REL=6.1.0-99-amd64
mkdir -p "$R/etc" "$R/sys/kernel" "$R/proc/sys/kernel" "$R/boot" "$R/var/lib/kcatch"
printf 'target /\npath /var/crash\ncompress zstd\n' >"$R/etc/kcatch.conf"
echo 0 >"$R/sys/kernel/kexec_crash_loaded"
echo 0 >"$R/sys/kernel/kexec_crash_size"
echo "$REL" >"$R/proc/sys/kernel/osrelease"
echo "BOOT_IMAGE=/boot/vmlinuz-$REL root=UUID=abcd ro crashkernel=256M console=ttyS0 quiet nr_cpus=8 resume=/dev/sda2" >"$R/proc/cmdline"

# 1. nothing reserved, nothing present
k status
check "status: not armed without reserved memory, exit 3 (status $RC)" \
	eval '[[ $RC == 3 ]] && grep -q "not armed: no memory is reserved" <<<"$OUT" && grep -q "crashkernel=" <<<"$OUT"'
k test
check "test: not ready, exit 1 (status $RC)" eval '[[ $RC == 1 ]]'
check "test: names the missing reservation, kernel image, capture image and dump directory" \
	eval 'grep -q "FAIL crashkernel" <<<"$OUT" && grep -q "FAIL kernel image: $R/boot/vmlinuz-$REL is missing" <<<"$OUT" &&
		grep -q "FAIL capture image: .*kcatch-mkinitramfs -k $REL" <<<"$OUT" && grep -q "FAIL dump directory: $R/var/crash does not exist" <<<"$OUT"'

k load --dry-run
check "load --dry-run: refuses when checks fail, exit 1 (status $RC)" eval '[[ $RC == 1 ]] && grep -q "not loading" <<<"$OUT"'

# 2. everything in place
echo 268435456 >"$R/sys/kernel/kexec_crash_size"
echo kernel >"$R/boot/vmlinuz-$REL"
touch -d '2 days ago' "$R/boot/vmlinuz-$REL" "$R/etc/kcatch.conf"
echo image >"$R/var/lib/kcatch/initrd-$REL.img"
mkdir -p "$R/var/crash"
k status
check "status: reserved but not loaded, exit 3 (status $RC)" eval '[[ $RC == 3 ]] && grep -q "no capture kernel is loaded (256.0 MiB reserved)" <<<"$OUT"'
echo 1 >"$R/sys/kernel/kexec_crash_loaded"
k status
check "status: armed, exit 0 (status $RC)" eval '[[ $RC == 0 ]] && grep -q "^armed" <<<"$OUT"'
k test
check "test: ready, exit 0 (status $RC)" eval '[[ $RC == 0 ]] && grep -q "^ready" <<<"$OUT" && ! grep -q FAIL <<<"$OUT"'
k load --dry-run
check "load --dry-run: exit 0, kernel and initrd (status $RC)" \
	eval '[[ $RC == 0 ]] && grep -qx "kernel   $R/boot/vmlinuz-$REL" <<<"$OUT" && grep -qx "initrd   $R/var/lib/kcatch/initrd-$REL.img" <<<"$OUT"'
check "load --dry-run: command line without crashkernel/BOOT_IMAGE/nr_cpus/resume, plus reset_devices nr_cpus=1 irqpoll" \
	grep -qx 'cmdline  root=UUID=abcd ro console=ttyS0 quiet reset_devices nr_cpus=1 irqpoll' <<<"$OUT"
k unload --dry-run
check "unload --dry-run: exit 0, nothing unloaded" eval '[[ $RC == 0 ]] && grep -q "KEXEC_FILE_UNLOAD" <<<"$OUT"'
k show
check "show: config, reservation, kernel, image, command lines (status $RC)" \
	eval '[[ $RC == 0 ]] && has() { grep -qF -- "$1" <<<"$OUT"; } && has "compress zstd" && has "crashkernel reserved 256.0 MiB" &&
		has "kernel release       $REL" && has "capture image        /var/lib/kcatch/initrd-$REL.img (" && has "crashkernel=256M" &&
		has "dump directory       $R/var/crash" && has "reset_devices nr_cpus=1 irqpoll"'

# a capture image older than the config must be rebuilt
touch -d '3 days ago' "$R/var/lib/kcatch/initrd-$REL.img"
k test
check "test: a capture image older than kernel/config fails, says rebuild (status $RC)" \
	eval '[[ $RC == 1 ]] && grep -q "older than the kernel or the config; rebuild" <<<"$OUT"'
touch "$R/var/lib/kcatch/initrd-$REL.img"

# an invalid config: file and line named
printf 'target /\ncompres zstd\n' >"$W/bad.conf"
k --config "$W/bad.conf" test
check "test: invalid config names file and line, exit 1 (status $RC)" \
	eval '[[ $RC == 1 ]] && grep -q "FAIL config: .*bad.conf:2: unknown key" <<<"$OUT"'
k --config "$W/bad.conf" show
check "show: invalid config is an error naming the line (status $RC)" \
	eval '[[ $RC == 1 ]] && grep -q "bad.conf:2" <<<"$OUT"'

# 3. dumps
k list
check "list: no dumps yet (status $RC)" eval '[[ $RC == 0 ]] && grep -q "no dumps in $R/var/crash" <<<"$OUT"'
k report
check "report: no dumps is an error (status $RC)" eval '[[ $RC == 1 ]]'
"$MKVMCORE" "$SPEC" "$W/vmcore" "$W/expect" >/dev/null || { echo "Bail out! mkvmcore $SPEC failed"; exit 1; }
"$AGENT" --vmcore "$W/vmcore" --root "$R" --config "$R/etc/kcatch.conf" >"$W/agent.log" 2>&1
ID=2023-11-14-22:13:20-synth-host
check "kcatch-agent wrote a dump" test -f "$R/var/crash/$ID/kcatch.json"
# an older dump that never finished: only vmcore.incomplete
OLD=2023-01-02-03:04:05-synth-host
mkdir -p "$R/var/crash/$OLD"
head -c 5000 /dev/zero >"$R/var/crash/$OLD/vmcore.incomplete"
mkdir -p "$R/var/crash/lost+found"
k list
check "list: two dumps, oldest first, not lost+found (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(grep -c synth-host <<<"$OUT") == 2 ]] && ! grep -q lost <<<"$OUT" &&
		[[ $(sed -n 2p <<<"$OUT") == $OLD* ]] && [[ $(sed -n 3p <<<"$OUT") == $ID* ]]'
check "list: the complete dump with time, kernel and state" \
	grep -qE "^$ID +2023-11-14T22:13:20Z +6.12.0-synth +[0-9.]+ [KMG]iB +complete " <<<"$OUT"
check "list: the one with only vmcore.incomplete is incomplete" \
	grep -qE "^$OLD +$OLD +\? +[0-9.]+ KiB +incomplete " <<<"$OUT"
k report
check "report: the newest dump by default (status $RC)" \
	eval '[[ $RC == 0 ]] && grep -q "crash dump $ID" <<<"$OUT" && grep -q "kernel       6.12.0-synth" <<<"$OUT" &&
		grep -q "crash time   2023-11-14T22:13:20Z" <<<"$OUT" && grep -q "state        complete" <<<"$OUT" && grep -q "level 31, zstd" <<<"$OUT"'
if [[ -f $R/var/crash/$ID/vmcore-dmesg.txt ]]; then
	last=$(tail -n 1 "$R/var/crash/$ID/vmcore-dmesg.txt")
	check "report: ends with the last lines of vmcore-dmesg.txt" grep -qF -- "$last" <<<"$OUT"
	panic=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["panic_message"] or "")' "$R/var/crash/$ID/kcatch.json")
	[[ -n $panic ]] && check "report: the panic message" grep -qF -- "$panic" <<<"$OUT"
fi
k report "$OLD"
check "report ID: the incomplete dump, without kcatch.json (status $RC)" \
	eval '[[ $RC == 0 ]] && grep -q "state        incomplete (no kcatch.json)" <<<"$OUT"'
k report 2000-01-01-00:00:00
check "report of an unknown id: error says kcatch list (status $RC)" eval '[[ $RC == 1 ]] && grep -q "kcatch list" <<<"$OUT"'
RC=0; OUT=$(env -u NOTIFY_SOCKET "$KCATCH" --root "$R" report --journal 2>/dev/null) || RC=$?
check "report --journal: both dumps reported and marked (status $RC)" \
	eval '[[ $RC == 0 ]] && test -f "$R/var/crash/$ID/reported" && test -f "$R/var/crash/$OLD/reported" && [[ $(grep -c "^reported" <<<"$OUT") == 2 ]]'
k report --journal
check "report --journal again: nothing new" eval '[[ $RC == 0 ]] && grep -q "no new dumps" <<<"$OUT"'

# 4. usage
k frobnicate
check "unknown command: exit 2, names the commands" eval '[[ $RC == 2 ]] && grep -q "unknown command" <<<"$OUT"'
RC=0; OUT=$("$KCATCH" --help) || RC=$?
check "--help describes every command and --root" \
	eval '[[ $RC == 0 ]] && for c in status show test load unload list report --root --dry-run; do grep -q -- "  $c" <<<"$OUT" || exit 1; done'

# 5. the units
if command -v systemd-analyze >/dev/null; then
	# ExecStart must exist for verify: point the units at this build's kcatch
	mkdir -p "$W/units"
	for u in "${UNITS[@]}"; do sed "s|^\(Exec[A-Za-z]*=\)[^ ]*kcatch|\1$KCATCH|" "$u" >"$W/units/$(basename "$u")"; done
	check "systemd-analyze verify the units" \
		eval 'out=$(cd "$W/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./*.service 2>&1); echo "$out"; ! grep -q . <<<"$out"'
else
	echo "ok - systemd-analyze verify # SKIP no systemd-analyze"
	passed=$((passed + 1))
fi
for u in "${UNITS[@]}"; do
	case $(basename "$u") in
	kcatch.service)
		check "kcatch.service: oneshot, RemainAfterExit, load/unload, crashkernel condition" \
			eval 'grep -qx 'Type=oneshot' '$u' && grep -qx 'RemainAfterExit=yes' '$u' && grep -q '^ExecStart=.*kcatch load$' '$u' &&
				grep -q '^ExecStop=.*kcatch unload$' '$u' && grep -qx 'ConditionKernelCommandLine=crashkernel' '$u'' ;;
	kcatch-report.service)
		check "kcatch-report.service: report --journal" grep -q '^ExecStart=.*kcatch report --journal$' "$u" ;;
	esac
done

echo "1..$((passed + failed))"
echo "# $passed passed, $failed failed"
[[ $failed == 0 ]]
