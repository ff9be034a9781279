#!/bin/sh
# /init of the first kernel's initramfs in tests/e2e/test-arm.sh, run by
# busybox sh. It plays the distribution initramfs: load the disk driver
# (the modules listed in /etc/e2e/modules, dependencies first), mount the
# ext4 disk whose UUID is in /etc/e2e/root-uuid as / and hand over to
# /sbin/e2e-arm on it (tests/e2e/guest/arm-root.sh), which runs kcatch.
# Lines starting with "E2E:" are read by test-arm.sh.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

fail() {
	echo "E2E: FAIL: $*"
	poweroff -f
	sleep 60
}

echo "E2E: initramfs up: $(uname -r)"
while read -r ko; do
	insmod "/lib/e2e-modules/$ko" || fail "insmod $ko"
done </etc/e2e/modules
uuid=$(cat /etc/e2e/root-uuid)
# The kernel probes virtio devices asynchronously: wait for the disk.
root=
for _ in $(seq 1 100); do
	root=$(findfs "UUID=$uuid" 2>/dev/null) && break
	sleep 0.1
done
[ -n "$root" ] || fail "no disk with UUID $uuid"
mkdir -p /newroot
mount -t ext4 -o rw "$root" /newroot || fail "mount $root"
echo "E2E: root $root (UUID $uuid) mounted; switching to it"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/e2e-arm
