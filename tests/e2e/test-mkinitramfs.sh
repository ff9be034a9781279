#!/bin/bash
# kcatch-mkinitramfs without QEMU: the archive it writes (read back with
# cpio(1)), its checks of the configuration and the agent, and, when
# tests/real/fetch-kernels.sh has cached the Debian kernels, module
# resolution for both module layouts (6.1 lib/modules .ko, 6.12
# usr/lib/modules .ko.xz).
#
#   test-mkinitramfs.sh MKINITRAMFS AGENT
set -uo pipefail
MK=$1 AGENT=$2
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-mkinitramfs.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/lib-tap.sh"
is_static() { ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }
# The ASan build's agent is dynamic: stand in a static busybox then.
STATIC=$AGENT
is_static "$STATIC" || STATIC=/bin/busybox
is_static "$STATIC" || { echo "1..0 # SKIP no static agent (sanitizer build) and no static busybox"; exit 0; }

mkdir -p "$W/root"
printf 'target LABEL=crash\npath /var/crash\nextra_modules\n' >"$W/bad.conf"
printf '# test\ntarget LABEL=crash\nkeep 2\n' >"$W/good.conf"
mk() { "$MK" --kernel-version 0.0.0-test --root "$W/root" --no-host-devices "$@"; }

check "a bad configuration is refused, naming file and line" \
	bash -c "! '$MK' --kernel-version 0.0.0-test --root '$W/root' --config '$W/bad.conf' --agent '$STATIC' -o '$W/x.img' 2>'$W/err' && grep -q 'bad.conf:3: extra_modules needs a value' '$W/err'"
printf 'target /var/crash\n' >"$W/dir.conf"
check "a directory target is refused (the capture kernel needs a device)" \
	bash -c "! '$MK' --config '$W/dir.conf' --agent '$STATIC' -o '$W/x.img' 2>/dev/null"
check "a dynamically linked agent is refused" \
	bash -c "! '$MK' --kernel-version 0.0.0-test --root '$W/root' --config '$W/good.conf' --agent /bin/true -o '$W/x.img' 2>'$W/err' && grep -q 'dynamically linked' '$W/err'"
check "--output is required" bash -c "! '$MK' --config '$W/good.conf' 2>/dev/null"
check "an unknown --add-modules name is an error" \
	bash -c "! '$MK' --kernel-version 0.0.0-test --root '$W/root' --config '$W/good.conf' --agent '$STATIC' --add-modules nosuch -o '$W/x.img' 2>/dev/null"
check "no stray temporary files after failures" bash -c "! ls '$W'/x.img* 2>/dev/null"

for c in none gzip zstd; do
	mk --config "$W/good.conf" --agent "$STATIC" --compress $c -o "$W/$c.img" 2>"$W/$c.log"
done
check "images written with --compress none, gzip, zstd" test -s "$W/none.img" -a -s "$W/gzip.img" -a -s "$W/zstd.img"
check "image mode 0600 (it holds the configuration)" test "$(stat -c %a "$W/zstd.img")" = 600
check "gzip and zstd images unpack to the uncompressed archive" \
	bash -c "gzip -dc '$W/gzip.img' | cmp - '$W/none.img' && zstd -qdc '$W/zstd.img' | cmp - '$W/none.img'"
check "cpio(1) lists init, config, manifest, console and mount points" \
	bash -c "[[ \$(cpio -it --quiet <'$W/none.img' | LC_ALL=C sort | tr '\n' ' ') == 'dev dev/console dev/null etc etc/kcatch.conf etc/kcatch.modules init kcatch lib lib/modules proc sys ' ]]"
mkdir -p "$W/x"
(cd "$W/x" && cpio -id --quiet <"$W/none.img" 2>/dev/null)
check "init is the agent, byte for byte, mode 0755" \
	bash -c "cmp '$STATIC' '$W/x/init' && [[ \$(stat -c %a '$W/x/init') == 755 ]]"
check "etc/kcatch.conf is the configuration, mode 0600" \
	bash -c "cmp '$W/good.conf' '$W/x/etc/kcatch.conf' && [[ \$(stat -c %a '$W/x/etc/kcatch.conf') == 600 ]]"
check "dev/console is character device 5:1" \
	bash -c "[[ \$(cpio -itv --quiet <'$W/none.img' | awk '\$NF == \"dev/console\" { print substr(\$1, 1, 1), \$5, \$6 }') == 'c 5, 1' ]]"
mk --config "$W/good.conf" --agent "$STATIC" -o "$W/again.img" 2>/dev/null
check "the same inputs give the same image" cmp "$W/zstd.img" "$W/again.img"

# The host's machine-id goes into the image, for the agent's retention
# (capture/retention.c: without it, keep falls back to the host name).
MID=0123456789abcdef0123456789abcdef
mkdir -p "$W/mid/etc" && printf '%s\n' $MID >"$W/mid/etc/machine-id"
"$MK" --kernel-version 0.0.0-test --root "$W/mid" --no-host-devices --config "$W/good.conf" --agent "$STATIC" \
	-z none -o "$W/mid.img" 2>"$W/mid.log"
rm -rf "$W/y" && mkdir -p "$W/y" && (cd "$W/y" && cpio -id --quiet <"$W/mid.img" 2>/dev/null)
check "etc/machine-id is <root>/etc/machine-id, mode 0444, no warning about it" \
	bash -c "[[ \$(cat '$W/y/etc/machine-id') == $MID && \$(stat -c %a '$W/y/etc/machine-id') == 444 ]] && ! grep -q machine-id '$W/mid.log'"
printf 'not-a-machine-id\n' >"$W/mid/etc/machine-id"
"$MK" --kernel-version 0.0.0-test --root "$W/mid" --no-host-devices --config "$W/good.conf" --agent "$STATIC" \
	-z none -o "$W/mid.img" 2>"$W/mid.log"
check "an invalid machine-id stays out of the image, with a warning naming the file" \
	bash -c "! cpio -it --quiet <'$W/mid.img' | grep -qx etc/machine-id && grep -q 'warning.*$W/mid/etc/machine-id is not 32' '$W/mid.log'"

# Real module trees, when the kernels are cached.
CACHE=${KCATCH_CACHE:-/root/.cache/kcatch}
for alias in 6.1 6.12; do
	kver=$(cat "$CACHE/kernels/$alias.kver" 2>/dev/null) || continue
	root=$CACHE/kernels/$kver/root
	[[ -d $root ]] && command -v depmod >/dev/null || continue
	"$MK" --kernel-version "$kver" --root "$root" --no-host-devices --config "$W/good.conf" --agent "$STATIC" \
		--add-modules virtio_pci,virtio_blk,xfs -z none -o "$W/$alias.img" 2>"$W/$alias.log"
	rm -rf "$W/m" && mkdir -p "$W/m" && (cd "$W/m" && cpio -id --quiet <"$W/$alias.img" 2>/dev/null)
	mapfile -t order < <(grep -v '^#' "$W/m/etc/kcatch.modules" | sed 's|.*/||; s|\.ko.*||')
	echo "# $alias: ${order[*]}"
	pos() { local i; for i in "${!order[@]}"; do [[ ${order[$i]} == "$1" ]] && echo "$i" && return; done; echo -1; }
	check "$alias: virtio_blk and xfs (with its dependency libcrc32c first) are in the image" \
		bash -c "(( $(pos virtio_blk) >= 0 && $(pos libcrc32c) >= 0 && $(pos libcrc32c) < $(pos xfs) ))"
	check "$alias: every manifest entry is a file in the image" \
		bash -c "cd '$W/m' && grep -v '^#' etc/kcatch.modules | cut -d' ' -f1 | xargs -r ls >/dev/null"
	if [[ $alias == 6.12 ]]; then
		check "6.12 (CONFIG_MODULE_DECOMPRESS, xz): modules stay .ko.xz for finit_module" \
			bash -c "grep -q '^lib/modules/xfs.ko.xz$' '$W/m/etc/kcatch.modules' && xz -t '$W/m/lib/modules/xfs.ko.xz'"
	else
		check "6.1: plain .ko modules" grep -q '^lib/modules/xfs.ko$' "$W/m/etc/kcatch.modules"
	fi
	check "$alias: the kernel's module directory was not written (depmod ran in a copy)" \
		bash -c "! ls '$root'/*lib/modules/'$kver'/modules.dep.bin 2>/dev/null"
done

tap_finish
