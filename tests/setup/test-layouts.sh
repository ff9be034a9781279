#!/bin/bash
# The kernel's files in both layouts, for kcatch (show, test, estimate,
# rebuild, load --dry-run) and kcatch-mkinitramfs --root, on fake roots:
#   boot  /boot/{vmlinuz,config,System.map}-KVER, modules in lib/modules
#   usr   /usr/lib/modules/KVER/{vmlinuz,config,System.map} (Debian 14, Fedora, Arch)
#   lib   /lib/modules/KVER/... (a root without a merged /usr)
#   both  both, different images: /boot's is the one used
#   none  no image, no config: the error names every path tried and the package
#   link  /boot/vmlinuz-KVER a symbolic link: not followed
# and modules kept compressed exactly when the kernel config says the kernel
# decompresses that format (asserted on the image: names and magic bytes).
# With Debian sid's split kernel packages unpacked by fetch-sid-kernel.sh,
# the real image, config and modules are used.
#
#   test-layouts.sh KCATCH MKINITRAMFS AGENT
#   $KCATCH_LAYOUT_CACHE: fetch-sid-kernel.sh's cache (default /root/.cache/kcatch/layout-test)
set -uo pipefail
KCATCH=$(realpath "$1") MK=$(realpath "$2") AGENT=$(realpath "$3")
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-layouts.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../e2e/lib-tap.sh"
. "$(dirname "$0")/lib-setup.sh"
# k ROOT ARGS...: kcatch on a fake root; sets RC and OUT (stdout+stderr)
k() { local r=$1; shift; RC=0; OUT=$("$KCATCH" --root "$r" "$@" 2>&1) || RC=$?; }
has() { grep -qF -- "$1" <<<"$OUT"; }
magic() { head -c "$2" "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n'; }
export KCATCH_MKINITRAMFS=$MK KCATCH_AGENT=$AGENT
if readelf -lW "$AGENT" 2>/dev/null | grep -q 'program interpreter'; then
	KCATCH_AGENT=$W/static-init
	printf 'int main(void) { return 0; }\n' | ${CC:-cc} -static -x c - -o "$KCATCH_AGENT" ||
		{ echo "1..0 # SKIP $AGENT is dynamic and no static stand-in could be built"; exit 0; }
fi

CACHE=${KCATCH_LAYOUT_CACHE:-/root/.cache/kcatch/layout-test}
REL=$(cat "$CACHE/sid.kver" 2>/dev/null)
SID=$CACHE/root/usr/lib/modules/$REL
if [[ -n $REL && -f $SID/vmlinuz && -f $SID/config ]] && command -v depmod >/dev/null; then
	REAL=1
	MOD=$(find "$SID/kernel" -name virtio_blk.ko.xz | head -1)
	echo "# Debian sid's $REL from $CACHE: its vmlinuz, config and virtio_blk module"
else
	REAL=0 REL=7.2.0-99-cloud-amd64 MOD=
	echo "# no sid kernel in $CACHE (tests/setup/fetch-sid-kernel.sh): crafted image and config, no modules"
fi

# the module in the form a layout's kernel package ships: xz (CRC32, as kbuild),
# xz64 (CRC64, as plain xz), zst, or ko
put_module() {
	local dir=$1/kernel/drivers/block fmt=$2
	# what linux-base ships next to the modules; depmod indexes them
	if [[ -z $MOD ]]; then
		touch "$1"/modules.{order,builtin,builtin.modinfo}
		return 0
	fi
	mkdir -p "$dir"
	cp "$SID"/modules.{order,builtin,builtin.modinfo} "$1/"
	case $fmt in
	xz) cp "$MOD" "$dir/" ;;
	xz64) xz -dc "$MOD" | xz --check=crc64 >"$dir/virtio_blk.ko.xz" ;;
	zst) xz -dc "$MOD" | zstd -q >"$dir/virtio_blk.ko.zst" ;;
	ko) xz -dc "$MOD" >"$dir/virtio_blk.ko" ;;
	esac
}
# kconfig KIND: xz / zstd (the kernel decompresses that format), nodec (it does not)
kconfig() {
	if [[ $REAL == 1 && $1 == xz ]]; then cat "$SID/config"; return; fi
	printf 'CONFIG_RD_GZIP=y\nCONFIG_RD_ZSTD=y\nCONFIG_MODULE_COMPRESS=y\n'
	case $1 in
	xz) printf 'CONFIG_MODULE_COMPRESS_XZ=y\nCONFIG_MODULE_DECOMPRESS=y\n' ;;
	zstd) printf 'CONFIG_MODULE_COMPRESS_ZSTD=y\nCONFIG_MODULE_DECOMPRESS=y\n' ;;
	nodec) printf 'CONFIG_MODULE_COMPRESS_XZ=y\n# CONFIG_MODULE_DECOMPRESS is not set\n' ;;
	esac
}
image() {
	if [[ $REAL == 1 ]]; then cp "$SID/vmlinuz" "$1"; else mkkernel "$1" 50 0; fi
}

# mkroot NAME LAYOUT CONFIG MODFMT: a fake host whose kernel files are where LAYOUT puts them
mkroot() {
	local r=$W/$1 layout=$2 cfg=$3 fmt=$4 md
	fake_host "$r" "$REL" || return 1
	echo 268435456 >"$r/sys/kernel/kexec_crash_size"
	mkdir -p "$r/var/crash"
	printf 'ID=debian\nVERSION_CODENAME=forky\n' >"$r/etc/os-release"
	printf 'target UUID=%s\npath /var/crash\n%s' "$U1" "${MOD:+extra_modules virtio_blk$'\n'}" >"$W/$1.conf"
	ln -s ../../vda1 "$r/dev/disk/by-uuid/$U1"
	case $layout in
	boot | both)
		mkdir -p "$r/boot" "$r/lib/modules/$REL"
		image "$r/boot/vmlinuz-$REL"
		[[ $cfg == none ]] || kconfig "$cfg" >"$r/boot/config-$REL"
		echo "ffffffff81000000 T _stext" >"$r/boot/System.map-$REL"
		md=$r/lib/modules/$REL ;;&
	both)
		mkdir -p "$r/usr/lib/modules/$REL"
		mkkernel "$r/usr/lib/modules/$REL/vmlinuz" 60 0
		printf 'CONFIG_MODULE_DECOMPRESS=y\nCONFIG_MODULE_COMPRESS_ZSTD=y\n' >"$r/usr/lib/modules/$REL/config" ;;
	usr | lib)
		md=$r/$layout/lib/modules/$REL
		[[ $layout == lib ]] && md=$r/lib/modules/$REL
		mkdir -p "$md"
		image "$md/vmlinuz"
		[[ $cfg == none ]] || kconfig "$cfg" >"$md/config"
		echo "ffffffff81000000 T _stext" >"$md/System.map" ;;
	none)
		md=$r/usr/lib/modules/$REL
		mkdir -p "$md" ;;
	esac
	put_module "$md" "$fmt"
}

# build NAME [ARGS...]: kcatch-mkinitramfs --root on it, uncompressed image
# in $W/NAME.img, unpacked in $W/NAME.x, stderr in $W/NAME.err
build() {
	local n=$1
	shift
	"$MK" --kernel-version "$REL" --root "$W/$n" --no-host-devices --config "$W/$n.conf" \
		--agent "$KCATCH_AGENT" -z none -o "$W/$n.img" "$@" 2>"$W/$n.err" &&
		unpack_image "$W/$n.img" "$W/$n.x"
}
# the builder printed nothing but its summary (without a module tree, the
# config names no module: that warning is expected then)
quiet_build() {
	! grep -v -e '^kcatch-mkinitramfs: wrote ' -e '^kcatch-mkinitramfs: modules in load order:' \
		-e "${MOD:+^\$}${MOD:-no modules were named}" "$W/$1.err"
}
# module_is NAME FILE MAGIC: the image holds lib/modules/FILE, which starts with MAGIC, and the
# manifest names it; no other form of virtio_blk is there
module_is() {
	local x=$W/$1.x
	[[ -n $MOD ]] || return 0
	[[ $(cd "$x/lib/modules" && ls virtio_blk.*) == "$2" ]] &&
		[[ $(magic "$x/lib/modules/$2" $((${#3} / 2))) == "$3" ]] &&
		grep -qx "lib/modules/$2" "$x/etc/kcatch.modules"
}
XZ=fd377a585a00 ZST=28b52ffd ELF=7f454c46
mods=", module kept compressed"
[[ -n $MOD ]] || mods=" (no module tree: module checks skipped)"

for layout in boot usr lib; do
	case $layout in
	boot) img=/boot/vmlinuz-$REL cfg=/boot/config-$REL map=/boot/System.map-$REL ;;
	usr) img=/usr/lib/modules/$REL/vmlinuz cfg=/usr/lib/modules/$REL/config map=/usr/lib/modules/$REL/System.map ;;
	lib) img=/lib/modules/$REL/vmlinuz cfg=/lib/modules/$REL/config map=/lib/modules/$REL/System.map ;;
	esac
	mkroot $layout $layout xz xz || { echo "Bail out! cannot make the $layout root"; exit 1; }
	R=$W/$layout
	k "$R" show
	check "$layout: show names the image, config and System.map found" \
		eval '[[ $RC == 0 ]] && has "$(printf "%-20s %s (" "kernel image" "$img")" &&
			grep -qxF "$(printf "%-20s %s" "kernel config" "$cfg")" <<<"$OUT" &&
			grep -qxF "$(printf "%-20s %s" System.map "$map")" <<<"$OUT"'
	k "$R" --config "$W/$layout.conf" test
	check "$layout: test finds the kernel image" eval 'has "ok   kernel image: $R$img" && ! has "FAIL kernel"'
	k "$R" estimate
	check "$layout: estimate reads the image's bzImage header (status $RC)" \
		eval '[[ $RC == 0 ]] && grep -q "^  capture kernel .* MiB  init_size of the bzImage header of " <<<"$OUT" &&
			has "MiB  init_size of the bzImage header of $R$img"'
	build $layout
	check "$layout: kcatch-mkinitramfs --root reads $cfg, says nothing more$mods (xz)" \
		eval 'quiet_build $layout && module_is $layout virtio_blk.ko.xz $XZ'
done

# kcatch itself builds and loads (dry run) from the usr layout
R=$W/usr
k "$R" --config "$W/usr.conf" load --dry-run
IMG=$R/var/lib/kcatch/initrd-$REL.img
check "usr: load --dry-run builds the image and loads /usr/lib/modules/$REL/vmlinuz (status $RC)" \
	eval '[[ $RC == 0 ]] && has "built $IMG" && grep -qx "kernel   $R/usr/lib/modules/$REL/vmlinuz" <<<"$OUT" &&
		grep -q "^kernel $R/usr/lib/modules/$REL/vmlinuz size=" "$IMG.stamp"'
check "usr: the builder kcatch ran gave no warning" eval '! grep -i warning <<<"$OUT" | grep -v "${MOD:+^\$}${MOD:-no modules were named}"'
unpack_image "$IMG" "$W/usr.x"
check "usr: kcatch's image has virtio_blk$mods" module_is usr virtio_blk.ko.xz $XZ

# the packages as dpkg-deb -x leaves them (nothing in /boot): the issue's case
if [[ $REAL == 1 ]]; then
	"$MK" --kernel-version "$REL" --root "$CACHE/root" --no-host-devices --config "$W/usr.conf" \
		--agent "$KCATCH_AGENT" --add-modules xfs -z none -o "$W/sid.img" 2>"$W/sid.err" &&
		unpack_image "$W/sid.img" "$W/sid.x"
	check "sid's unpacked packages: no warning; virtio_blk, xfs and its dependencies stay .ko.xz (xz magic)" \
		eval 'quiet_build sid && module_is sid virtio_blk.ko.xz $XZ && [[ -f $W/sid.x/lib/modules/xfs.ko.xz ]] &&
			! grep -v "^#" "$W/sid.x/etc/kcatch.modules" | grep -v "\.ko\.xz$" &&
			for m in "$W"/sid.x/lib/modules/*; do [[ $(magic "$m" 6) == $XZ ]] && xz -t "$m" || exit 1; done'
	check "sid's unpacked packages: the module directory was not written" \
		eval '! ls "$SID"/modules.dep* 2>/dev/null'
fi

# both layouts: /boot's files win (the boot loader's, where sites re-sign)
mkroot both both nodec xz
R=$W/both
k "$R" estimate
check "both: /boot's image is used (its init_size, 50 MiB or the real one, not the other's 60)" \
	eval 'has "bzImage header of $R/boot/vmlinuz-$REL" && ! grep -q " 60.0 MiB  init_size" <<<"$OUT"'
build both
check "both: /boot's config (no CONFIG_MODULE_DECOMPRESS) decides: module unpacked" \
	eval 'quiet_build both && module_is both virtio_blk.ko $ELF'

# compression rules, each on the usr layout
mkroot nodec usr nodec xz
build nodec
check "config without CONFIG_MODULE_DECOMPRESS: module unpacked, no warning" \
	eval 'quiet_build nodec && module_is nodec virtio_blk.ko $ELF'
mkroot zstdcfg usr zstd xz
build zstdcfg
check "kernel decompresses zstd, module is xz: unpacked" eval 'quiet_build zstdcfg && module_is zstdcfg virtio_blk.ko $ELF'
mkroot zst usr zstd zst
build zst
check "kernel decompresses zstd, module is zstd: kept as .ko.zst" \
	eval 'quiet_build zst && module_is zst virtio_blk.ko.zst $ZST'
mkroot xz64 usr xz xz64
build xz64
check "xz with a CRC64 check (not what the kernel's decoder takes): unpacked" \
	eval 'quiet_build xz64 && module_is xz64 virtio_blk.ko $ELF'
build usr --unpack-modules
check "--unpack-modules: unpacked although the kernel could" eval 'quiet_build usr && module_is usr virtio_blk.ko $ELF'
if [[ -n $MOD ]]; then
	check "the unpacked module is the xz one's content" eval 'xz -dc "$MOD" | cmp - "$W/usr.x/lib/modules/virtio_blk.ko"'
fi

# no image, no config anywhere
mkroot none none none xz
R=$W/none
tried="tried $R/boot/vmlinuz-$REL (missing), $R/usr/lib/modules/$REL/vmlinuz (missing), $R/lib/modules/$REL/vmlinuz (missing); install linux-image-$REL (on Debian 14 and later it pulls in linux-binary-$REL, which puts vmlinuz in /usr/lib/modules/$REL/)"
k "$R" --config "$W/none.conf" test
check "none: test fails naming every path tried and the package (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL kernel image: no kernel image for Linux $REL: $tried"'
k "$R" show
check "none: show says the same" eval 'grep -qF "kernel image         no kernel image for Linux $REL: $tried" <<<"$OUT" &&
	grep -qx "kernel config        (none in /boot or the module directory)" <<<"$OUT"'
k "$R" estimate
check "none: estimate fails with that error (status $RC)" \
	eval '[[ $RC == 1 ]] && has "cannot tell the capture kernel'"'"'s size: no kernel image for Linux $REL: $tried"'
k "$R" --config "$W/none.conf" load --dry-run
check "none: load refuses, builds nothing (status $RC)" eval '[[ $RC == 1 ]] && has "not loading" && [[ ! -e $R/var/lib/kcatch/initrd-$REL.img ]]'
build none
check "none: the builder warns once, naming the config paths tried and linux-base, and unpacks" \
	eval '[[ $(grep -c "warning: no kernel config" "$W/none.err") == 1 ]] &&
		grep -qF "warning: no kernel config for Linux $REL: tried $R/boot/config-$REL (missing), $R/usr/lib/modules/$REL/config (missing), $R/lib/modules/$REL/config (missing); install linux-image-$REL (on Debian 14 and later it pulls in linux-base-$REL, which puts config and System.map in /usr/lib/modules/$REL/)" "$W/none.err" &&
		module_is none virtio_blk.ko $ELF'

# a symbolic link is not followed, even to a real image
mkroot link usr xz xz
R=$W/link
mkdir -p "$R/boot"
mv "$R/usr/lib/modules/$REL/vmlinuz" "$W/vmlinuz.link"
ln -s "$W/vmlinuz.link" "$R/boot/vmlinuz-$REL"
k "$R" show
check "link: /boot/vmlinuz-$REL as a symbolic link is passed over, and said so" \
	has "no kernel image for Linux $REL: tried $R/boot/vmlinuz-$REL (a symbolic link on the way, not followed), $R/usr/lib/modules/$REL/vmlinuz (missing)"
rm "$R/boot/vmlinuz-$REL"
ln -s "$W/vmlinuz.link" "$R/usr/lib/modules/$REL/vmlinuz"
mv "$R/usr" "$W/usr.link" && ln -s "$W/usr.link" "$R/usr"
k "$R" show
check "link: a symbolic link on the way (usr) is not followed either" \
	has "$R/usr/lib/modules/$REL/vmlinuz (a symbolic link on the way, not followed)"

tap_finish
