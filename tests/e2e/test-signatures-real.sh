#!/bin/bash
# Crash signatures of real crashes (issue 16): Debian's 6.1 kernel crashes
# under QEMU (TCG) in several ways, each boot captured by kcatch-agent in
# the capture kernel onto one ext4 disk; the host reads the disk back
# (debugfs) and checks the signature each kcatch.json carries, then runs
# `kcatch list` over the dumps as a collector holds them (one directory,
# several hosts).
#
#   boot  host  kernel               crash
#   A     web1  6.1 (cached alias)   sysrq c
#   B     web2  6.1 (cached alias)   sysrq c again
#   N     app1  6.1 (cached alias)   NULL dereference in kcatch-crashmod.ko
#   G     db1   6.1 (cached alias)   BUG_ON in kcatch-crashmod.ko
#   F     web3  another 6.1 build    sysrq c (same release family)
#
# Debian's cloud kernels have no LKDTM: guest/kcatch-crashmod.c is built
# against the kernel's linux-headers package (downloaded, never installed;
# cached under $KCATCH_CACHE/headers). The other 6.1 build is the newest
# linux-image-6.1.0-*-cloud-amd64-unsigned of the host's apt sources other
# than the cached one; when apt has none, boot F and its checks are left
# out (said in the output). Expected: A, B and F share one signature; A, N
# and G are three; N's function is crashmod_null_deref [kcatch_crashmod],
# G's cause is "kernel BUG at kcatch-crashmod.c:#!" (the build directory dropped).
#
#   test-signatures-real.sh --build DIR [--keep] [--no-second]
# Prints TAP; exits non-zero on failure. Work files: $KCATCH_CACHE/e2e/signatures-6.1.
set -uo pipefail
. "$(dirname "$0")/lib-e2e.sh"

BUILD= KEEP=0 SECOND=1
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "${2:?}" && pwd); shift ;;
	--keep) KEEP=1 ;;
	--no-second) SECOND=0 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
	shift
done
[[ -n $BUILD ]] || die "--build DIR is required"
need_cmd qemu-system-x86_64 timeout mkfs.ext4 debugfs cpio gzip make apt-get apt-cache dpkg-deb /usr/bin/python3
[[ -x $BUILD/capture/kcatch-agent && -x $BUILD/initramfs/kcatch-mkinitramfs && -x $BUILD/systemd/kcatch ]] ||
	die "build $BUILD first (kcatch-agent, kcatch-mkinitramfs, kcatch)"
[[ -x /bin/busybox && -x /usr/sbin/kexec ]] || die "needs busybox-static and kexec-tools"
T0=$(now)

e2e_kernel 6.1
W=$KCATCH_CACHE/e2e/signatures-6.1
rm -rf "$W"
mkdir -p "$W"
cleanup() { ((KEEP)) || rm -rf "$W"/*.img "$W"/*.gz "$W/out" "$W/collector" "$W/recomputed"; }  # logs stay
trap cleanup EXIT
APT_OPTS=(-q -o APT::Sandbox::User=root -o Acquire::Retries=3 -o Acquire::http::Timeout=60)

# unpack_debs DIR PKG=VERSION...: download the packages through the host's
# apt (nothing installed) and extract them into DIR; DIR/.complete at the end
unpack_debs() {
	local dir=$1 tmp deb
	shift
	[[ -f $dir/.complete ]] && return 0
	tmp=$(mktemp -d "$KCATCH_CACHE/tmp/sig-debs.XXXXXX")
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! (cd "$tmp" && timeout 1800 apt-get "${APT_OPTS[@]}" download "$@") >"$tmp/apt.log" 2>&1; then
		sed 's/^/#   /' "$tmp/apt.log" | tail -n 5
		rm -rf "$tmp"
		return 1
	fi
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$dir" || { rm -rf "$tmp"; return 1; }
	done
	rm -rf "$tmp"
	printf '%s\n' "$@" >"$dir/.complete"
}

# The module, built against the cached 6.1 kernel's own headers (its
# BUG_ON names the source by the absolute path it was compiled at; the
# signature keeps the file name only).
VER=$(sed -n 's/^version=//p' "$KDIR/.complete")
[[ -n $VER ]] || die "$KDIR/.complete names no package version: run tests/real/fetch-kernels.sh --refresh 6.1"
HDR=$KCATCH_CACHE/headers/$KVER
unpack_debs "$HDR" "linux-headers-$KVER=$VER" "linux-headers-${KVER%-cloud-amd64}-common=$VER" \
	"linux-kbuild-${KVER%%.0-*}=$VER" ||
	die "cannot download linux-headers-$KVER ($VER) and its common and kbuild packages through apt:" \
		"run apt-get update, or tests/real/fetch-kernels.sh --refresh 6.1 if the archive dropped $VER"
KSRC=$HDR/usr/src/linux-headers-$KVER
# its Makefile includes the common headers by their installed, absolute path
sed -i "s|^include /usr/src/|include $HDR/usr/src/|" "$KSRC/Makefile"
MOD=$KCATCH_CACHE/crashmod/$KVER
mkdir -p "$MOD"
cp "$E2E_DIR/guest/kcatch-crashmod.c" "$E2E_DIR/guest/Kbuild" "$MOD/"
make -s -C "$KSRC" M="$MOD" modules >"$W/module-build.log" 2>&1
mk_rc=$?
sed 's/^/# /' "$W/module-build.log"
check "kcatch-crashmod.ko builds against linux-headers-$KVER ($VER)" \
	bash -c "(($mk_rc == 0)) && [[ \$(modinfo -F vermagic '$MOD/kcatch-crashmod.ko') == '$KVER '* ]]"
((mk_rc == 0)) || { e2e_finish; exit 1; }

# The other 6.1 build: the newest cloud kernel image apt offers besides $KVER
K2=
if ((SECOND)); then
	for p in $(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
		grep -E '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' | sort -rV); do
		k=${p#linux-image-}
		k=${k%-unsigned}
		[[ $k == "$KVER" ]] && continue
		if unpack_debs "$(kernel_dir "$k")/root" "$p"; then
			K2=$k
			break
		fi
		echo "# $p did not download; trying an older one"
	done
	[[ -n $K2 ]] || echo "# no other linux-image-6.1.0-*-cloud-amd64-unsigned is reachable through apt: boot F (same family, another build) is left out"
fi

UUID=$(cat /proc/sys/kernel/random/uuid)
cat >"$W/kcatch.conf" <<EOF
# kcatch end-to-end test: crash signatures of real crashes
target UUID=$UUID
path /var/crash
dump_level 31
compress zstd
keep 0
failure_action reboot
final_action reboot
target_timeout 30
watchdog 900
extra_modules virtio_pci virtio_blk
EOF
e2e_disk "$W/dump.img" 1G "$UUID"
FIRST_APPEND="console=ttyS0,115200 crashkernel=256M panic=5 loglevel=7 oops=panic"

# images KVER ROOT VMLINUZ TAG: capture and first-kernel images of a kernel
images() {
	KVER=$1 KROOT=$2 VMLINUZ=$3
	e2e_capture_image "$W/capture-$4.img" "$BUILD" "$W/kcatch.conf" 2>"$W/mkinitramfs-$4.log" ||
		{ sed 's/^/# /' "$W/mkinitramfs-$4.log"; die "kcatch-mkinitramfs failed for $KVER"; }
	e2e_first_image "$W/first-$4.img" "$W/capture-$4.img" 8
}

# crash_boot NAME TAG HOST TRIGGER: boot the first kernel of images TAG as
# HOST, crash it by TRIGGER, capture; once more when QEMU or the capture
# fails (TCG now and then faults in a guest). The host name and trigger
# are a second cpio archive appended to the first image (the kernel
# unpacks each in turn; a later file replaces an earlier one).
declare -A HOST_OF=()
crash_boot() {
	local name=$1 tag=$2 host=$3 trigger=$4 o=$W/overlay-$1 try C
	rm -rf "$o"
	mkdir -p "$o/etc/e2e"
	echo "$host" >"$o/etc/e2e/hostname"
	echo "$trigger" >"$o/etc/e2e/trigger"
	[[ $trigger == sysrq ]] || cp "$MOD/kcatch-crashmod.ko" "$o/etc/e2e/"
	(cd "$o" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$W/overlay-$name.gz"
	cat "$W/first-$tag.img" "$W/overlay-$name.gz" >"$W/boot-$name.img"
	for try in 1 2; do
		e2e_qemu_append "$W/console-$name.log" 1G "$FIRST_APPEND" "$W/boot-$name.img" "$W/dump.img"
		C=$W/console-$name.txt
		e2e_console_clean "$W/console-$name.log" >"$C"
		if ((QEMU_RC == 0)) && grep -q 'kcatch: .* RESULT complete ' "$C"; then
			ok "boot $name ($host, $(sed -n 's/^E2E: first kernel up: \([^,]*\),.*/\1/p' "$C"), $trigger): crashed and captured in ${QEMU_SECS}s$( ((try > 1)) && echo ", on the second try")"
			HOST_OF[$name]=$host
			return 0
		fi
		echo "# boot $name try $try: QEMU status $QEMU_RC after ${QEMU_SECS}s, no complete capture; console's end:"
		tail -n 25 "$C" | sed 's/^/#   /'
	done
	not_ok "boot $name ($host, $trigger) crashed and was captured"
	return 1
}

images "$KVER" "$KROOT" "$VMLINUZ" 61
crash_boot A 61 web1 sysrq
crash_boot B 61 web2 sysrq
crash_boot N 61 app1 null
crash_boot G 61 db1 bug
if [[ -n $K2 ]]; then
	images "$K2" "$(kernel_dir "$K2")/root" "$(kernel_vmlinuz "$K2")" second
	crash_boot F second web3 sysrq
fi

if ! e2e_extract "$W/dump.img" "$W/out"; then
	not_ok "debugfs reads /var/crash from the dump disk"
	e2e_finish
	exit 1
fi
# the collector's directory: every host's dumps side by side
R=$W/collector
mkdir -p "$R/etc" "$R/var"
printf 'path /var/crash\n' >"$R/etc/kcatch.conf"
mv "$W/out/crash" "$R/var/crash"
ls "$R/var/crash" | sed 's/^/# dump /'

# sig FIELD BOOT: FIELD of the complete dump of BOOT's host (hostname, or
# signature.hash, .cause, .function, .family, or kernel_release, crash_time)
sig() {
	/usr/bin/python3 - "$R/var/crash" "${HOST_OF[$2]:-none}" "$1" <<'PY'
import json, os, sys
base, host, field = sys.argv[1:]
found = []
for d in sorted(os.listdir(base)):
    try:
        j = json.load(open(os.path.join(base, d, "kcatch.json")))
    except (OSError, ValueError):
        continue
    if j.get("hostname") == host and j.get("status") == "complete":
        v = j
        for k in field.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        found.append("" if v is None else str(v))
print(found[-1] if found else "")
PY
}
for b in A B N G F; do
	[[ -n ${HOST_OF[$b]:-} ]] || continue
	echo "# $b: $(sig signature.hash $b) $(sig kernel_release $b) $(sig crash_time $b): $(sig signature.summary $b)"
done
HA=$(sig signature.hash A) HB=$(sig signature.hash B) HN=$(sig signature.hash N) HG=$(sig signature.hash G)
check "every kcatch.json has a 16-hex-digit signature.hash of version 1" /usr/bin/python3 - "$R/var/crash" <<'PY'
import json, os, re, sys
base = sys.argv[1]
n = 0
for d in sorted(os.listdir(base)):
    j = json.load(open(os.path.join(base, d, "kcatch.json")))
    s = j.get("signature") or {}
    if j.get("status") != "complete":
        continue
    n += 1
    if s.get("version") != 1 or not re.fullmatch(r"[0-9a-f]{16}", s.get("hash", "")) or s.get("family") != "6.1":
        sys.exit("%s: signature %r" % (d, s))
if n == 0:
    sys.exit("no complete dump")
PY
check "sysrq c in two boots (web1, web2): one signature ($HA)" \
	bash -c '[[ $1 =~ ^[0-9a-f]{16}$ && $1 == "$2" ]]' _ "$HA" "$HB"
check "sysrq, NULL dereference and BUG_ON: three signatures ($HA $HN $HG)" \
	bash -c '[[ -n $1 && -n $2 && -n $3 && $1 != "$2" && $1 != "$3" && $2 != "$3" ]]' _ "$HA" "$HN" "$HG"
check "sysrq: cause 'Kernel panic - not syncing: sysrq triggered crash', function sysrq_handle_crash" \
	test "$(sig signature.cause A)|$(sig signature.function A)" = "Kernel panic - not syncing: sysrq triggered crash|sysrq_handle_crash"
check "NULL dereference: cause 'BUG: kernel NULL pointer dereference, address: #', function crashmod_null_deref [kcatch_crashmod] ($(sig signature.function N))" \
	test "$(sig signature.cause N)|$(sig signature.function N)" = "BUG: kernel NULL pointer dereference, address: #|crashmod_null_deref [kcatch_crashmod]"
# the log says "kernel BUG at $MOD/kcatch-crashmod.c:28!": the build directory goes
check "BUG_ON: cause 'kernel BUG at kcatch-crashmod.c:#!', function crashmod_bug_on [kcatch_crashmod]" \
	test "$(sig signature.cause G)|$(sig signature.function G)" = "kernel BUG at kcatch-crashmod.c:#!|crashmod_bug_on [kcatch_crashmod]"
# the hashes are what the host computes from the saved kernel logs too
check "the module crashes' logs have the oops the signature was made from" \
	bash -c 'grep -q "RIP: 0010:crashmod_null_deref+0x" "$1"/*-app1/vmcore-dmesg.txt && grep -q "RIP: 0010:crashmod_bug_on+0x" "$1"/*-db1/vmcore-dmesg.txt' _ "$R/var/crash"
if [[ -n ${HOST_OF[F]:-} ]]; then
	HF=$(sig signature.hash F)
	check "sysrq c on another build of the family ($(sig kernel_release F) vs $(sig kernel_release A)): the same signature ($HF)" \
		bash -c '[[ $1 == "$2" && $3 != "$4" ]]' _ "$HF" "$HA" "$(sig kernel_release F)" "$(sig kernel_release A)"
fi

# kcatch list over the collector's directory: the groups
OUT=$("$BUILD/systemd/kcatch" --root "$R" list 2>"$W/list.err")
RC=$?
echo "$OUT" >"$W/list.txt"
sed 's/^/# /' "$W/list.txt" "$W/list.err"
# each dump's line: its directory (ending in the host), then its kcatch.json's hash
listed_as_json() {
	local b
	((RC == 0)) || return 1
	for b in "${!HOST_OF[@]}"; do
		grep -qE "^[^ ]+-${HOST_OF[$b]} .* $(sig signature.hash "$b") " <<<"$OUT" ||
			{ echo "no line for ${HOST_OF[$b]} with $(sig signature.hash "$b")"; return 1; }
	done
}
check "kcatch list exits 0 (status $RC) and shows each dump with its kcatch.json signature" listed_as_json
GRP=$(sed -n '/by signature/,$p' <<<"$OUT")
row() { awk -v s="$1" '$1 == s' <<<"$GRP"; }
SYSRQ_HOSTS="web1, web2" SYSRQ_N=2 SYSRQ_LAST=B
[[ -n ${HOST_OF[F]:-} ]] && SYSRQ_HOSTS="web1, web2, web3" SYSRQ_N=3 SYSRQ_LAST=F
check "group: sysrq $SYSRQ_N times, first seen A's crash time, last $SYSRQ_LAST's, hosts $SYSRQ_HOSTS" \
	grep -qE "^$HA +$SYSRQ_N $(sig crash_time A) +$(sig crash_time $SYSRQ_LAST) +$SYSRQ_HOSTS +Kernel panic - not syncing: sysrq triggered crash in sysrq_handle_crash" <<<"$(row "$HA")"
check "group: the NULL dereference once, on app1, named with the module's function" \
	grep -qE "^$HN +1 $(sig crash_time N) +$(sig crash_time N) +app1 +BUG: kernel NULL pointer dereference, address: # in crashmod_null_deref \[kcatch_crashmod\]" <<<"$(row "$HN")"
check "group: the BUG_ON once, on db1" \
	grep -qE "^$HG +1 $(sig crash_time G) +$(sig crash_time G) +db1 +kernel BUG at kcatch-crashmod.c:#! in crashmod_bug_on \\[kcatch_crashmod\\]" <<<"$(row "$HG")"
check "groups: three signatures, the sysrq group first" \
	bash -c '[[ $(grep -cE "^[0-9a-f]{16} " <<<"$1") == 3 && $(grep -m1 -E "^[0-9a-f]{16} " <<<"$1" | cut -c1-16) == "$2" ]]' _ "$GRP" "$HA"

# The same list when kcatch computes every signature from vmcore-dmesg.txt
# (kcatch.json without its signature, as an older agent writes it)
cp -r "$R" "$W/recomputed"
for j in "$W/recomputed"/var/crash/*/kcatch.json; do
	/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); j.pop("signature", None); json.dump(j, open(sys.argv[1], "w"))' "$j"
done
OUT2=$("$BUILD/systemd/kcatch" --root "$W/recomputed" list 2>&1)
check "kcatch computes the agent's signatures from the saved vmcore-dmesg.txt: the same groups" \
	test "$(sed -n '/by signature/,$p' <<<"$OUT2")" = "$GRP"
echo "# whole test ${T0:+$(elapsed "$T0")}s"
e2e_finish
