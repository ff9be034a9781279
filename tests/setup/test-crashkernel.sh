#!/bin/bash
# kcatch crashkernel on fake roots, as a normal user would run it: the
# GRUB drop-in (exact content, 0644, written before update-grub runs,
# which --root runs as "chroot ROOT /usr/sbin/update-grub": a fake chroot
# on PATH records the call and runs the root's fake update-grub, which
# records what it found), kernel-install's /etc/kernel/cmdline, a root
# with neither, invalid sizes, --dry-run, --remove, and a symbolic link
# planted where the drop-in goes. Nothing on this host is touched.
#
#   test-crashkernel.sh KCATCH
set -uo pipefail
KCATCH=$(realpath "$1")
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-crashkernel.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/lib-setup.sh"
. "$(dirname "$0")/../e2e/lib-tap.sh"
tap_context() { printf '%s\n' "$OUT"; }  # what the command under test printed
# k ROOT ARGS...: kcatch on a fake root; sets RC and OUT (stdout+stderr)
k() { local r=$1; shift; RC=0; OUT=$("$KCATCH" --root "$r" "$@" 2>&1) || RC=$?; }
has() { grep -qF -- "$1" <<<"$OUT"; }
calls() { cat "$CALLS" 2>/dev/null; }

# a fake chroot(8) first on PATH: records its arguments, runs ROOT's program
mkdir -p "$W/bin"
CALLS=$W/calls
export CALLS
cat >"$W/bin/chroot" <<'SH'
#!/bin/sh
echo "chroot $*" >>"$CALLS"
root=$1; shift; prog=$1; shift
exec "$root$prog" "$@"
SH
chmod +x "$W/bin/chroot"
export PATH=$W/bin:$PATH

REL=6.1.0-99-amd64
# host ROOT: RAM, a crafted 50 MiB kernel (for the estimate), crashkernel=256M running
host() {
	mkdir -p "$1/proc/sys/kernel" "$1/sys/kernel" "$1/boot" "$1/etc" || return 1
	echo "$REL" >"$1/proc/sys/kernel/osrelease"
	printf 'MemTotal:        3939104 kB\n' >"$1/proc/meminfo"
	echo 268435456 >"$1/sys/kernel/kexec_crash_size"
	echo "BOOT_IMAGE=/boot/vmlinuz-$REL root=UUID=abcd ro quiet crashkernel=256M" >"$1/proc/cmdline"
	mkkernel "$1/boot/vmlinuz-$REL" 50 0
}

# --- GRUB ---
R=$W/grub
host "$R" || { echo "Bail out! cannot make the fake root"; exit 1; }
mkdir -p "$R/etc/default" "$R/usr/sbin"
echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' >"$R/etc/default/grub"
cat >"$R/usr/sbin/update-grub" <<'SH'
#!/bin/sh
d=${0%/usr/sbin/update-grub}/etc/default/grub.d/kcatch.cfg
if [ -f "$d" ]; then echo "update-grub $*: $(grep -o 'crashkernel=[^"]*' "$d")" >>"$CALLS"
else echo "update-grub $*: no kcatch.cfg" >>"$CALLS"; fi
SH
chmod +x "$R/usr/sbin/update-grub"
D=$R/etc/default/grub.d/kcatch.cfg
EST=$("$KCATCH" --root "$R" estimate 2>&1 | sed -n 's/^recommended: crashkernel=\([0-9]*M\) .*/\1/p')
check "estimate recommends a size on the fake root ($EST)" test -n "$EST"
dropin() {
	printf '%s\n' "# Written by 'kcatch crashkernel': memory reserved for kcatch's capture kernel." \
		"# 'kcatch crashkernel --remove' deletes this file and runs update-grub." \
		"GRUB_CMDLINE_LINUX_DEFAULT=\"\$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=$1\""
}

k "$R" crashkernel
check "grub: exit 0, shows the running kernel's crashkernel= and the next boot's, says reboot (status $RC)" \
	eval '[[ $RC == 0 ]] && has "running kernel: crashkernel=256M ($R/proc/cmdline)" &&
		has "next boot: crashkernel=$EST (GRUB_CMDLINE_LINUX_DEFAULT, from $D)" && has "size: $EST, from kcatch estimate" &&
		has "reboot for the change to take effect"'
check "grub: the drop-in is exactly the three lines with estimate's size, mode 0644, no temporary file left" \
	eval '[[ $(cat "$D") == "$(dropin "$EST")" ]] && [[ $(stat -c %a "$D") == 644 ]] && [[ $(ls -A "$R/etc/default/grub.d") == kcatch.cfg ]]'
check "grub: the drop-in, sourced as grub-mkconfig does, appends crashkernel= to the default line" \
	eval '[[ $(. "$R/etc/default/grub"; . "$D"; echo "$GRUB_CMDLINE_LINUX_DEFAULT") == "quiet crashkernel=$EST" ]]'
check "grub: update-grub ran once, through chroot into the root, after the drop-in was written" \
	eval '[[ $(calls) == "chroot $R /usr/sbin/update-grub
update-grub : crashkernel=$EST" ]]'

: >"$CALLS"
k "$R" crashkernel --size 1G-4G:256M,4G-:512M
check "grub --size ranges: the drop-in holds them exactly, update-grub ran (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(cat "$D") == "$(dropin 1G-4G:256M,4G-:512M)" ]] &&
		[[ $(calls) == "chroot $R /usr/sbin/update-grub
update-grub : crashkernel=1G-4G:256M,4G-:512M" ]]'
for s in 512M,high 256M@16M 64m 1G-:256M; do
	k "$R" crashkernel --dry-run --size "$s"
	check "valid size $s accepted (--dry-run, status $RC)" eval '[[ $RC == 0 ]] && has "next boot: crashkernel=$s "'
done

cp "$D" "$W/before"
: >"$CALLS"
k "$R" crashkernel --dry-run --size 512M
check "grub --dry-run: prints the file and the exact command, writes and runs nothing (status $RC)" \
	eval '[[ $RC == 0 ]] && has "would write $D (0644):" && has "GRUB_CMDLINE_LINUX_DEFAULT=\"\$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=512M\"" &&
		has "would run: chroot $R /usr/sbin/update-grub" && has "dry run: nothing written, nothing run" &&
		cmp -s "$D" "$W/before" && [[ -z $(calls) ]] && [[ $(ls -A "$R/etc/default/grub.d") == kcatch.cfg ]]'

for s in 0 0M 256X 128M,low 4G-1G:256M 1G-4G 256M@ "256M;reboot" '$(reboot)' "" 1G-4G:256M,high; do
	k "$R" crashkernel --size "$s"
	check "invalid size '$s': exit 2, the rule and the accepted forms named, nothing written or run (status $RC)" \
		eval '[[ $RC == 2 ]] && has "kcatch: crashkernel: invalid size \"$s\": " && has "Give SIZE (256M), SIZE,high" &&
			cmp -s "$D" "$W/before" && [[ -z $(calls) ]]'
done
k "$R" crashkernel --size 128M,low
check "SIZE,low alone: says it only sizes the low part of a ,high reservation" has "SIZE,low only sizes the low part of a SIZE,high reservation"
k "$R" crashkernel --size 4G-1G:256M
check "a range whose end is below its start is named as such" has "a range's END must be a size above its START"
k "$R" crashkernel --remove --size 256M
check "--remove with --size: usage error, exit 2 (status $RC)" eval '[[ $RC == 2 ]] && has "exclude each other" && cmp -s "$D" "$W/before"'
k "$R" status --size 256M
check "--size with another command: usage error, exit 2 (status $RC)" eval '[[ $RC == 2 ]] && has "belong to '"'"'kcatch crashkernel'"'"'"'

printf 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=384M"\n' >"$R/etc/default/grub.d/kdump-tools.cfg"
k "$R" crashkernel --dry-run --size 512M
check "another drop-in with crashkernel= (kdump-tools) is named: the kernel takes the last one" \
	has "note: $R/etc/default/grub.d/kdump-tools.cfg also sets crashkernel= (kdump-tools?)"
rm "$R/etc/default/grub.d/kdump-tools.cfg"

: >"$CALLS"
k "$R" crashkernel --remove --dry-run
check "grub --remove --dry-run: the drop-in stays, nothing runs (status $RC)" \
	eval '[[ $RC == 0 ]] && has "would remove $D" && cmp -s "$D" "$W/before" && [[ -z $(calls) ]]'
k "$R" crashkernel --remove
check "grub --remove: the drop-in is gone, update-grub ran without it (status $RC)" \
	eval '[[ $RC == 0 ]] && has "removed $D" && [[ ! -e $D ]] && [[ $(calls) == "chroot $R /usr/sbin/update-grub
update-grub : no kcatch.cfg" ]]'
: >"$CALLS"
k "$R" crashkernel --remove
check "grub --remove again: nothing to remove, exit 0, update-grub not run (status $RC)" \
	eval '[[ $RC == 0 ]] && has "nothing to remove: $D does not exist" && [[ -z $(calls) ]]'

echo victim >"$W/victim"
ln -s "$W/victim" "$D"
k "$R" crashkernel --size 256M
check "a symbolic link at the drop-in path is refused: named with its target, the target untouched, nothing run (status $RC)" \
	eval '[[ $RC == 1 ]] && has "kcatch: $D is a symbolic link to $W/victim; kcatch writes and removes only a regular file there: remove it and run again" &&
		[[ -L $D && $(cat "$W/victim") == victim ]] && [[ -z $(calls) ]] && [[ $(ls -A "$R/etc/default/grub.d") == kcatch.cfg ]]'
k "$R" crashkernel --remove
check "--remove leaves a planted symbolic link alone (status $RC)" eval '[[ $RC == 1 ]] && [[ -L $D ]] && has "is a symbolic link"'
rm "$D"
mv "$R/etc/default/grub.d" "$W/grub.d.real" && ln -s "$W/grub.d.real" "$R/etc/default/grub.d"
k "$R" crashkernel --size 256M
check "a symbolic link as the grub.d directory is refused, nothing written through it (status $RC)" \
	eval '[[ $RC == 1 ]] && has "cannot open the directory $R/etc/default/grub.d" && [[ -z $(ls -A "$W/grub.d.real") ]]'
rm "$R/etc/default/grub.d" && mv "$W/grub.d.real" "$R/etc/default/grub.d"

rm "$R/usr/sbin/update-grub"
k "$R" crashkernel --size 256M
check "update-grub missing: exit 1, the drop-in is written, the command to run instead is named (status $RC)" \
	eval '[[ $RC == 1 ]] && [[ $(cat "$D") == "$(dropin 256M)" ]] &&
		has "update-grub not found in /usr/sbin, /sbin, /usr/bin or /bin under $R: regenerate the GRUB configuration yourself, as chroot $R grub-mkconfig -o /boot/grub/grub.cfg"'

G=$W/grub-fresh
host "$G" || exit 1
mkdir -p "$G/etc/default" && : >"$G/etc/default/grub"
echo "root=/dev/vda1 ro" >"$G/proc/cmdline"
: >"$CALLS"
k "$G" crashkernel --remove
check "grub --remove with no grub.d at all: nothing to remove, nothing created or run; the running kernel has none (status $RC)" \
	eval '[[ $RC == 0 ]] && has "running kernel: no crashkernel= ($G/proc/cmdline)" &&
		has "nothing to remove: $G/etc/default/grub.d/kcatch.cfg does not exist" && ! has "cannot" &&
		[[ ! -e $G/etc/default/grub.d && -z $(calls) ]]'

# --- kernel-install / BLS ---
B=$W/bls
host "$B" || exit 1
mkdir -p "$B/boot/loader/entries" "$B/etc/kernel" "$B/usr/lib/modules/$REL"
cp "$B/boot/vmlinuz-$REL" "$B/usr/lib/modules/$REL/vmlinuz"
echo "root=UUID=abcd ro quiet crashkernel=128M splash" >"$B/etc/kernel/cmdline"
: >"$CALLS"
k "$B" crashkernel --size 256M
check "bls: /etc/kernel/cmdline keeps every other option, crashkernel= replaced at the end, 0644 (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(cat "$B/etc/kernel/cmdline") == "root=UUID=abcd ro quiet splash crashkernel=256M" ]] &&
		[[ $(stat -c %a "$B/etc/kernel/cmdline") == 644 ]] && [[ $(ls -A "$B/etc/kernel") == cmdline ]]'
check "bls: shows old and new, prints kernel-install add for the installed kernel, runs no update-grub" \
	eval 'has "running kernel: crashkernel=256M" && has "next boot: crashkernel=256M ($B/etc/kernel/cmdline)" &&
		has "  kernel-install add $REL /usr/lib/modules/$REL/vmlinuz" && [[ -z $(calls) ]]'
k "$B" crashkernel --remove
check "bls --remove: only crashkernel= goes (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(cat "$B/etc/kernel/cmdline") == "root=UUID=abcd ro quiet splash" ]]'

E=$W/efi
host "$E" || exit 1
mkdir -p "$E/efi/loader/entries"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda2 initrd=\\initrd.img rw crashkernel=64M console=ttyS0" >"$E/proc/cmdline"
k "$E" crashkernel --size 256M --dry-run
check "bls without /etc/kernel/cmdline, --dry-run: says what it is made from, creates nothing (status $RC)" \
	eval '[[ $RC == 0 ]] && has "does not exist: made from /proc/cmdline without BOOT_IMAGE= and initrd=" &&
		has "root=/dev/sda2 rw console=ttyS0 crashkernel=256M" && [[ ! -e $E/etc/kernel ]]'
k "$E" crashkernel --size 256M
check "bls without /etc/kernel/cmdline: made from /proc/cmdline as kernel-install would (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(cat "$E/etc/kernel/cmdline") == "root=/dev/sda2 rw console=ttyS0 crashkernel=256M" ]]'

# --- neither ---
N=$W/none
host "$N" || exit 1
k "$N" crashkernel --size 256M
check "neither GRUB nor kernel-install: exit 1, names every place looked, writes nothing (status $RC)" \
	eval '[[ $RC == 1 ]] && has "no boot loader configuration kcatch can change: looked for GRUB ($N/etc/default/grub, $N/boot/grub/grub.cfg) and kernel-install / Boot Loader Specification ($N/etc/kernel/cmdline, $N/boot/loader/entries, $N/efi/loader/entries, $N/boot/efi/loader/entries); add crashkernel=256M" &&
		[[ ! -e $N/etc/default && ! -e $N/etc/kernel ]]'

tap_finish
