#!/bin/sh
# /sbin/e2e-arm on the root disk of tests/e2e/test-arm.sh (busybox sh, PID 1
# after switch_root). The kernel command line picks the boot:
#   kcatch_e2e=arm     boot 1: kcatch status, test, show, load --dry-run,
#                      load (the image built on the host), unload; then an
#                      operator's config change (keep 3 -> keep 2): test sees
#                      the image is stale, load rebuilds it here with
#                      kcatch-mkinitramfs and loads it; crash through sysrq
#   kcatch_e2e=report  boot 2, after the capture: kcatch status, list,
#                      report, report ID, report --journal twice, list
# Each kcatch run leaves /var/log/e2e/<boot>/<NN-step>.out (stdout and
# stderr) and .rc (exit status) on the disk, read back by the host with
# debugfs; "E2E:" console lines show progress.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/local/bin:/usr/local/sbin
exec </dev/console >/dev/console 2>&1

fail() {
	echo "E2E: FAIL: $*"
	sync
	poweroff -f
	sleep 60
}

mode=$(sed -n 's/.*kcatch_e2e=\([a-z]*\).*/\1/p' /proc/cmdline)
case $mode in arm | report) ;; *) fail "no kcatch_e2e=arm|report on the command line" ;; esac
mkdir -p /tmp /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
hostname "$(cat /etc/hostname)"
# What udev would have made: kcatch finds the target UUID= there.
root_dev=$(awk '$2 == "/" && $1 ~ /^\/dev\// { print $1 }' /proc/mounts | tail -n 1)
# The ext4 UUID: 16 bytes at offset 0x68 of the superblock, which starts at 1 KiB.
uuid=$(od -An -tx1 -j1128 -N16 "$root_dev" | tr -d ' \n' |
	sed 's/\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)/\1-\2-\3-\4-/')
mkdir -p /dev/disk/by-uuid
ln -sf "../../${root_dev#/dev/}" "/dev/disk/by-uuid/$uuid"
echo "E2E: $mode boot on $root_dev (UUID $uuid), $(uname -r), host $(hostname)"

out=/var/log/e2e/$mode
rm -rf "$out"
mkdir -p "$out"
n=0
# step NAME COMMAND...: run it, keep output and status on the disk
step() {
	name=$(printf '%02d-%s' "$n" "$1")
	n=$((n + 1))
	shift
	"$@" >"$out/$name.out" 2>&1
	echo $? >"$out/$name.rc"
	echo "E2E: $name: $* -> exit $(cat "$out/$name.rc")"
	sed 's/^/E2E: | /' "$out/$name.out"
}
# loaded NAME: /sys/kernel/kexec_crash_loaded now
loaded() {
	cat /sys/kernel/kexec_crash_loaded >"$out/$1.loaded"
	echo "E2E: $1: kexec_crash_loaded $(cat "$out/$1.loaded")"
}

if [ "$mode" = arm ]; then
	step status-before kcatch status
	step test kcatch test
	step show kcatch show
	step load-dry-run kcatch load --dry-run
	step load kcatch load
	loaded after-load
	step status-armed kcatch status
	step unload kcatch unload
	loaded after-unload
	step status-unloaded kcatch status
	sed -i 's/^keep 3$/keep 2/' /etc/kcatch.conf
	step test-stale kcatch test
	step load-again kcatch load
	loaded after-load-again
	step test-rebuilt kcatch test
	sync
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "kcatch load did not arm the capture kernel"
	echo "E2E: armed by kcatch load; crashing"
	sleep 1  # let the console drain: the panic stops the serial output of user space
	echo c >/proc/sysrq-trigger
	fail "still alive after sysrq c"
fi

step status kcatch status
step list kcatch list
step report kcatch report
id=$(cd /var/crash && ls -d ????-??-??-* 2>/dev/null | tail -n 1)
step report-id kcatch report "$id"
step journal kcatch report --journal
ls -la "/var/crash/$id" >"$out/dump-dir.ls" 2>&1
step journal-again kcatch report --journal
step list-again kcatch list
echo "E2E: report boot done"
sync
mount -o remount,ro /
poweroff -f
sleep 60
