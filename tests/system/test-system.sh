#!/bin/bash
# The full-system end-to-end test (issue 15): a Debian 12 guest under QEMU
# (TCG) boots through SeaBIOS and GRUB with its own systemd, and inside it
#   boot 1  apt install ./kcatch_*.deb (offline), kcatch crashkernel
#           (GRUB drop-in + update-grub), reboot
#   boot 2  GRUB passes crashkernel=, kcatch.service arms the capture
#           kernel (systemctl status kcatch active, kcatch status armed),
#           echo c > /proc/sysrq-trigger
#   capture kcatch's own capture image (kcatch-agent) saves the dump to
#           /var/crash and reboots
#   boot 3  journalctl shows kcatch-report.service's MESSAGE_ID entry,
#           kcatch list and kcatch report show the crash; power off
# The guest image is made once (mkimage.sh, cached); guest/steps.sh runs
# the steps (kcatch-systest.service) and reports on the second serial
# port, which this script turns into TAP with each phase's time.
#
#   test-system.sh SRCDIR
# Needs root, dpkg-buildpackage (debhelper), debootstrap, mke2fs, qemu.
# KCATCH_SYSTEST_DEB=FILE skips the package build; KCATCH_SYSTEST_KEEP=1
# keeps the work directory (serial logs, disk overlay).
set -uo pipefail
SRC=$(cd "$1" && pwd)
HERE=$SRC/tests/system
. "$SRC/tests/e2e/lib-tap.sh"
FRESH_PROG=test-system.sh
. "$SRC/tests/fresh/lib-fresh.sh"

[[ $(id -u) == 0 ]] || { echo "1..0 # SKIP needs root (debootstrap, dpkg-buildpackage)"; exit 0; }
for c in dpkg-buildpackage dh debootstrap mke2fs qemu-system-x86_64 qemu-img python3; do
	command -v "$c" >/dev/null || { echo "Bail out! $c not found: apt-get install dpkg-dev debhelper debootstrap e2fsprogs qemu-system-x86 qemu-utils python3 (as .ci/run does)"; exit 1; }
done

# bounds, seconds: each phase under TCG on a loaded 2-core machine
T_BOOT1=${KCATCH_SYSTEST_T_BOOT:-600}      # power on to the test unit
T_INSTALL=600                              # apt install, crashkernel, update-grub
T_BOOT2=900                                # reboot, kcatch.service builds and arms
T_CAPTURE=900                              # crash, capture, reboot, report
T_OFF=120

mkdir -p "$FRESH_WORK"
W=$(mktemp -d "$FRESH_WORK/test-system.XXXXXX")
QPID=
cleanup() {
	[[ -n $QPID ]] && kill "$QPID" 2>/dev/null
	if [[ ${KCATCH_SYSTEST_KEEP:-0} == 1 ]]; then echo "# kept $W"; else rm -rf --one-file-system "$W"; fi
}
trap cleanup EXIT
T0=$SECONDS
timing=()
timed() { timing+=("$1 $2 s"); echo "# time: $1 $2 s"; }

# ---- the package ------------------------------------------------------------
t0=$SECONDS
if [[ -n ${KCATCH_SYSTEST_DEB:-} ]]; then
	DEB=$KCATCH_SYSTEST_DEB
else
	fresh_copy_tree "$SRC" "$W/src/kcatch"
	if ! (cd "$W/src/kcatch" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc) >"$W/build.log" 2>&1; then
		echo "Bail out! dpkg-buildpackage -b -us -uc failed; its last lines:"
		tail -n 30 "$W/build.log" | sed 's/^/# /'
		exit 1
	fi
	DEB=$(ls "$W"/src/kcatch_*_"$(dpkg --print-architecture)".deb)
fi
check "the package: $(basename "$DEB") (dpkg-buildpackage -b -us -uc, $((SECONDS - t0)) s)" test -f "$DEB"
timed package $((SECONDS - t0))
# the guest installs it offline: its image must hold every dependency
deps=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/([^)]*)//; s/|.*//; s/ //g' | grep -v '^\(libc6\|\)$')
imgdeps=$(sed -n 's/^KCATCH_DEPS=//p' "$HERE/mkimage.sh")
check "mkimage.sh's KCATCH_DEPS holds the package's Depends ($(echo $deps))" \
	eval 'for d in $deps; do [[ ,$imgdeps, == *,$d,* ]] || { echo "add $d to KCATCH_DEPS in tests/system/mkimage.sh"; exit 1; }; done'

# ---- the guest image (cached) -------------------------------------------------
t0=$SECONDS
if ! IMG=$("$HERE/mkimage.sh" 2>"$W/mkimage.log" | tail -n 1) || [[ ! -s $IMG ]]; then
	echo "Bail out! tests/system/mkimage.sh failed:"
	tail -n 40 "$W/mkimage.log" | sed 's/^/# /'
	exit 1
fi
sed 's/^/# /' "$W/mkimage.log"
ok "guest image $IMG ($((SECONDS - t0)) s; made once, then cached)"
timed image $((SECONDS - t0))

qemu-img create -q -f qcow2 -b "$IMG" -F raw "$W/disk.qcow2" || { echo "Bail out! qemu-img create (overlay on $IMG) failed"; exit 1; }
mkdir -p "$W/data"
cp "$DEB" "$HERE/guest/steps.sh" "$W/data/"
mke2fs -q -F -t ext4 -L SYSTEST -d "$W/data" "$W/data.raw" 64M >/dev/null || { echo "Bail out! mke2fs -d $W/data failed"; exit 1; }

# ---- the guest's three boots and the capture, in one QEMU run ----------------
: >"$W/console.log"
: >"$W/results.log"
qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 2 -m 1536 \
	-display none -nic none -boot c \
	-drive file="$W/disk.qcow2",format=qcow2,if=virtio \
	-drive file="$W/data.raw",format=raw,if=virtio,readonly=on \
	-serial file:"$W/console.log" -serial file:"$W/results.log" \
	</dev/null >"$W/qemu.log" 2>&1 &
QPID=$!
tq=$SECONDS
echo "# QEMU $QPID: SeaBIOS, GRUB from the disk, Debian's 6.1 kernel, systemd"

seen=0      # result lines already turned into TAP
# pump: print new result lines as TAP
pump() {
	local l
	while IFS= read -r l; do
		seen=$((seen + 1))
		l=${l%$'\r'}
		case $l in
		"SYSTEST ok - "*) ok "${l#SYSTEST ok - }" ;;
		"SYSTEST not ok - "*) not_ok "${l#SYSTEST not ok - }" ;;
		"SYSTEST # "*) echo "#   ${l#SYSTEST # }" ;;
		"SYSTEST "*) echo "# guest: ${l#SYSTEST }" ;;
		esac
	done < <(tr -d '\r' <"$W/results.log" | grep -a '^SYSTEST ' | tail -n +$((seen + 1)))
}
# wait_for PATTERN BOUND WHAT: until a result line matches, QEMU ends or
# BOUND seconds pass; fails with the console's last lines
wait_for() {
	local pat=$1 bound=$2 what=$3 t=$SECONDS
	while :; do
		pump
		if tr -d '\r' <"$W/results.log" | grep -aq "$pat"; then
			timed "$what" $((SECONDS - t))
			return 0
		fi
		if ! kill -0 "$QPID" 2>/dev/null; then
			not_ok "$what: QEMU ended first ($(cat "$W/qemu.log"))"
			break
		fi
		if ((SECONDS - t > bound)); then
			not_ok "$what within $bound s"
			break
		fi
		sleep 2
	done
	echo "# the guest's console (ttyS0), last lines:"
	tr -d '\r' <"$W/console.log" | tail -n 40 | sed 's/^/#   /'
	return 1
}
phase() {  # PATTERN BOUND WHAT
	wait_for "$@" || { tap_finish; exit 1; }
	if tr -d '\r' <"$W/results.log" | grep -aq '^SYSTEST end'; then
		pump
		echo "# the guest stopped early (a failed step above); console's last lines:"
		tr -d '\r' <"$W/console.log" | tail -n 30 | sed 's/^/#   /'
		tap_finish; exit 1
	fi
}

phase '^SYSTEST phase install' "$T_BOOT1" "boot 1: power on to the test unit (SeaBIOS, GRUB, kernel, systemd)"
phase '^SYSTEST reboot' "$T_INSTALL" "boot 1: apt install, kcatch crashkernel, update-grub"
t_installed=$SECONDS
phase '^SYSTEST phase armed' "$T_BOOT2" "boot 2: reboot through GRUB to the test unit (kcatch.service armed)"
phase '^SYSTEST crash' 300 "boot 2: checks"
timed "apt install to armed" $((SECONDS - t_installed))
wait_for '^SYSTEST phase report' "$T_CAPTURE" "capture: sysrq crash, capture kernel saves the dump, reboot to the test unit" ||
	{ tap_finish; exit 1; }
wait_for '^SYSTEST end' 300 "boot 3: journal, kcatch list, kcatch report" || { tap_finish; exit 1; }
pump
# the capture kernel's own lines on the console
grep -a 'kcatch-agent' "$W/console.log" | tr -d '\r' | head -n 20 | sed 's/^/#   console: /'
t=$SECONDS
while kill -0 "$QPID" 2>/dev/null && ((SECONDS - t < T_OFF)); do sleep 1; done
check "the guest powered off" eval '! kill -0 $QPID 2>/dev/null'
QPID=
timed "QEMU, power on to off" $((SECONDS - tq))
timed whole $((SECONDS - T0))
printf '# %s\n' "${timing[@]}"
tap_finish
