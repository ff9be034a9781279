#!/bin/sh
# /init of the CAPTURE kernel (booted by kexec after the panic), busybox sh.
# Copies /proc/vmcore raw onto the virtio disk with serial "kcdump",
# then powers off. Console lines starting with "KCATCH:" are read by
# capture-vmcore.sh.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

msg() { echo "KCATCH: $*"; }
fail() {
	msg "FAIL: $*"
	sync
	poweroff -f
	reboot -f
	sleep 60
}

wait_disk() {
	i=0
	while [ $i -lt 300 ]; do
		for d in /sys/block/vd*; do
			[ -e "$d/serial" ] || continue
			if [ "$(cat "$d/serial")" = "$1" ]; then
				echo "/dev/${d##*/}"
				return 0
			fi
		done
		usleep 100000
		i=$((i + 1))
	done
	return 1
}

msg "capture kernel up: $(uname -r)"
msg "cmdline: $(cat /proc/cmdline)"
[ -e /proc/vmcore ] || fail "no /proc/vmcore"

for m in $(cat /etc/kcatch/modules); do
	insmod "/lib/modules/$m" || fail "insmod $m"
done

DUMP=$(wait_disk kcdump) || fail "dump disk (serial kcdump) not found"
size=$(stat -c %s /proc/vmcore)
disk=$(($(cat "/sys/block/${DUMP#/dev/}/size") * 512))
msg "vmcore size $size, dump disk $DUMP $disk bytes"
[ "$size" -le "$disk" ] || fail "dump disk too small"
dd if=/proc/vmcore of="$DUMP" bs=1M conv=fsync 2>/tmp/dd.log || {
	cat /tmp/dd.log
	fail "dd /proc/vmcore"
}
cat /tmp/dd.log
sync
msg "CAPTURE-DONE vmcore_size=$size"
poweroff -f
reboot -f
