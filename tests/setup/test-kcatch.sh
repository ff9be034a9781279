#!/bin/bash
# kcatch (systemd/) on a fake root (--root): status, show, test, rebuild
# (the real kcatch-mkinitramfs), load --dry-run with the rebuild-when-stale
# logic, target lookup from a fake mountinfo whose devices are ext4 image
# files, Secure Boot/lockdown messages, estimate, the capture command line,
# panic_on_oops, list and report (a real dump directory written by
# kcatch-agent in test mode from a synthetic vmcore, and a crafted kernel
# log); and systemd-analyze verify on the units. Nothing is loaded into
# the kernel.
#
#   test-kcatch.sh KCATCH AGENT MKVMCORE SPEC UNIT...
#   $KCATCH_MKINITRAMFS: the kcatch-mkinitramfs to build images with
#   $KCATCH_KERNEL_CACHE: extracted kernel trees (default /root/.cache/kcatch/kernels)
set -uo pipefail
KCATCH=$(realpath "$1") AGENT=$(realpath "$2") MKVMCORE=$3 SPEC=$4
shift 4
UNITS=("$@")
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-setup.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../e2e/lib-tap.sh"
tap_context() { printf '%s\n' "$OUT"; }  # what the command under test printed
# k ARGS...: kcatch on the fake root; sets RC and OUT (stdout+stderr)
k() { RC=0; OUT=$("$KCATCH" --root "$R" "$@" 2>&1) || RC=$?; }
has() { grep -qF -- "$1" <<<"$OUT"; }
hasx() { grep -qx -- "$1" <<<"$OUT"; }
# The image needs a static /init; a sanitizer build's agent is dynamic: a stand-in then.
export KCATCH_AGENT=$AGENT
if readelf -lW "$AGENT" 2>/dev/null | grep -q 'program interpreter'; then
	KCATCH_AGENT=$W/static-init
	printf 'int main(void) { return 0; }\n' | ${CC:-cc} -static -x c - -o "$KCATCH_AGENT" ||
		{ echo "Bail out! $AGENT is dynamic and no static stand-in could be built (cc -static)"; exit 1; }
	echo "# $AGENT is dynamically linked (sanitizer build): the images get a static stand-in as /init"
fi
[[ -x ${KCATCH_MKINITRAMFS:-} ]] || { echo "Bail out! \$KCATCH_MKINITRAMFS (kcatch-mkinitramfs) is not set"; exit 1; }

. "$(dirname "$0")/lib-setup.sh"

# --- the fake root: a kernel from the cache when there is one ---
R=$W/root
CACHE=${KCATCH_KERNEL_CACHE:-/root/.cache/kcatch/kernels}
REL=6.1.0-50-cloud-amd64
if [[ -f $CACHE/$REL/root/boot/vmlinuz-$REL && -d $CACHE/$REL/root/lib/modules/$REL ]]; then
	REAL_KERNEL=1
	mkdir -p "$R/boot" "$R/lib/modules"
	cp "$CACHE/$REL/root/boot/vmlinuz-$REL" "$CACHE/$REL/root/boot/config-$REL" "$R/boot/"
	ln -s "$CACHE/$REL/root/lib/modules/$REL" "$R/lib/modules/$REL"
	INIT_SIZE="51.5 MiB"
	echo "# kernel $REL from $CACHE, with its modules"
else
	REAL_KERNEL=0
	REL=6.1.0-99-amd64
	echo "# no kernel in $CACHE: a crafted bzImage header and no modules (tests/real/fetch-kernels.sh fetches them)"
	INIT_SIZE="50.0 MiB"
fi
mkdir -p "$R/boot"
fake_host "$R" "$REL" || { echo "Bail out! mkfs.ext4 failed"; exit 1; }

# 1. nothing reserved, nothing present
k status
check "status: not armed without reserved memory, exit 3 (status $RC)" \
	eval '[[ $RC == 3 ]] && has "not armed: no memory is reserved" && has "crashkernel="'
[[ $REAL_KERNEL == 1 ]] && mv "$R/boot/vmlinuz-$REL" "$W/vmlinuz.real"
k test
check "test: not ready, exit 1 (status $RC)" eval '[[ $RC == 1 ]]'
check "test: names the missing reservation, kernel image, capture image and dump directory" \
	eval 'has "FAIL crashkernel" && has "FAIL kernel image: no kernel image for Linux $REL: tried $R/boot/vmlinuz-$REL (missing), $R/usr/lib/modules/$REL/vmlinuz (missing), $R/lib/modules/$REL/vmlinuz (" &&
		grep -q "FAIL capture image: rebuild needed: the capture image $R/var/lib/kcatch/initrd-$REL.img does not exist; .kcatch load. rebuilds it" <<<"$OUT" &&
		has "FAIL dump directory: $R/var/crash does not exist"'
k load --dry-run
check "load --dry-run: refuses when checks fail, builds nothing, exit 1 (status $RC)" \
	eval '[[ $RC == 1 ]] && has "not loading" && ! has rebuilding && [[ ! -e $R/var/lib/kcatch ]]'

# 2. everything in place; rebuild builds the image with the real kcatch-mkinitramfs
echo 268435456 >"$R/sys/kernel/kexec_crash_size"
if [[ $REAL_KERNEL == 1 ]]; then mv "$W/vmlinuz.real" "$R/boot/vmlinuz-$REL"; else mkkernel "$R/boot/vmlinuz-$REL" 50 0; fi
mkdir -p "$R/var/crash"
k test
check "test: only the capture image is missing now (status $RC)" \
	eval '[[ $RC == 1 ]] && [[ $(grep -c ^FAIL <<<"$OUT") == 1 ]] && has "FAIL capture image: rebuild needed"'
check "test: the target found for path: UUID of /dev/vda1 from mountinfo, ext4" \
	has "ok   target: found for path: UUID=$U1 on /dev/vda1, ext4"
k rebuild
IMG=$R/var/lib/kcatch/initrd-$REL.img
check "rebuild: exit 0, says why, the image is written (status $RC)" \
	eval '[[ $RC == 0 ]] && has "rebuilding /var/lib/kcatch/initrd-$REL.img: the capture image $IMG does not exist" &&
		has "built $IMG (" && [[ -s $IMG ]]'
echo "# $(grep -o 'built .* in .* s' <<<"$OUT")"
image_file "$IMG" etc/kcatch.conf >"$W/embedded.conf"
check "rebuild: the image embeds the config with the target found: UUID, path on it, fstype" \
	eval 'grep -qx "target UUID=$U1" "$W/embedded.conf" && grep -qx "path /var/crash" "$W/embedded.conf" &&
		grep -qx "fstype ext4" "$W/embedded.conf" && grep -qx "compress zstd" "$W/embedded.conf" &&
		grep -qx "# kcatch rebuild, target found below: path /var/crash" "$W/embedded.conf"'
check "rebuild: the image has the agent as /init" eval 'cmp -s "$W/x/init" "$KCATCH_AGENT"'
if [[ $REAL_KERNEL == 1 ]]; then
	check "rebuild: the image has the modules of $REL named in the config" \
		eval 'printf "extra_modules virtio_blk\n" >>"$R/etc/kcatch.conf" && k rebuild && image_file "$IMG" etc/kcatch.modules | grep -q virtio_blk'
else
	skip "rebuild: the image has the modules of the config" "no kernel tree in $CACHE"
fi
check "rebuild: a stamp records what the image was built from; no temporary files left" \
	eval 'grep -qx "release $REL" "$IMG.stamp" && grep -q "^kernel $R/boot/vmlinuz-$REL size=" "$IMG.stamp" &&
		grep -q "^agent $KCATCH_AGENT size=" "$IMG.stamp" && grep -qx "target UUID=$U1 path /var/crash" "$IMG.stamp" &&
		[[ $(ls -A "$R/var/lib/kcatch" | sort | tr "\n" " ") == "initrd-$REL.img initrd-$REL.img.stamp " ]]'
k status
check "status: reserved but not loaded, exit 3 (status $RC)" eval '[[ $RC == 3 ]] && has "no capture kernel is loaded (256.0 MiB reserved)"'
echo 1 >"$R/sys/kernel/kexec_crash_loaded"
k status
check "status: armed, exit 0 (status $RC)" eval '[[ $RC == 0 ]] && grep -q "^armed" <<<"$OUT"'
# a capture kernel loaded by someone else (kdump-tools): no /run/kcatch/loaded
k load --dry-run
check "load: refuses a crash slot kcatch did not load, names --force, kcatch unload and kdump-tools (status $RC)" \
	eval '[[ $RC == 1 ]] && has "not loading: a capture kernel is already loaded (/sys/kernel/kexec_crash_loaded is 1) that kcatch did not load (no /run/kcatch/loaded)" &&
		has "kcatch unload" && has "kcatch load --force" && has "kdump-tools" && ! has "kernel   "'
k load --dry-run --force
check "load --force: goes on over a foreign capture kernel (status $RC)" \
	eval '[[ $RC == 0 ]] && hasx "kernel   $R/boot/vmlinuz-$REL"'
mkdir -p "$R/run/kcatch"
printf 'method kexec_file_load\n' >"$R/run/kcatch/loaded"
k test
check "test: ready, exit 0 (status $RC)" eval '[[ $RC == 0 ]] && grep -q "^ready" <<<"$OUT" && ! has FAIL && has "ok   capture image: $IMG is up to date"'
check "test: free space against the dump size estimate (RAM, dump_level) and min_free" \
	grep -qE "^ok   free space: [0-9.]+ [KMGT]iB free on the target; a dump needs about [0-9.]+ MiB \(an estimate: 3.8 GiB of RAM minus what dump_level 31 leaves out" <<<"$OUT"
k load --dry-run
check "load --dry-run: up to date, no rebuild; kernel and initrd (status $RC)" \
	eval '[[ $RC == 0 ]] && ! has rebuilding && hasx "kernel   $R/boot/vmlinuz-$REL" && hasx "initrd   $IMG"'
check "load --dry-run: the kernel config has CONFIG_KEXEC_FILE (or none is found): kexec_file_load" \
	eval 'hasx "flags    KEXEC_FILE_ON_CRASH" && grep -q "^method   kexec_file_load(2)" <<<"$OUT"'
check "load --dry-run: command line without crashkernel/BOOT_IMAGE/nr_cpus/resume, plus reset_devices nr_cpus=1 irqpoll panic=10" \
	hasx 'cmdline  root=UUID=abcd ro console=ttyS0 quiet reset_devices nr_cpus=1 irqpoll panic=10'
check "load --dry-run: panic_on_oops not in the config: the sysctl is left alone" \
	eval '! has panic_on_oops && [[ $(cat "$R/proc/sys/kernel/panic_on_oops") == 0 ]]'
k unload --dry-run
check "unload --dry-run: exit 0, nothing unloaded" eval '[[ $RC == 0 ]] && has "KEXEC_FILE_UNLOAD" && [[ -e $R/run/kcatch/loaded ]]'

# a kernel without CONFIG_KEXEC_FILE (Debian's arm64 cloud kernels): kexec -p,
# run for real here through a stand-in kexec that records its arguments
KCONF=$W/kconfig.saved
[[ -f $R/boot/config-$REL ]] && cp "$R/boot/config-$REL" "$KCONF"
printf 'CONFIG_KEXEC=y\n# CONFIG_KEXEC_FILE is not set\nCONFIG_CRASH_DUMP=y\n' >"$R/boot/config-$REL"
printf '#!/bin/sh\nfor a; do printf "%%s\\n" "$a"; done >>"%s"\necho -- >>"%s"\n' "$W/kexec.args" "$W/kexec.args" >"$W/kexec"
chmod +x "$W/kexec"
KCATCH_KEXEC=$W/none k test
check "test: no CONFIG_KEXEC_FILE and no kexec-tools: FAIL naming the package (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL load: $R/boot/config-$REL has no CONFIG_KEXEC_FILE, only kexec_load(2), which needs kexec-tools" && has "apt-get install kexec-tools"'
KCATCH_KEXEC=$W/none k load --dry-run
check "load: refuses without kexec-tools, naming the package (status $RC)" \
	eval '[[ $RC == 1 ]] && has "not loading: " && has "apt-get install kexec-tools"'
KCATCH_KEXEC=$W/kexec k test
check "test: no CONFIG_KEXEC_FILE: kexec_load through kexec -p" \
	eval '[[ $RC == 0 ]] && has "ok   load: kexec_load(2) through $W/kexec -p: $R/boot/config-$REL has no CONFIG_KEXEC_FILE"'
KCATCH_KEXEC=$W/kexec k load --dry-run
check "load --dry-run: kexec_load: the kexec -p command with kernel, initrd and command line, nothing run" \
	eval '[[ $RC == 0 ]] && hasx "kexec_load(2) (dry run, nothing loaded):" &&
		hasx "run      $W/kexec -p $R/boot/vmlinuz-$REL --initrd=$IMG --command-line='"'"'root=UUID=abcd ro console=ttyS0 quiet reset_devices nr_cpus=1 irqpoll panic=10'"'"'" &&
		[[ ! -e $W/kexec.args ]]'
rm -f "$R/run/kcatch/loaded"
echo 0 >"$R/sys/kernel/kexec_crash_loaded"
KCATCH_KEXEC=$W/kexec k load
check "load: kexec_load: runs kexec -p KERNEL --initrd=IMAGE --command-line=CMD, records its load in /run/kcatch/loaded (status $RC)" \
	eval '[[ $RC == 0 ]] && has "loaded /boot/vmlinuz-$REL with /var/lib/kcatch/initrd-$REL.img (kexec -p)" &&
		[[ $(tr "\n" " " <"$W/kexec.args") == "-p $R/boot/vmlinuz-$REL --initrd=$IMG --command-line=root=UUID=abcd ro console=ttyS0 quiet reset_devices nr_cpus=1 irqpoll panic=10 -- " ]] &&
		grep -qx "method kexec_load" "$R/run/kcatch/loaded"'
echo 1 >"$R/sys/kernel/kexec_crash_loaded"
KCATCH_KEXEC=$W/kexec k load --dry-run
check "load: over kcatch's own load (the record is there): no refusal (status $RC)" eval '[[ $RC == 0 ]]'
rm -f "$W/kexec.args"
KCATCH_KEXEC=$W/kexec k unload
check "unload: kcatch loaded with kexec -p: kexec -p -u, the record removed (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(tr "\n" " " <"$W/kexec.args") == "-p -u -- " ]] && [[ ! -e $R/run/kcatch/loaded ]]'
printf '#!/bin/sh\necho "kexec: Cannot load: crashkernel too small" >&2\nexit 1\n' >"$W/kexec-bad"
chmod +x "$W/kexec-bad"
echo 0 >"$R/sys/kernel/kexec_crash_loaded"
KCATCH_KEXEC=$W/kexec-bad k load
check "load: kexec -p failing: its message, exit status, no record (status $RC)" \
	eval '[[ $RC == 1 ]] && has "kexec: Cannot load" && has "$W/kexec-bad failed (exit status 1)" && [[ ! -e $R/run/kcatch/loaded ]]'
if [[ -f $KCONF ]]; then cp "$KCONF" "$R/boot/config-$REL"; else rm -f "$R/boot/config-$REL"; fi
echo 1 >"$R/sys/kernel/kexec_crash_loaded"
mkdir -p "$R/run/kcatch"
printf 'method kexec_file_load\n' >"$R/run/kcatch/loaded"
k show
check "show: config, reservation, kernel, image, command lines (status $RC)" \
	eval '[[ $RC == 0 ]] && has "compress zstd" && has "crashkernel reserved 256.0 MiB" &&
		has "kernel release       $REL" && has "capture image        /var/lib/kcatch/initrd-$REL.img (" && has "crashkernel=256M" &&
		has "dump directory       $R/var/crash" && has "reset_devices nr_cpus=1 irqpoll panic=10" && has "image up to date     yes"'
check "show: the target found: device, UUID, fs type, mount point, free space" \
	eval 'hasx "target               UUID=$U1 (found: the file system that holds path)" && hasx "target device        /dev/vda1" &&
		hasx "target UUID          $U1" && hasx "target fs type       ext4" && hasx "target label         rootfs" &&
		hasx "target mounted on    /" && hasx "path on target       /var/crash" &&
		grep -qE "^target free space    [0-9.]+ [KMGT]iB$" <<<"$OUT"'
check "show: kernel.panic_on_oops and whether load changes it" has "kernel.panic_on_oops 0 (left alone: panic_on_oops is not in the config)"

# stale inputs: load rebuilds and says why
sleep 0.02; touch "$R/boot/vmlinuz-$REL"
k test
check "test: a changed kernel image: rebuild needed, says which (status $RC)" \
	eval '[[ $RC == 1 ]] && grep -q "FAIL capture image: rebuild needed: kernel changed: $R/boot/vmlinuz-$REL size=" <<<"$OUT"'
before=$(stat -c %Y.%y "$IMG")
k load --dry-run
check "load --dry-run: rebuilds first, saying why, then loads (status $RC)" \
	eval '[[ $RC == 0 ]] && has "rebuilding /var/lib/kcatch/initrd-$REL.img: kernel changed" && has "built $IMG" &&
		has "initrd   $IMG" && [[ $(stat -c %Y.%y "$IMG") != "$before" ]]'
printf 'keep 3\n' >>"$R/etc/kcatch.conf"
k load --dry-run
check "load --dry-run: a changed config is a reason to rebuild (status $RC)" \
	eval '[[ $RC == 0 ]] && has "rebuilding /var/lib/kcatch/initrd-$REL.img: the configuration $R/etc/kcatch.conf changed"'
# the dump directory moves to another file system, bind-mounted from its /dumps
mkdir -p "$R/var/crash"
printf '%s\n30 22 254:16 /dumps /var/crash rw - ext4 /dev/vdb rw\n' "$MOUNTS_ROOT" >"$R/proc/self/mountinfo"
k test
check "test: the target found changed: was/now named (status $RC)" \
	eval '[[ $RC == 1 ]] && has "the target changed: was UUID=$U1 path /var/crash, now UUID=$U2 path /dumps"'
k rebuild
image_file "$IMG" etc/kcatch.conf >"$W/embedded.conf"
check "rebuild: the new target and the path inside its file system are embedded" \
	eval '[[ $RC == 0 ]] && grep -qx "target UUID=$U2" "$W/embedded.conf" && grep -qx "path /dumps" "$W/embedded.conf"'
# a failed build leaves the old image and no temporary files
cp "$IMG" "$W/img.before"
sed -i 's/^keep 3$/keep 4/' "$R/etc/kcatch.conf"
RC=0; OUT=$(KCATCH_MKINITRAMFS=/bin/false "$KCATCH" --root "$R" rebuild 2>&1) || RC=$?
check "rebuild with a failing builder: exit 1, old image unchanged, no temporary files (status $RC)" \
	eval '[[ $RC == 1 ]] && has "failed (exit status 1" && has "$IMG is unchanged" && cmp -s "$IMG" "$W/img.before" &&
		[[ $(ls -A "$R/var/lib/kcatch" | wc -l) == 2 ]]'
RC=0; OUT=$("$KCATCH" --root "$R" --mkinitramfs "$W/nonexistent" rebuild 2>&1) || RC=$?
check "rebuild without a builder: says how to name one (status $RC)" \
	eval '[[ $RC == 1 ]] && has "give --mkinitramfs FILE or set KCATCH_MKINITRAMFS"'
k rebuild
# an image built by hand (no stamp): judged by mtimes
rm "$IMG.stamp"
k test
check "test: an image without a stamp, newer than its inputs, is up to date (status $RC)" eval '[[ $RC == 0 ]]'
touch -d '+1 hour' "$R/etc/kcatch.conf"
k test
check "test: an image without a stamp, older than the config: rebuild needed (status $RC)" \
	eval '[[ $RC == 1 ]] && has "rebuild needed: $R/etc/kcatch.conf is newer than the image"'
touch "$R/etc/kcatch.conf"

# target lookup: what cannot be a target, and explicit targets
printf '22 1 254:1 / / rw - ext4 /dev/vda1 rw\n31 22 0:40 / /var/crash rw - tmpfs tmpfs rw\n' >"$R/proc/self/mountinfo"
k test
check "test: a dump directory on tmpfs is not a target; says to set target (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL target: /var/crash is on tmpfs (tmpfs), not a block device" && has "set target to a disk file system"'
echo "$MOUNTS_ROOT" >"$R/proc/self/mountinfo"
ln -s ../../vda1 "$R/dev/disk/by-uuid/$U1"
printf 'target UUID=%s\npath /var/crash\n' "$U1" >"$W/explicit.conf"
k --config "$W/explicit.conf" show
check "show: an explicit target: the device behind /dev/disk/by-uuid, probed, mount point" \
	eval 'hasx "target               UUID=$U1 (explicit in the config)" && hasx "target device        /dev/vda1" &&
		hasx "target fs type       ext4" && hasx "target mounted on    /"'
printf 'target UUID=%s\npath /var/crash\n' "$U2" >"$W/absent.conf"
k --config "$W/absent.conf" test
check "test: an explicit target that is not attached: named, with the fix (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL target: target UUID=$U2: no such device on this host" && has "fix target in the config"'
printf 'path /var/crash\nmin_free 1000T\n' >"$W/full.conf"
k --config "$W/full.conf" test
check "test: min_free above the free space fails and names the fixes (status $RC)" \
	eval '[[ $RC == 1 ]] && grep -q "^FAIL free space: .* plus min_free 1000.0 TiB; free space on the target" <<<"$OUT"'

# command line and sysctl from the config
cp "$R/etc/kcatch.conf" "$W/conf.saved"
printf 'kernel_cmdline_remove quiet console\nkernel_cmdline_append console=ttyS1,115200 loglevel=7 panic=30\npanic_on_oops yes\n' >>"$R/etc/kcatch.conf"
sed -i 's/ ro / ro panic=5 /' "$R/proc/cmdline"
k load --dry-run
check "load --dry-run: kernel_cmdline_remove drops options by name, kernel_cmdline_append adds after panic=10 (status $RC)" \
	eval '[[ $RC == 0 ]] && hasx "cmdline  root=UUID=abcd ro reset_devices nr_cpus=1 irqpoll panic=10 console=ttyS1,115200 loglevel=7 panic=30"'
check "load: panic_on_oops yes writes 1 to proc/sys/kernel/panic_on_oops, and says so" \
	eval '[[ $(cat "$R/proc/sys/kernel/panic_on_oops") == 1 ]] && has "set kernel.panic_on_oops = 1 (panic_on_oops yes in the config)"'
k show
check "show: the sysctl's current value and what load sets" has "kernel.panic_on_oops 1 (kcatch load sets 1)"
printf 'path /var/crash\npanic_on_oops maybe\n' >"$W/oops.conf"
k --config "$W/oops.conf" test
check "test: panic_on_oops takes yes or no, the line is named" has 'oops.conf:2: panic_on_oops "maybe" must be yes or no'
cp "$W/conf.saved" "$R/etc/kcatch.conf"
sed -i 's/ ro panic=5 / ro /' "$R/proc/cmdline"

# Secure Boot and lockdown (a second fake root with crafted kernels)
S=$W/sb
mkdir -p "$S/sys/firmware/efi/efivars" "$S/sys/kernel/security" "$S/proc/sys/kernel" "$S/boot"
echo 6.1.0-sb >"$S/proc/sys/kernel/osrelease"
mkkernel "$S/boot/vmlinuz-6.1.0-sb" 48 0
printf '\x06\x00\x00\x00\x01' >"$S/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
echo "none [integrity] confidentiality" >"$S/sys/kernel/security/lockdown"
RC=0; OUT=$("$KCATCH" --root "$S" test 2>&1) || RC=$?
check "test: Secure Boot and lockdown named; kexec_file_load works with them" \
	has "ok   secure boot: on; lockdown: integrity. kcatch loads with kexec_file_load(2), which works with both"
check "test: an unsigned kernel under Secure Boot fails, says to install a signed one (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL kernel signature: $S/boot/vmlinuz-6.1.0-sb is not signed; with Secure Boot or lockdown kexec_file_load refuses it: install the distribution"'
mkkernel "$S/boot/vmlinuz-6.1.0-sb" 48 1
RC=0; OUT=$("$KCATCH" --root "$S" test 2>&1) || RC=$?
check "test: a signed kernel (PE certificate table) passes" has "ok   kernel signature: $S/boot/vmlinuz-6.1.0-sb has one"
printf '\x06\x00\x00\x00\x00' >"$S/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
echo "[none] integrity confidentiality" >"$S/sys/kernel/security/lockdown"
mkkernel "$S/boot/vmlinuz-6.1.0-sb" 48 0
RC=0; OUT=$("$KCATCH" --root "$S" show 2>&1) || RC=$?
check "show: Secure Boot off, lockdown none; an unsigned kernel is then fine" \
	eval 'hasx "secure boot          off" && hasx "lockdown             none" &&
		RC=0 && OUT=$("$KCATCH" --root "$S" test 2>&1); ! has "kernel signature"'

# arm64 without CONFIG_KEXEC_FILE: kexec-tools needs _text in /proc/kallsyms
# (6.1 lists only _stext); an arm64 Image header: "ARM\x64" at 56
head -c 64 /dev/zero >"$S/boot/vmlinuz-6.1.0-sb"
printf 'ARM\x64' | dd of="$S/boot/vmlinuz-6.1.0-sb" bs=1 seek=56 conv=notrunc status=none
printf '# CONFIG_KEXEC_FILE is not set\n' >"$S/boot/config-6.1.0-sb"
mkdir -p "$S/proc"
printf 'ffff800008000000 T _stext\nffff800008010000 T do_one_initcall\n' >"$S/proc/kallsyms"
RC=0; OUT=$(KCATCH_KEXEC=/bin/true "$KCATCH" --root "$S" test 2>&1) || RC=$?
check "test: arm64, kexec_load only, kallsyms without _text: FAIL saying why and what to do (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL load: kexec_load(2) through /bin/true -p, but $S/proc/kallsyms lists _stext and no _text: kexec-tools (2.0.29 at least)" &&
		has "Boot a kernel that lists _text (Linux 6.12"'
printf 'ffff800008000000 T _text\n' >>"$S/proc/kallsyms"
RC=0; OUT=$(KCATCH_KEXEC=/bin/true "$KCATCH" --root "$S" test 2>&1) || RC=$?
check "test: arm64 kallsyms with _text: kexec_load through kexec -p is fine" has "ok   load: kexec_load(2) through /bin/true -p"
echo "none [integrity] confidentiality" >"$S/sys/kernel/security/lockdown"
RC=0; OUT=$(KCATCH_KEXEC=/bin/true "$KCATCH" --root "$S" test 2>&1) || RC=$?
check "test: lockdown and only kexec_load: FAIL (the kernel refuses kexec_load under lockdown)" \
	has "FAIL load: with Secure Boot or lockdown the kernel refuses kexec_load(2)"

# estimate
k estimate
check "estimate: the components, measured (status $RC)" \
	eval 'grep -qE "^  capture kernel +$INIT_SIZE  init_size of the bzImage header of $R/boot/vmlinuz-$REL$" <<<"$OUT" &&
		grep -qE "^  capture image +0\.[0-9] MiB  $IMG$" <<<"$OUT" &&
		grep -qE "^  capture image unpacked +[0-9.]+ MiB  zstd cpio" <<<"$OUT" &&
		grep -qE "^  kcatch-agent peak +5.0 MiB" <<<"$OUT" &&
		grep -qE "^  capture kernel runtime +20.0 MiB .*\(4 GiB\)" <<<"$OUT"'
check "estimate: calibrated on the 4 GiB guests: 96M recommended, 256M reserved is enough, exit 0" \
	eval '[[ $RC == 0 ]] && has "recommended: crashkernel=96M" && has "reserved now: 256.0 MiB: enough" && has "This is an estimate"'
unpacked=$(zstd -dc "$IMG" | wc -c)
check "estimate: the unpacked size is the image's real one ($unpacked bytes)" \
	eval 'grep -qE "^  capture image unpacked +$(awk -v b="$unpacked" "BEGIN{printf \"%.1f\", b/1048576}") MiB" <<<"$OUT"'
# an arm64 Image (Debian's arm64 vmlinuz): its header's image_size, BSS included
cp "$R/boot/vmlinuz-$REL" "$W/vmlinuz.x86"
python3 -c 'import struct, sys; d = bytearray(4096); struct.pack_into("<QQQ", d, 8, 0, 30 << 20, 10)
d[56:60] = b"ARM\x64"; open(sys.argv[1], "wb").write(d)' "$R/boot/vmlinuz-$REL"
k estimate
check "estimate: an arm64 Image's size from its header's image_size (status $RC)" \
	grep -qE "^  capture kernel +30\.0 MiB  image_size of the arm64 Image header of $R/boot/vmlinuz-$REL$" <<<"$OUT"
cp "$W/vmlinuz.x86" "$R/boot/vmlinuz-$REL"
echo 83886080 >"$R/sys/kernel/kexec_crash_size"
k estimate
check "estimate: 80M is enough without margin, exit 1 (status $RC)" \
	eval '[[ $RC == 1 ]] && has "reserved now: 80.0 MiB: enough by the estimate but without margin; run '"'"'kcatch crashkernel'"'"' (crashkernel=96M)"'
echo 67108864 >"$R/sys/kernel/kexec_crash_size"
k estimate
check "estimate: 64M is not enough, exit 1 (status $RC)" eval '[[ $RC == 1 ]] && has "64.0 MiB: NOT enough"'
echo 0 >"$R/sys/kernel/kexec_crash_size"
sed -i 's/^MemTotal: .*/MemTotal:       67108864 kB/' "$R/proc/meminfo"
k estimate
check "estimate: a 64 GiB host needs more: runtime grows with RAM; nothing reserved, exit 1 (status $RC)" \
	eval '[[ $RC == 1 ]] && grep -qE "^  capture kernel runtime +35.0 MiB .*\(64 GiB\)" <<<"$OUT" &&
		has "recommended: crashkernel=112M" && has "reserved now: nothing: run '"'"'kcatch crashkernel'"'"' (crashkernel=112M)"'
sed -i 's/^MemTotal: .*/MemTotal:        3939104 kB/' "$R/proc/meminfo"
echo 268435456 >"$R/sys/kernel/kexec_crash_size"

# an invalid config: file and line named
printf 'path /var/crash\ncompres zstd\n' >"$W/bad.conf"
k --config "$W/bad.conf" test
check "test: invalid config names file and line, exit 1 (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL config: $W/bad.conf:2: unknown key"'
k --config "$W/bad.conf" show
check "show: invalid config is an error naming the line (status $RC)" \
	eval '[[ $RC == 1 ]] && has "bad.conf:2"'

# 3. dumps
k list
check "list: no dumps yet (status $RC)" eval '[[ $RC == 0 ]] && grep -q "no dumps in $R/var/crash" <<<"$OUT"'
k report
check "report: no dumps is an error (status $RC)" eval '[[ $RC == 1 ]]'
"$MKVMCORE" "$SPEC" "$W/vmcore" "$W/expect" >/dev/null || { echo "Bail out! mkvmcore $SPEC failed"; exit 1; }
"$AGENT" --vmcore "$W/vmcore" --root "$R" --config "$R/etc/kcatch.conf" >"$W/agent.log" 2>&1
ID=2023-11-14-22:13:20-synth-host
check "kcatch-agent wrote a dump" test -f "$R/var/crash/$ID/kcatch.json"
# an older dump that never finished: only vmcore.incomplete
OLD=2023-01-02-03:04:05-synth-host
mkdir -p "$R/var/crash/$OLD"
head -c 5000 /dev/zero >"$R/var/crash/$OLD/vmcore.incomplete"
mkdir -p "$R/var/crash/lost+found"
k list
check "list: two dumps, oldest first, not lost+found (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(grep -c synth-host <<<"$OUT") == 2 ]] && ! grep -q lost <<<"$OUT" &&
		[[ $(sed -n 2p <<<"$OUT") == $OLD* ]] && [[ $(sed -n 3p <<<"$OUT") == $ID* ]]'
check "list: the complete dump with time, kernel and state" \
	grep -qE "^$ID +2023-11-14T22:13:20Z +6.12.0-synth +[0-9.]+ [KMG]iB +complete " <<<"$OUT"
check "list: the one with only vmcore.incomplete is incomplete" \
	grep -qE "^$OLD +$OLD +\? +[0-9.]+ KiB +incomplete " <<<"$OUT"
k report
check "report: the newest dump by default (status $RC)" \
	eval '[[ $RC == 0 ]] && grep -q "crash dump $ID" <<<"$OUT" && grep -q "kernel       6.12.0-synth" <<<"$OUT" &&
		grep -q "crash time   2023-11-14T22:13:20Z" <<<"$OUT" && grep -q "state        complete" <<<"$OUT" && grep -q "level 31, zstd" <<<"$OUT"'
if [[ -f $R/var/crash/$ID/vmcore-dmesg.txt ]]; then
	last=$(tail -n 1 "$R/var/crash/$ID/vmcore-dmesg.txt")
	check "report: ends with the last lines of vmcore-dmesg.txt" grep -qF -- "$last" <<<"$OUT"
	panic=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["panic_message"] or "")' "$R/var/crash/$ID/kcatch.json")
	[[ -n $panic ]] && check "report: the panic message" grep -qF -- "$panic" <<<"$OUT"
fi
k report "$OLD"
check "report ID: the incomplete dump, without kcatch.json (status $RC)" \
	eval '[[ $RC == 0 ]] && grep -q "state        incomplete (no kcatch.json)" <<<"$OUT"'
k report 2000-01-01-00:00:00
check "report of an unknown id: error says kcatch list (status $RC)" eval '[[ $RC == 1 ]] && grep -q "kcatch list" <<<"$OUT"'
RC=0; OUT=$(env -u NOTIFY_SOCKET "$KCATCH" --root "$R" report --journal 2>/dev/null) || RC=$?
check "report --journal: both dumps reported and marked (status $RC)" \
	eval '[[ $RC == 0 ]] && test -f "$R/var/crash/$ID/reported" && test -f "$R/var/crash/$OLD/reported" && [[ $(grep -c "^reported" <<<"$OUT") == 2 ]]'
k report --journal
check "report --journal again: nothing new" eval '[[ $RC == 0 ]] && grep -q "no new dumps" <<<"$OUT"'

# the crash summary of report: from a kernel log with an oops before the panic
OOPS=2024-05-06-07:08:09-oops-host
mkdir -p "$R/var/crash/$OOPS"
cat >"$R/var/crash/$OOPS/vmcore-dmesg.txt" <<'LOG'
[    1.000000] Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org)
[    5.000000] WARNING: CPU: 1 PID: 77 at fs/early.c:10 early_warning+0x1/0x2
[    5.000001] Call Trace:
[    5.000002]  early_frame+0x1/0x2
[   99.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008
[   99.100001] #PF: supervisor write access in kernel mode
[   99.100002] PGD 0 P4D 0
[   99.100003] Oops: 0002 [#1] PREEMPT SMP NOPTI
[   99.100004] CPU: 3 PID: 4242 Comm: crashme-load Tainted: G        W  O       6.1.0-50-cloud-amd64 #1  Debian 6.1.176-1
[   99.100005] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)
[   99.100006] RIP: 0010:crashme_write+0x15/0x30 [crashme]
[   99.100007] Call Trace:
[   99.100008]  <TASK>
[   99.100009]  ? __die+0x20/0x70
[   99.100010]  vfs_write+0xc7/0x3f0
[   99.100011]  ksys_write+0x6b/0xf0
[   99.100012]  do_syscall_64+0x5d/0x90
[   99.100013]  entry_SYSCALL_64_after_hwframe+0x6e/0xd8
[   99.100014]  </TASK>
[   99.100015] Modules linked in: crashme(O+) ext4 crc16 mbcache jbd2 virtio_blk
[   99.100016] CR2: 0000000000000008
[   99.100017] ---[ end trace 0000000000000000 ]---
[   99.100018] Kernel panic - not syncing: Fatal exception
[   99.100019] Kernel Offset: disabled
LOG
k report "$OOPS"
check "report: the crash summary: cause, panic, task, taint, modules (status $RC)" \
	eval '[[ $RC == 0 ]] && hasx "  cause        BUG: kernel NULL pointer dereference, address: 0000000000000008" &&
		hasx "  panic        Kernel panic - not syncing: Fatal exception" &&
		hasx "  task         CPU: 3 PID: 4242 Comm: crashme-load" &&
		hasx "  taint        G (only GPL modules) W (an earlier warning) O (out-of-tree module)" &&
		hasx "  modules      crashme(O+) ext4 crc16 mbcache jbd2 virtio_blk"'
SUMMARY=$(sed -n '/crash summary/,/last lines of/p' <<<"$OUT")
check "report: the call trace of the oops, not the earlier warning's; unreliable frames left out" \
	eval 'hasx "  backtrace" && hasx "               vfs_write+0xc7/0x3f0" && hasx "               entry_SYSCALL_64_after_hwframe+0x6e/0xd8" &&
		! grep -q -e early_frame -e __die <<<"$SUMMARY" && has "(1 unreliable \"?\" entries left out)" &&
		[[ $(grep -A1 "^  backtrace" <<<"$OUT" | tail -1) == "               vfs_write+0xc7/0x3f0" ]]'
check "report: still ends with the last lines of the log" has "Kernel Offset: disabled"
# arm64 prints "Call trace:" (x86 "Call Trace:"): a real 6.12 arm64 sysrq log
ARM=2024-05-06-07:08:11-arm64-host
mkdir -p "$R/var/crash/$ARM"
cp "$(dirname "$0")/../unit/signature-logs/sysrq-6.12.117-arm64.txt" "$R/var/crash/$ARM/vmcore-dmesg.txt"
k report "$ARM"
check "report: an arm64 log's backtrace (\"Call trace:\"), from the panic down (status $RC)" \
	eval '[[ $RC == 0 ]] && hasx "  backtrace" && has "sysrq_handle_crash+0x20/0x28" && has "write_sysrq_trigger+0xc8/0xe0"'
CALLER=2024-05-06-07:08:10-caller-host
mkdir -p "$R/var/crash/$CALLER"
sed 's/^\(\[[ 0-9.]*\]\) /\1 [  T4242] /; 1s/\[  T4242\]/[      C0]/' "$R/var/crash/$OOPS/vmcore-dmesg.txt" \
	>"$R/var/crash/$CALLER/vmcore-dmesg.txt"
SUMMARY_PLAIN=$SUMMARY
k report "$CALLER"
check "report: a log with caller ids ([  T4242], as --dump-dmesg writes) gives the same summary (status $RC)" \
	eval '[[ $RC == 0 ]] && grep -q "^\[ *99.100019\] \[  T4242\] Kernel Offset" "$R/var/crash/$CALLER/vmcore-dmesg.txt" &&
		[[ $(sed -n "/crash summary/,/last lines of/p" <<<"$OUT" | grep -v -e "^report" -e "$CALLER" -e "$OOPS") == \
		   $(grep -v -e "^report" -e "$OOPS" <<<"$SUMMARY_PLAIN") ]]'

# network targets: nothing to look up on this host; for ssh:// the image
# gets the key and known_hosts of --root, not of the host running kcatch
printf 'target nfs://192.0.2.7/srv/crash\nnet eth0 dhcp\n' >"$W/nfs.conf"
k --config "$W/nfs.conf" show
check "show: an nfs:// target is a network target, not a missing device (status $RC)" \
	eval '[[ $RC == 0 ]] && hasx "target               nfs://192.0.2.7/srv/crash (network)" && ! has "no such device"'
if [[ -x /usr/bin/ssh ]]; then
	printf 'target ssh://kcatch@collector.example/srv/crash\nnet eth0 dhcp\nextra_modules virtio_net\n' >"$W/ssh.conf"
	[[ $REAL_KERNEL == 1 ]] || sed -i '/^extra_modules/d' "$W/ssh.conf"
	mkdir -p "$R/etc/kcatch"
	printf 'not a real key, made by test-kcatch.sh\n' >"$R/etc/kcatch/id_kcatch"
	printf 'elsewhere.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKey\n' >"$R/etc/kcatch/known_hosts"
	k --config "$W/ssh.conf" rebuild
	check "rebuild, ssh://: the builder reads --root's known_hosts and refuses one without the collector (status $RC)" \
		eval '[[ $RC == 1 ]] && has "$R/etc/kcatch/known_hosts has no host key for collector.example"'
	printf 'collector.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICollectorKey\n' >>"$R/etc/kcatch/known_hosts"
	k --config "$W/ssh.conf" rebuild
	check "rebuild, ssh://: the image holds --root's key (0600) and known_hosts (status $RC)" \
		eval '[[ $RC == 0 ]] && image_file "$IMG" etc/kcatch.conf | grep -qx "target ssh://kcatch@collector.example/srv/crash" &&
			cmp -s "$W/x/etc/kcatch/id_kcatch" "$R/etc/kcatch/id_kcatch" && cmp -s "$W/x/etc/kcatch/known_hosts" "$R/etc/kcatch/known_hosts" &&
			[[ $(stat -c %a "$W/x/etc/kcatch/id_kcatch") == 600 ]] && grep -q "^ssh_known_hosts $R/etc/kcatch/known_hosts size=" "$IMG.stamp"'
	sleep 0.02
	printf 'collector.example ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ\n' >>"$R/etc/kcatch/known_hosts"
	k --config "$W/ssh.conf" test
	check "test, ssh://: a re-pinned known_hosts makes the image stale, named (status $RC)" \
		eval '[[ $RC == 1 ]] && has "FAIL capture image: rebuild needed: ssh_known_hosts changed: $R/etc/kcatch/known_hosts size="'
else
	skip "rebuild, ssh://: --root's key and known_hosts" "no /usr/bin/ssh (openssh-client)"
fi

# 4. usage
k frobnicate
check "unknown command: exit 2, names the commands" eval '[[ $RC == 2 ]] && grep -q "unknown command" <<<"$OUT"'
RC=0; OUT=$("$KCATCH" --help) || RC=$?
check "--help describes every command and --root" \
	eval '[[ $RC == 0 ]] && for c in status show test load unload rebuild estimate list report --root --dry-run --mkinitramfs --agent; do grep -q -- "  $c" <<<"$OUT" || exit 1; done'

# 5. the units
if command -v systemd-analyze >/dev/null; then
	# ExecStart must exist for verify: point the units at this build's kcatch
	mkdir -p "$W/units"
	for u in "${UNITS[@]}"; do sed "s|^\(Exec[A-Za-z]*=\)[^ ]*kcatch|\1$KCATCH|" "$u" >"$W/units/$(basename "$u")"; done
	check "systemd-analyze verify the units" \
		eval 'out=$(cd "$W/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./*.service 2>&1); echo "$out"; ! grep -q . <<<"$out"'
else
	skip "systemd-analyze verify" "no systemd-analyze"
fi
for u in "${UNITS[@]}"; do
	case $(basename "$u") in
	kcatch.service)
		check "kcatch.service: oneshot, RemainAfterExit, load/unload, crashkernel condition" \
			eval 'grep -qx 'Type=oneshot' '$u' && grep -qx 'RemainAfterExit=yes' '$u' && grep -q '^ExecStart=.*kcatch load$' '$u' &&
				grep -q '^ExecStop=.*kcatch unload$' '$u' && grep -qx 'ConditionKernelCommandLine=crashkernel' '$u'' ;;
	kcatch-report.service)
		check "kcatch-report.service: report --journal" grep -q '^ExecStart=.*kcatch report --journal$' "$u" ;;
	esac
done

tap_finish
