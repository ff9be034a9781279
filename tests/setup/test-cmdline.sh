#!/bin/bash
# The capture kernel's command line (kcatch show, the same function as
# kcatch load): for fake /proc/cmdline contents, the exact line it gets.
# It must not run another init (init=, rdinit=, what follows "--"), nor
# carry module blacklists, systemd/dracut boot breaks, the reservation or
# options sized for the host's RAM; root=, rd.lvm.*, rd.luks.*, console=
# and the rest stay.
#
#   test-cmdline.sh KCATCH
set -uo pipefail
KCATCH=$(realpath "$1")
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-cmdline.XXXXXX")
trap 'rm -rf "$W"' EXIT
R=$W/root
mkdir -p "$R/etc" "$R/proc"
passed=0 failed=0
FIXED="reset_devices nr_cpus=1 irqpoll panic=10"

# expect NAME CONFIG CMDLINE EXPECTED
expect() {
	local got
	printf '%s\n' "$2" >"$R/etc/kcatch.conf"
	printf '%s\n' "$3" >"$R/proc/cmdline"
	got=$("$KCATCH" --root "$R" show 2>&1 | sed -n 's/^capture command line *//p')
	if [[ $got == "$4" ]]; then
		passed=$((passed + 1))
		echo "ok - $1"
	else
		failed=$((failed + 1))
		echo "not ok - $1"
		printf '#   /proc/cmdline: %s\n#   expected:      %s\n#   got:           %s\n' "$3" "$4" "$got"
	fi
}

expect "init=, rdinit= and init's arguments after -- are dropped" "path /var/crash" \
	"BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/vg-root ro rdinit=/bin/sh init=/lib/systemd/systemd quiet -- single emergency" \
	"root=/dev/mapper/vg-root ro quiet $FIXED"
expect "module blacklists (modprobe., module_blacklist, rd.driver.blacklist, nomodule) are dropped; consoles stay" "path /var/crash" \
	"root=UUID=0a1b ro modprobe.blacklist=nouveau,virtio_net module_blacklist=virtio_blk,e1000 rd.driver.blacklist=ahci nomodule console=tty0 console=ttyS0,115200n8" \
	"root=UUID=0a1b ro console=tty0 console=ttyS0,115200n8 $FIXED"
expect "systemd.*, rd.systemd.* and the boot breaks go; the storage options (rd.lvm, rd.luks, rd.md) stay" "path /var/crash" \
	"root=LABEL=r rd.lvm.lv=vg/root rd.luks.uuid=luks-1234 rd.md.uuid=aa:bb systemd.unit=rescue.target rd.systemd.unit=emergency.target systemd.log_level=debug rd.break=pre-mount rd.shell rd.emergency=halt break=premount loglevel=7" \
	"root=LABEL=r rd.lvm.lv=vg/root rd.luks.uuid=luks-1234 rd.md.uuid=aa:bb loglevel=7 $FIXED"
expect "the reservation, hibernation, RAM-sized, CPU-count and panic options are dropped" "path /var/crash" \
	"initrd=/initrd.img crashkernel=1G-4G:256M,4G-:512M crashkernel=128M,low resume=UUID=5a5a resume_offset=34816 noresume hibernate=no mem=8G memmap=4G!12G hugepages=512 hugepagesz=2M default_hugepagesz=1G cma=64M hugetlb_cma=1G swiotlb=65536 log_buf_len=16M slub_debug=FZ panic_on_warn=1 nr_cpus=16 maxcpus=8 possible_cpus=8 irqpoll reset_devices panic=0 kexec_jump_back_entry=0x1 root=/dev/vda1" \
	"root=/dev/vda1 $FIXED"
expect "names compare with - and _ alike, exactly (init_on_free= and initcall_debug stay), quoted values keep their spaces" "path /var/crash" \
	'root=/dev/vda1 panic-on-warn=1 module-blacklist=foo "dyndbg=file foo.c +p" init_on_free=1 initcall_debug "rdinit=/a b" breakpoint_x=1' \
	'root=/dev/vda1 "dyndbg=file foo.c +p" init_on_free=1 initcall_debug breakpoint_x=1 '"$FIXED"
expect "kernel_cmdline_remove drops by name (and -- still ends the line); kernel_cmdline_append comes last, its panic= wins" \
	"$(printf 'path /var/crash\nkernel_cmdline_remove quiet splash\nkernel_cmdline_append console=ttyS1 panic=30')" \
	"root=/dev/vda1 quiet splash console=ttyS0 -- quiet --init-arg" \
	"root=/dev/vda1 console=ttyS0 $FIXED console=ttyS1 panic=30"
expect "a line that is only init's arguments gives only kcatch's options" "path /var/crash" \
	"-- init=/bin/sh root=/dev/sda1" "$FIXED"

# nr_cpus= of the capture kernel (issue 16): 1 + 1 per 4 GiB of the host's
# RAM, at most 4 and the host's CPUs, as many as the reservation fits
# (estimate + 4 MiB per extra CPU, + 10 %); capture_cpus N overrides.
. "$(dirname "$0")/lib-setup.sh"
C=$W/cpus
REL=6.1.0-99-amd64
mkdir -p "$C/etc" "$C/proc/sys/kernel" "$C/sys/kernel" "$C/sys/devices/system/cpu" "$C/boot"
echo "$REL" >"$C/proc/sys/kernel/osrelease"
echo "root=/dev/vda1" >"$C/proc/cmdline"
mkkernel "$C/boot/vmlinuz-$REL" 50 0
# cpus NAME CPULIST MEMTOTAL_KIB RESERVED_MIB CONFIG EXPECTED_NR_CPUS
cpus() {
	local got
	echo "$2" >"$C/sys/devices/system/cpu/online"
	printf 'MemTotal:        %s kB\n' "$3" >"$C/proc/meminfo"
	echo $(($4 << 20)) >"$C/sys/kernel/kexec_crash_size"
	printf '%s\n' "$5" >"$C/etc/kcatch.conf"
	got=$("$KCATCH" --root "$C" show 2>&1 | sed -n 's/^capture command line .*nr_cpus=\([0-9]*\) .*/\1/p')
	EST=$("$KCATCH" --root "$C" estimate 2>&1)
	if [[ $got == "$6" ]] && grep -q "nr_cpus=$6 " <<<"$EST"; then
		passed=$((passed + 1))
		echo "ok - $1: nr_cpus=$got ($(sed -n 's/^capture CPUs with what is reserved now: //p' <<<"$EST"))"
	else
		failed=$((failed + 1))
		echo "not ok - $1: expected nr_cpus=$6, got '$got'"
		sed 's/^/#   /' <<<"$EST"
	fi
}
cpus "16 GiB, 8 CPUs, 512M reserved: four" 0-7 16000000 512 "path /var/crash" 4
cpus "4 GiB, 8 CPUs: two" 0-7 3900000 512 "path /var/crash" 2
cpus "16 GiB, but one CPU: one" 0 16000000 512 "path /var/crash" 1
cpus "16 GiB, 2 CPUs (0,2): two" 0,2 16000000 512 "path /var/crash" 2
cpus "16 GiB, 8 CPUs, 96M reserved: only two fit" 0-7 16000000 96 "path /var/crash" 2
cpus "16 GiB, 8 CPUs, 88M reserved: one fits" 0-7 16000000 88 "path /var/crash" 1
cpus "nothing reserved: one" 0-7 16000000 0 "path /var/crash" 1
cpus "capture_cpus 3 overrides (even with little reserved)" 0-7 3900000 88 "$(printf 'path /var/crash\ncapture_cpus 3')" 3
cpus "capture_cpus auto is the default" 0-7 16000000 512 "$(printf 'path /var/crash\ncapture_cpus auto')" 4
cpus "no cpu list: one" "" 16000000 512 "path /var/crash" 1
# the estimate counts the extra CPUs: 3 x 4 MiB on the 16 GiB, 8 CPU host
cpus "estimate table (16 GiB, 8 CPUs)" 0-7 16000000 512 "path /var/crash" 4
if grep -qE '^  extra capture CPUs +12\.0 MiB  4 capture CPUs' <<<"$EST"; then
	passed=$((passed + 1)); echo "ok - estimate: an 'extra capture CPUs' row of 12.0 MiB for 4 CPUs"
else
	failed=$((failed + 1)); echo "not ok - estimate: no 'extra capture CPUs' row of 12.0 MiB"; sed 's/^/#   /' <<<"$EST"
fi

echo "1..$((passed + failed))"
echo "# $passed passed, $failed failed"
[[ $failed == 0 ]]
