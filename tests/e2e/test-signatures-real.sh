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
#   M     app2  another 6.1 build    NULL dereference (the module built for it)
#
# Debian's cloud kernels have no LKDTM: guest/kcatch-crashmod.c is built
# against each kernel's linux-headers packages (downloaded, never
# installed; cached under $KCATCH_CACHE/headers). The other 6.1 build is
# the newest linux-image-6.1.0-*-cloud-amd64-unsigned of the host's apt
# sources other than the cached one; when apt has none, boots F and M and
# their checks are left out (said in the output). Expected: A, B and F
# share one signature, N and M another; A, N and G are three; N's function
# is crashmod_null_deref [kcatch_crashmod], G's cause "kernel BUG at
# kcatch-crashmod.c:#!" (the directory it was built in dropped).
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
cleanup() { ((KEEP)) || rm -rf "$W"/*.img "$W"/overlay-* "$W/out" "$W/collector" "$W/recomputed"; }  # logs stay
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

# build_module KVER VERSION: kcatch-crashmod.ko for KVER, built against its
# linux-headers packages at VERSION (cached under $KCATCH_CACHE/headers) in
# $KCATCH_CACHE/crashmod/KVER; one TAP line. Its BUG_ON names the source by
# the absolute path it was compiled at (the signature keeps the file name).
build_module() {
	local kver=$1 ver=$2 hdr=$KCATCH_CACHE/headers/$1 mod=$KCATCH_CACHE/crashmod/$1 ksrc rc=0
	ksrc=$hdr/usr/src/linux-headers-$kver
	if ! unpack_debs "$hdr" "linux-headers-$kver=$ver" "linux-headers-${kver%-cloud-amd64}-common=$ver" \
		"linux-kbuild-${kver%%.0-*}=$ver"; then
		not_ok "download linux-headers-$kver ($ver) and its common and kbuild packages through apt" \
			"(run apt-get update, or tests/real/fetch-kernels.sh --refresh 6.1 if the archive dropped $ver)"
		return 1
	fi
	# its Makefile includes the common headers by their installed, absolute path
	sed -i "s|^include /usr/src/|include $hdr/usr/src/|" "$ksrc/Makefile"
	mkdir -p "$mod"
	cp "$E2E_DIR/guest/kcatch-crashmod.c" "$E2E_DIR/guest/Kbuild" "$mod/"
	make -s -C "$ksrc" M="$mod" modules >"$W/module-build-$kver.log" 2>&1 || rc=$?
	sed 's/^/# /' "$W/module-build-$kver.log"
	check "kcatch-crashmod.ko builds against linux-headers-$kver ($ver)" \
		bash -c "(($rc == 0)) && [[ \$(modinfo -F vermagic '$mod/kcatch-crashmod.ko') == '$kver '* ]]"
}
VER=$(sed -n 's/^version=//p' "$KDIR/.complete")
[[ -n $VER ]] || die "$KDIR/.complete names no package version: run tests/real/fetch-kernels.sh --refresh 6.1"
build_module "$KVER" "$VER" || { e2e_finish; exit 1; }

# The other 6.1 build: the newest cloud kernel image apt offers besides $KVER
K2=
if ((SECOND)); then
	for p in $(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
		grep -E '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' | sort -rV); do
		k=${p#linux-image-}
		k=${k%-unsigned}
		[[ $k == "$KVER" ]] && continue
		v=$(apt-cache show --no-all-versions "$p" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
		if [[ -n $v ]] && unpack_debs "$(kernel_dir "$k")/root" "$p=$v"; then
			K2=$k K2VER=$v
			break
		fi
		echo "# $p did not download; trying an older one"
	done
	[[ -n $K2 ]] || echo "# no other linux-image-6.1.0-*-cloud-amd64-unsigned is reachable through apt: boot F (same family, another build) is left out"
fi

UUID=$(cat /proc/sys/kernel/random/uuid)
e2e_conf "$W/kcatch.conf" "UUID=$UUID" 0
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
	[[ $trigger == sysrq ]] || cp "$KCATCH_CACHE/crashmod/$KVER/kcatch-crashmod.ko" "$o/etc/e2e/"
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
	build_module "$K2" "$K2VER" && crash_boot M second app2 null
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
for b in A B N G F M; do
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
# the log says "kernel BUG at $KCATCH_CACHE/crashmod/$KVER/kcatch-crashmod.c:28!": the directory goes
check "BUG_ON: cause 'kernel BUG at kcatch-crashmod.c:#!', function crashmod_bug_on [kcatch_crashmod]" \
	test "$(sig signature.cause G)|$(sig signature.function G)" = "kernel BUG at kcatch-crashmod.c:#!|crashmod_bug_on [kcatch_crashmod]"
# with oops=panic the kernel kexecs before printing "Kernel panic": the agent's panic_message is the oops line
check "NULL dereference and BUG_ON: kcatch.json's panic_message is the oops line ($(sig panic_message G))" \
	bash -c '[[ $1 == "BUG: kernel NULL pointer dereference, address: "* && $2 == "kernel BUG at "*"/kcatch-crashmod.c:28!" ]]' _ \
	"$(sig panic_message N)" "$(sig panic_message G)"
# the hashes are what the host computes from the saved kernel logs too
check "the module crashes' logs have the oops the signature was made from" \
	bash -c 'grep -q "RIP: 0010:crashmod_null_deref+0x" "$1"/*-app1/vmcore-dmesg.txt && grep -q "RIP: 0010:crashmod_bug_on+0x" "$1"/*-db1/vmcore-dmesg.txt' _ "$R/var/crash"
if [[ -n ${HOST_OF[F]:-} ]]; then
	HF=$(sig signature.hash F)
	check "sysrq c on another build of the family ($(sig kernel_release F) vs $(sig kernel_release A)): the same signature ($HF)" \
		bash -c '[[ $1 == "$2" && $3 != "$4" ]]' _ "$HF" "$HA" "$(sig kernel_release F)" "$(sig kernel_release A)"
fi
if [[ -n ${HOST_OF[M]:-} ]]; then
	HM=$(sig signature.hash M)
	check "the NULL dereference on the other build, the module built against its headers: the same signature ($HM)" \
		bash -c '[[ $1 == "$2" && $3 != "$4" ]]' _ "$HM" "$HN" "$(sig kernel_release M)" "$(sig kernel_release N)"
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
NULL_HOSTS=app1 NULL_N=1 NULL_LAST=N
[[ -n ${HOST_OF[M]:-} ]] && NULL_HOSTS="app1, app2" NULL_N=2 NULL_LAST=M
check "group: the NULL dereference $NULL_N times, on $NULL_HOSTS, named with the module's function" \
	grep -qE "^$HN +$NULL_N $(sig crash_time N) +$(sig crash_time $NULL_LAST) +$NULL_HOSTS +BUG: kernel NULL pointer dereference, address: # in crashmod_null_deref \[kcatch_crashmod\]" <<<"$(row "$HN")"
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
