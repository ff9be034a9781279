#!/bin/sh
# /init of the FIRST (to be crashed) kernel, run by busybox sh.
# Loads the virtio modules, runs a workload that gives every makedumpfile
# dump level something to exclude, loads the capture kernel with
# kexec_file_load and crashes through sysrq.
# Console lines starting with "KCATCH:" are read by capture-vmcore.sh.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /tmp /mnt/scratch
mount -t tmpfs tmpfs /tmp

msg() { echo "KCATCH: $*"; }
fail() {
	msg "FAIL: $*"
	sync
	poweroff -f
	reboot -f
	sleep 60
}

# wait_disk SERIAL: print /dev/vdX of the virtio disk with that serial (30 s)
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

msg "first kernel up: $(uname -r) cpus=$(nproc)"
msg "cmdline: $(cat /proc/cmdline)"
if grep -q ' la57' /proc/cpuinfo; then msg "cpu has la57"; else msg "cpu has no la57"; fi

for m in $(cat /etc/kcatch/modules); do
	insmod "/lib/modules/$m" || fail "insmod $m"
done

SCRATCH=$(wait_disk kcscratch) || fail "scratch disk (serial kcscratch) not found"
mount -t ext4 "$SCRATCH" /mnt/scratch || fail "mount $SCRATCH"

# Clear the log (syslog READ_CLEAR sets clear_seq / clear_idx), so that
# --partial-dmesg has the boot messages to leave out.
dmesg -c >/dev/null
msg "kernel log cleared"
memkb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
memmb=$((memkb / 1024))
msg "workload: MemTotal ${memmb} MiB"

# Page cache on ext4 without buffer heads (read back after dropping caches)
# and with buffer heads / PG_private (just written), plus shmem on tmpfs.
kcwork fill /mnt/scratch/readback.dat $((memmb / 16)) || fail "fill readback"
sync
echo 3 >/proc/sys/vm/drop_caches
cat /mnt/scratch/readback.dat >/dev/null || fail "read back"
kcwork fill /mnt/scratch/written.dat $((memmb / 16)) || fail "fill written"
kcwork fill /tmp/tmpfs.dat $((memmb / 12)) || fail "fill tmpfs"
# Slab: dentries and inodes on both file systems.
kcwork slab /tmp/slab 100 100 || fail "slab tmpfs"
kcwork slab /mnt/scratch/slab 50 100 || fail "slab ext4"
sync
# Anonymous user memory: a quarter of RAM, kept alive in the background.
kcwork anon 25 /tmp/anon.ready &
i=0
while [ ! -e /tmp/anon.ready ]; do
	[ $i -lt 1200 ] || fail "anonymous workload not ready after 120 s"
	usleep 100000
	i=$((i + 1))
done
# Free pages that are not zero: memory written and then freed (after the
# anonymous workload, so that nothing reuses them before the crash).
kcwork churn 20 || fail "churn"
grep -E '^(MemTotal|MemFree|Cached|Buffers|AnonPages|Shmem|Slab|SReclaimable):' /proc/meminfo |
	while read -r line; do msg "meminfo $line"; done

kexec -s -p /boot/vmlinuz --initrd=/boot/capture.img --append="$(cat /etc/kcatch/capture-cmdline)" ||
	fail "kexec -s -p failed"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "capture kernel not loaded"
msg "capture kernel loaded; crashing"
sync
echo c >/proc/sysrq-trigger
fail "still alive after sysrq c"
