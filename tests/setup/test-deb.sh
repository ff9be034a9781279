#!/bin/bash
# The Debian package, as a user gets it: dpkg-buildpackage -b in a copy of
# the tree, then
#  1. its files, modes, conffile, dependencies, relations and maintainer
#     scripts (dpkg-deb -c / -I / -e), its debug symbols package;
#  2. lintian: no error and no warning (the overrides are in debian/);
#  3. the build dependencies: every library debian/control names is in
#     .ci/run's and tests/e2e/demo.sh's package lists;
#  4. apt-get install of the .deb into a fresh Debian 12 root
#     (tests/fresh/lib-fresh.sh, debootstrap cached outside the clone):
#     apt finds every dependency, the programs run there, the units are
#     enabled, kdump-tools would be removed, and purge leaves nothing.
#
#   test-deb.sh SRCDIR
# Needs root (chroot, mounts), dpkg-dev, debhelper, lintian, debootstrap
# and the network for apt in the fresh root (.ci/run installs the tools).
# KCATCH_DEB_KEEP=1 keeps the work directory.
set -euo pipefail
SRC=$(cd "$1" && pwd)
TESTS=$SRC/tests
. "$TESTS/e2e/lib-tap.sh"
FRESH_PROG=test-deb.sh
. "$TESTS/fresh/lib-fresh.sh"

[[ $(id -u) == 0 ]] || { echo "1..0 # SKIP needs root (dpkg-buildpackage runs debian/rules, chroot)"; exit 0; }
for c in dpkg-buildpackage dh lintian debootstrap chroot; do
	command -v "$c" >/dev/null || { echo "Bail out! $c not found: apt-get install dpkg-dev debhelper lintian debootstrap (as .ci/run does)"; exit 1; }
done

mkdir -p "$FRESH_WORK"
W=$(mktemp -d "$FRESH_WORK/test-deb.XXXXXX")
R=$W/root
cleanup() {
	fresh_cleanup "$R" || true
	if [[ ${KCATCH_DEB_KEEP:-0} == 1 ]]; then echo "# kept $W"; else rm -rf --one-file-system "$W"; fi
}
trap cleanup EXIT

# ---- build --------------------------------------------------------------
fresh_copy_tree "$SRC" "$W/src/kcatch"
version=$(cd "$W/src/kcatch" && dpkg-parsechangelog -S Version)
meson_version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$SRC/meson.build")
check "debian/changelog's version ($version) is meson.build's ($meson_version)" test "$version" = "$meson_version"
arch=$(dpkg --print-architecture)
t0=$SECONDS
if ! (cd "$W/src/kcatch" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc) >"$W/build.log" 2>&1; then
	echo "Bail out! dpkg-buildpackage -b -us -uc failed; its last lines:"
	tail -n 30 "$W/build.log" | sed 's/^/# /'
	exit 1
fi
DEB=$W/src/kcatch_${version}_$arch.deb
DBG=$W/src/kcatch-dbgsym_${version}_$arch.deb
check "dpkg-buildpackage -b made $(basename "$DEB") and $(basename "$DBG") ($((SECONDS - t0)) s)" \
	test -f "$DEB" -a -f "$DBG"
check "DEB_BUILD_OPTIONS=nocheck: no test ran during the build" \
	eval 'grep -q "override_dh_auto_test" "$W/build.log" && ! grep -q "^Ok: " "$W/build.log"'

# ---- 1. contents ----------------------------------------------------------
# "MODE PATH" for every file and link, "./" stripped
contents=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { p = $6; sub(/^\./, "", p); print $1, p }' | sort -k2)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
unitdir=${unitdir:-/usr/lib/systemd/system}
expected=$(sort -k2 <<EOF
-rw-r--r-- /etc/kcatch.conf
-rw-r--r-- $unitdir/kcatch-report.service
-rw-r--r-- $unitdir/kcatch.service
-rw-r--r-- /usr/lib/tmpfiles.d/kcatch.conf
-rwxr-xr-x /usr/lib/dracut/modules.d/99kcatch/kcatch-capture.sh
-rwxr-xr-x /usr/lib/dracut/modules.d/99kcatch/module-setup.sh
-rwxr-xr-x /usr/libexec/kcatch/kcatch-agent
-rwxr-xr-x /usr/sbin/kcatch
-rwxr-xr-x /usr/sbin/kcatch-filter
-rwxr-xr-x /usr/sbin/kcatch-mkinitramfs
-rw-r--r-- /usr/share/bash-completion/completions/kcatch
-rw-r--r-- /usr/share/bash-completion/completions/kcatch-filter
-rw-r--r-- /usr/share/bash-completion/completions/kcatch-mkinitramfs
-rw-r--r-- /usr/share/doc/kcatch/README.Debian.gz
-rw-r--r-- /usr/share/doc/kcatch/changelog.gz
-rw-r--r-- /usr/share/doc/kcatch/copyright
-rw-r--r-- /usr/share/doc/kcatch/kcatch.conf.example
-rwxr-xr-x /usr/share/initramfs-tools/hooks/kcatch
-rwxr-xr-x /usr/share/initramfs-tools/scripts/local-bottom/kcatch
-rw-r--r-- /usr/share/lintian/overrides/kcatch
-rw-r--r-- /usr/share/man/man5/kcatch.conf.5.gz
-rw-r--r-- /usr/share/man/man8/kcatch-agent.8.gz
-rw-r--r-- /usr/share/man/man8/kcatch-filter.8.gz
-rw-r--r-- /usr/share/man/man8/kcatch-mkinitramfs.8.gz
-rw-r--r-- /usr/share/man/man8/kcatch.8.gz
EOF
)
check "the package holds exactly the expected files, with their modes ($(wc -l <<<"$expected"))" \
	eval 'd=$(diff <(echo "$expected") <(echo "$contents")) || { echo "< expected, > in the package (a new file? add it here):"; echo "$d"; exit 1; }'

dpkg-deb -e "$DEB" "$W/control"
dpkg-deb -x "$DEB" "$W/x"
check "conffiles: /etc/kcatch.conf, and only it" test "$(cat "$W/control/conffiles")" = /etc/kcatch.conf
field() { dpkg-deb -f "$DEB" "$1"; }
depends=$(field Depends)
check "Depends, from shlibs: every shared library the programs link ($depends)" \
	eval 'for p in libc6 libblkid1 libmount1 libkmod2 libzstd1 liblzma5 zlib1g liblzo2-2; do
		[[ ", $depends," =~ ", $p "(\([^\)]*\))?"," ]] || { echo "no $p"; exit 1; }; done'
check "Depends: kmod (kcatch-mkinitramfs runs depmod)" eval '[[ ", $depends," == *", kmod,"* ]]'
check "Conflicts: kdump-tools (one crash kernel slot; debian/README.Debian says why)" \
	test "$(field Conflicts)" = kdump-tools
check "no Provides: kdump-tools (kdump-config and its config are not there)" test -z "$(field Provides)"
check "Built-Using names the libraries linked into the static agent ($(field Built-Using))" \
	eval 'b=$(field Built-Using); for s in glibc libzstd zlib util-linux lzo2; do [[ $b == *"$s (= "* ]] || { echo "no $s"; exit 1; }; done'
check "kcatch-agent is static (no program interpreter), the other programs are not" \
	eval '! readelf -lW "$W/x/usr/libexec/kcatch/kcatch-agent" | grep -q "Requesting program interpreter" &&
		readelf -lW "$W/x/usr/sbin/kcatch" | grep -q "Requesting program interpreter"'
check "postinst enables kcatch.service and kcatch-report.service, and starts them" \
	eval 'p=$W/control/postinst; grep -qF "deb-systemd-helper enable '"'kcatch.service'"'" "$p" &&
		grep -qF "deb-systemd-helper enable '"'kcatch-report.service'"'" "$p" &&
		grep -qF "deb-systemd-invoke \$_dh_action '"'kcatch-report.service' 'kcatch.service'"'" "$p"'
check "prerm stops kcatch.service on removal (which unloads the capture kernel)" \
	eval 'grep -q "deb-systemd-invoke stop .*'"'kcatch.service'"'" "$W/control/prerm"'
check "postrm removes /var/lib/kcatch and kcatch crashkernel's GRUB drop-in on purge" \
	eval 'grep -qx $'"'"'\t'"'"'"rm -rf /var/lib/kcatch" "$W/control/postrm" &&
		grep -qx $'"'"'\t\t'"'"'"rm -f /etc/default/grub.d/kcatch.cfg" "$W/control/postrm"'
check "no update-initramfs trigger: the hook adds kcatch only to capture images (KCATCH_INITRAMFS=y)" \
	eval '! grep -qs update-initramfs "$W/control/triggers"'
check "postinst makes /var/crash (systemd-tmpfiles, tmpfiles.d/kcatch.conf)" \
	grep -q 'systemd-tmpfiles.*kcatch.conf' "$W/control/postinst"
check "the units run the installed kcatch" \
	eval 'grep -qx "ExecStart=/usr/sbin/kcatch load" "$W/x$unitdir/kcatch.service" &&
		grep -qx "ExecStart=/usr/sbin/kcatch report --journal" "$W/x$unitdir/kcatch-report.service"'
check "kcatch.conf.example is not compressed (kcatch.conf(5) names it)" \
	grep -q '^dump_level' "$W/x/usr/share/doc/kcatch/kcatch.conf.example"
dbg=$(dpkg-deb -c "$DBG" | awk '{ print $6 }')
check "kcatch-dbgsym has the debug info of kcatch, kcatch-filter and kcatch-mkinitramfs (by build id)" \
	eval 'for b in kcatch kcatch-filter kcatch-mkinitramfs; do
		id=$(readelf -nW "$W/x/usr/sbin/$b" | sed -n "s/.*Build ID: \\([0-9a-f]*\\).*/\\1/p")
		[[ -n $id ]] && grep -qx "./usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" <<<"$dbg" || { echo "$b ($id)"; exit 1; }; done'

# ---- 2. lintian ------------------------------------------------------------
t0=$SECONDS
lint=$(lintian --pedantic -I "$W/src/kcatch_${version}_$arch.changes" 2>&1) || true
while IFS= read -r l; do [[ -n $l ]] && echo "#   lintian: $l"; done <<<"$lint"
check "lintian --pedantic ran on the .changes ($((SECONDS - t0)) s) and reports no error and no warning" \
	eval '! grep -q "^[EW]: " <<<"$lint" && ! grep -qi "^lintian: \|fatal\|internal error" <<<"$lint"'

# ---- 3. build dependencies in the package lists ----------------------------
libs=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$SRC/debian/control" | grep -o '\b\(lib[a-z0-9.+-]*\|zlib1g\)-dev\b' | sort -u)
ci=$(sed -n '/^pkgs=(/,/)/p' "$SRC/.ci/run")
demo=$(sed -n '/^PKGS=(/,/)/p' "$TESTS/e2e/demo.sh")
check "debian/control's libraries ($(echo $libs)) are all in .ci/run's pkgs and demo.sh's PKGS" \
	eval 'bad=$(for l in $libs; do
		grep -qw -- "$l" <<<"$ci" || echo ".ci/run lacks $l"
		grep -qw -- "$l" <<<"$demo" || echo "tests/e2e/demo.sh lacks $l"
	done); [[ -z $bad ]] || { echo "$bad"; exit 1; }'
# every Build-Depends group (debhelper-compat is debhelper's) has one
# alternative in .ci/run's list, and the tools of this test are there
groups=$(sed -n '/^Build-Depends:/,/^[A-Z][a-zA-Z-]*:/{/^Build-Depends:/s/^[^:]*://;/^[A-Z][a-zA-Z-]*:/d;p}' "$SRC/debian/control" |
	tr '\n' ' ' | sed -e 's/([^)]*)//g' -e 's/debhelper-compat/debhelper/g' | tr ',' '\n' | sed 's/^ *//; s/ *$//; /^$/d')
check ".ci/run installs every Build-Depends of debian/control and this test's tools" \
	eval 'bad=$(while IFS= read -r g; do
		found=0
		for p in ${g//|/ }; do grep -qw -- "$p" <<<"$ci" && found=1; done
		((found)) || echo ".ci/run lacks $g"
	done < <(echo "$groups"; printf "%s\n" dpkg-dev lintian debootstrap)); [[ -z $bad ]] || { echo "$bad"; exit 1; }'

# ---- 4. apt-get install into a fresh Debian 12 root -------------------------
t0=$SECONDS
fresh_root_tar
fresh_unpack "$R"
fresh_mount "$R"
cp "$DEB" "$R/tmp/"
in_root() { fresh_chroot "$R" "$@"; }
if ! in_root apt-get -q -o Acquire::Retries=3 update >"$W/apt.log" 2>&1; then
	echo "Bail out! apt-get update in the fresh root failed (network? $R/etc/apt/sources.list); last lines:"
	tail -n 15 "$W/apt.log" | sed 's/^/# /'
	exit 1
fi
check "apt-get install ./$(basename "$DEB") in a fresh $FRESH_SUITE root finds every dependency ($((SECONDS - t0)) s)" \
	in_root apt-get -q -y --no-install-recommends install "/tmp/$(basename "$DEB")"
check "dpkg: kcatch $version is installed" \
	test "$(in_root dpkg-query -W -f='${Status} ${Version}' kcatch)" = "install ok installed $version"
txt=$(in_root kcatch --help 2>&1) || true
check "kcatch --help runs there and lists its commands" \
	eval '[[ $txt == *"Commands:"* && $txt == *" load "* && $txt == *" report "* ]] || { echo "$txt"; exit 1; }'
check "kcatch --version says $version" test "$(in_root kcatch --version 2>&1)" = "kcatch $version"
txt=$(in_root kcatch-filter --help 2>&1) || true
check "kcatch-filter --help runs there" eval '[[ $txt == *"--dump-dmesg"* ]] || { echo "$txt"; exit 1; }'
txt=$(in_root kcatch-mkinitramfs --help 2>&1) || true
check "kcatch-mkinitramfs --help runs there, agent at /usr/libexec/kcatch/kcatch-agent" \
	eval '[[ $txt == *"/usr/libexec/kcatch/kcatch-agent"* ]] || { echo "$txt"; exit 1; }'
txt=$(in_root /usr/libexec/kcatch/kcatch-agent --check-config /etc/kcatch.conf 2>&1) || true
check "kcatch-agent --check-config /etc/kcatch.conf: the packaged config is valid" \
	eval '[[ $txt == *"path /var/crash"* ]] || { echo "$txt"; exit 1; }'
check "dpkg lists /etc/kcatch.conf as a conffile" \
	eval 'in_root dpkg-query -W -f="\${Conffiles}" kcatch | grep -q "^ /etc/kcatch.conf [0-9a-f]\{32\}$"'
wants=/etc/systemd/system/multi-user.target.wants
check "both units enabled ($wants links to $unitdir)" \
	eval 'for u in kcatch.service kcatch-report.service; do
		[[ $(readlink "$R$wants/$u") == "$unitdir/$u" ]] || { echo "$wants/$u: $(readlink "$R$wants/$u" || echo missing)"; exit 1; }; done'
txt=$(in_root apt-get -s install kdump-tools 2>&1) || true
check "apt-get install kdump-tools would remove kcatch (Conflicts)" \
	eval 'grep -q "^Remv kcatch " <<<"$txt" && grep -q "^Inst kdump-tools " <<<"$txt" || { echo "$txt" | tail; exit 1; }'
mkdir -p "$R/var/lib/kcatch" "$R/etc/default/grub.d" && touch "$R/var/lib/kcatch/initrd-test.img"
echo 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=256M"' >"$R/etc/default/grub.d/kcatch.cfg"
check "apt-get purge kcatch" in_root apt-get -q -y purge kcatch
check "after purge: no program, config, unit link, /var/lib/kcatch or GRUB drop-in left" \
	eval 'left=$(for f in /usr/sbin/kcatch /etc/kcatch.conf $wants/kcatch.service $wants/kcatch-report.service /var/lib/kcatch /etc/default/grub.d/kcatch.cfg; do
		if [[ -e $R$f || -L $R$f ]]; then echo "$f"; fi; done); [[ -z $left ]] || { echo "left: $left"; exit 1; }'
echo "# fresh root: $((SECONDS - t0)) s"

tap_finish
