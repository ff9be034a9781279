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

# Large folios, so that a filter has tail pages of user and page-cache
# folios to drop: anonymous THP (kcwork anon asks with MADV_HUGEPAGE, which
# "madvise" and "always" both honour), 64 KiB anonymous mTHP where the
# kernel has them (6.8+), and a huge=always tmpfs (shmem THP).
thp=/sys/kernel/mm/transparent_hugepage
[ -r $thp/enabled ] || fail "no $thp/enabled: kernel without transparent huge pages"
grep -q '\[never\]' $thp/enabled && echo madvise >$thp/enabled
if [ -w $thp/hugepages-64kB/enabled ]; then
	echo always >$thp/hugepages-64kB/enabled || fail "cannot enable 64 KiB mTHP"
fi
msg "thp enabled: $(cat $thp/enabled) defrag: $(cat $thp/defrag) shmem_enabled: $(cat $thp/shmem_enabled 2>/dev/null)"
[ -r $thp/hugepages-64kB/enabled ] && msg "thp 64kB enabled: $(cat $thp/hugepages-64kB/enabled)"
mkdir -p /mnt/huge
mount -t tmpfs -o huge=always tmpfs /mnt/huge || fail "mount tmpfs -o huge=always"

# Page cache on ext4 without buffer heads (read back after dropping caches;
# large folios from readahead on 6.16+) and with buffer heads / PG_private
# (just written), plus shmem on tmpfs, small and huge folios.
kcwork fill /mnt/scratch/readback.dat $((memmb / 16)) || fail "fill readback"
sync
echo 3 >/proc/sys/vm/drop_caches
cat /mnt/scratch/readback.dat >/dev/null || fail "read back"
kcwork fill /mnt/scratch/written.dat $((memmb / 16)) || fail "fill written"
kcwork fill /tmp/tmpfs.dat $((memmb / 12)) || fail "fill tmpfs"
kcwork fill /mnt/huge/huge.dat $((memmb / 16)) || fail "fill huge tmpfs"
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
grep -E '^(MemTotal|MemFree|Cached|Buffers|AnonPages|AnonHugePages|Shmem|ShmemHugePages|FileHugePages|Slab|SReclaimable):' /proc/meminfo |
	while read -r line; do msg "meminfo $line"; done

kexec -s -p /boot/vmlinuz --initrd=/boot/capture.img --append="$(cat /etc/kcatch/capture-cmdline)" ||
	fail "kexec -s -p failed"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "capture kernel not loaded"
msg "capture kernel loaded; crashing"
sync
echo c >/proc/sysrq-trigger
fail "still alive after sysrq c"
