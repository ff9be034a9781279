#!/bin/bash
# The full-system test's steps, run by kcatch-systest.service on every
# boot of the guest (from the SYSTEST disk, so editing this file needs no
# new image). Each boot does one phase, chosen by /var/lib/systest/phase:
#   install  apt install the package (offline), kcatch crashkernel, reboot
#   armed    crashkernel= reserved, kcatch.service active, kcatch status
#            armed; crash with sysrq (the capture kernel saves the dump
#            and reboots)
#   report   kcatch-report.service's journal entry, kcatch list, kcatch
#            report; power off
# Lines for the host (test-system.sh) start with "SYSTEST ": "ok - ...",
# "not ok - ..." (with the cause on "# " lines after it), "phase NAME",
# "time NAME SECONDS", "end".
set -u
M=/mnt/systest
S=/var/lib/systest
MSGID=5e1c3a4f9b2d4e7a8c6f0b1d2e3f4a5b
export LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 DEBIAN_FRONTEND=noninteractive
failed=0
say() { echo "SYSTEST $*"; }
show() { sed 's/^/SYSTEST # /'; }
# check DESCRIPTION COMMAND...: ok, or not ok and the command's output
check() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then say "ok - $d"; else failed=1; say "not ok - $d"; tail -n 25 <<<"$out" | show; fi
}
# the end of the test: flush, tell the host, power off
finish() {
	sync
	say "end"
	systemctl poweroff
	exit 0
}
now() { cut -d' ' -f1 /proc/uptime; }

mkdir -p "$S"
phase=$(cat "$S/phase" 2>/dev/null || echo install)
boots=$(( $(cat "$S/boots" 2>/dev/null || echo 0) + 1 ))
echo "$boots" >"$S/boots"
say "phase $phase (boot $boots, up $(now) s)"
say "time kernel-up-at-test-unit $(now)"

case $phase in
install)
	deb=$(ls "$M"/kcatch_*.deb 2>/dev/null | head -n 1)
	check "the package is on the SYSTEST disk ($(basename "${deb:-none}"))" test -f "$deb"
	cp "$deb" /root/
	deb=/root/$(basename "$deb")
	t0=$(now)
	# no route to any archive: every dependency is already installed
	# its output as it comes (the initramfs trigger is slow under TCG)
	apt-get install -y --no-install-recommends -o Acquire::Retries=0 "$deb" 2>&1 |
		while IFS= read -r l; do say "# [$(now)] $l"; done
	rc=${PIPESTATUS[0]}
	check "apt install ./$(basename "$deb") offline (no apt update, no network; exit $rc)" test "$rc" = 0
	say "time apt-install $(awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')"
	check "dpkg: kcatch installed" bash -c 'dpkg-query -W -f="\${Status}" kcatch | grep -qx "install ok installed"'
	check "kcatch.service and kcatch-report.service enabled" systemctl is-enabled kcatch.service kcatch-report.service
	# no crashkernel= yet: the unit's condition keeps it from failing
	systemctl status kcatch.service --no-pager 2>&1 | head -n 4 | show
	out=$(kcatch crashkernel 2>&1); rc=$?
	show <<<"$out"
	check "kcatch crashkernel (exit $rc)" test "$rc" = 0
	check "kcatch crashkernel wrote /etc/default/grub.d/kcatch.cfg with crashkernel=" \
		grep -H crashkernel= /etc/default/grub.d/kcatch.cfg
	check "update-grub put crashkernel= on the kernel line of /boot/grub/grub.cfg" \
		bash -c 'grep -E "^\s*linux\s.*crashkernel=" /boot/grub/grub.cfg || { grep -E "^\s*linux\s" /boot/grub/grub.cfg; exit 1; }'
	grep -E "^\s*linux\s" /boot/grub/grub.cfg | head -n 1 | show
	if ((failed)); then finish; fi
	echo armed >"$S/phase"
	sync
	say "reboot"
	systemctl reboot
	;;
armed)
	cmdline=$(cat /proc/cmdline)
	echo "$cmdline" | show
	check "GRUB booted the kernel with kcatch's crashkernel= (/proc/cmdline)" grep -q 'crashkernel=' /proc/cmdline
	check "the kernel reserved memory for it (/sys/kernel/kexec_crash_size $(cat /sys/kernel/kexec_crash_size))" \
		test "$(cat /sys/kernel/kexec_crash_size)" -gt 0
	st=$(systemctl status kcatch.service --no-pager -n 20 2>&1)
	show <<<"$st"
	check "systemctl status kcatch: active" bash -c '[ "$(systemctl is-active kcatch.service)" = active ] || { systemctl is-active kcatch.service; journalctl -b -u kcatch.service --no-pager | tail -n 20; exit 1; }'
	out=$(kcatch status 2>&1); rc=$?
	show <<<"$out"
	check "kcatch status: armed (exit $rc)" bash -c "[ $rc = 0 ] && grep -q '^armed' <<<\"\$1\"" _ "$out"
	check "/sys/kernel/kexec_crash_loaded is 1" test "$(cat /sys/kernel/kexec_crash_loaded)" = 1
	# its start job: kcatch load builds the capture image, then loads it
	a=$(systemctl show -P InactiveExitTimestampMonotonic kcatch.service)
	b=$(systemctl show -P ActiveEnterTimestampMonotonic kcatch.service)
	say "time kcatch.service-start $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')"
	journalctl -b -u kcatch.service --no-pager -o short-monotonic 2>&1 | tail -n 12 | show
	if ((failed)); then finish; fi
	echo report >"$S/phase"
	sync
	say "crash"
	sleep 1
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
	say "not ok - still running after echo c > /proc/sysrq-trigger"
	finish
	;;
report)
	echo done >"$S/phase"
	j=$(journalctl -b --no-pager -o verbose MESSAGE_ID=$MSGID 2>&1)
	journalctl -b --no-pager MESSAGE_ID=$MSGID 2>&1 | show
	check "journalctl MESSAGE_ID=$MSGID: kcatch-report.service's entry, priority 2" \
		bash -c 'grep -q "_SYSTEMD_UNIT=kcatch-report.service" <<<"$1" && grep -q "PRIORITY=2" <<<"$1" || { echo "$1"; journalctl -b -u kcatch-report.service --no-pager; exit 1; }' _ "$j"
	grep -E '^\s+(MESSAGE_ID|_SYSTEMD_UNIT|PRIORITY)=' <<<"$j" | show
	systemctl status kcatch-report.service --no-pager 2>&1 | head -n 8 | show
	out=$(kcatch list 2>&1); rc=$?
	show <<<"$out"
	check "kcatch list: one dump (exit $rc)" bash -c "[ $rc = 0 ] && [ \$(ls -d /var/crash/*/ 2>/dev/null | wc -l) = 1 ] && grep -q sysrq <<<\"\$1\"" _ "$out"
	out=$(kcatch report 2>&1); rc=$?
	show <<<"$out"
	check "kcatch report: the sysrq crash (exit $rc)" bash -c "[ $rc = 0 ] && grep -qi 'sysrq' <<<\"\$1\"" _ "$out"
	ls -l /var/crash/*/ 2>&1 | show
	check "the dump directory holds the dump: a non-empty vmcore, kcatch.json status complete" \
		bash -c 'for d in /var/crash/*/; do [ -s "$d/vmcore" ] && grep -Eq "\"status\": *\"complete\"" "$d/kcatch.json" || exit 1; done'
	check "the report is marked done (a file named reported)" bash -c 'ls /var/crash/*/reported'
	systemctl status kcatch.service --no-pager 2>&1 | head -n 4 | show
	check "kcatch.service armed again after the capture's reboot" bash -c '[ "$(systemctl is-active kcatch.service)" = active ]'
	finish
	;;
*)
	say "not ok - unexpected phase '$phase' at boot $boots (a reboot the test did not ask for?)"
	finish
	;;
esac
