#!/bin/sh
# /init of the FIRST (to be crashed) kernel in the kcatch end-to-end tests,
# run by busybox sh: set a host name (the dump directory carries it), fill
# some memory so the dump levels have something to drop, load the capture
# kernel with kexec_file_load (kexec -s -p) and crash: through sysrq, or,
# when /etc/e2e/trigger says "null" or "bug", through the test module
# /etc/e2e/kcatch-crashmod.ko (tests/e2e/guest/kcatch-crashmod.c; needs
# oops=panic on the command line).
# Lines starting with "E2E:" are read by tests/e2e/lib-e2e.sh.
export PATH=/bin:/sbin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /tmp
mount -t tmpfs tmpfs /tmp

fail() {
	echo "E2E: FAIL: $*"
	poweroff -f
	sleep 60
}

echo "E2E: first kernel up: $(uname -r), $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) kB"
hostname "$(cat /etc/e2e/hostname)"
# Page cache (tmpfs) and free-but-dirty pages: written, then partly freed.
mb=$(cat /etc/e2e/workload-mb)
dd if=/dev/urandom of=/tmp/keep bs=1M count="$mb" 2>/dev/null || fail "workload"
dd if=/dev/urandom of=/tmp/drop bs=1M count="$mb" 2>/dev/null && rm -f /tmp/drop
sync

kexec -s -p /boot/vmlinuz --initrd=/boot/capture.img --append="$(cat /etc/e2e/capture-cmdline)" ||
	fail "kexec -s -p failed"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "capture kernel not loaded"
echo "E2E: capture kernel loaded ($(wc -c </boot/capture.img) byte initramfs); crashing"
trigger=sysrq
[ -f /etc/e2e/trigger ] && trigger=$(cat /etc/e2e/trigger)
case $trigger in
null | bug)
	insmod /etc/e2e/kcatch-crashmod.ko || fail "insmod /etc/e2e/kcatch-crashmod.ko"
	sleep 1
	# a child writes, as any program would (an oops of init is a special
	# case in the kernel: it goes to the capture kernel even without oops=panic)
	sh -c "echo $trigger >/proc/kcatch-crashmod"
	fail "still alive after writing $trigger to /proc/kcatch-crashmod (is oops=panic set?)"
	;;
sysrq) ;;
*) fail "unknown trigger '$trigger' in /etc/e2e/trigger" ;;
esac
sleep 1  # let the console drain: the panic stops the serial output of user space
echo c >/proc/sysrq-trigger
fail "still alive after sysrq c"
