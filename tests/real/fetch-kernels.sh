#!/bin/bash
# Download Debian cloud kernels and their debug vmlinux into the kcatch cache:
#   5.10 : newest bullseye linux-image-5.10.0-*-cloud-amd64-unsigned (+ -dbg),
#          from bullseye and bullseye-security (where the newest ABIs are)
#          through a private apt state under $KCATCH_CACHE/apt-bullseye
#   6.1  : bookworm linux-image-${KCATCH_K61_ABI}-unsigned (+ -dbg), host apt
#   6.12 : newest trixie linux-image-6.12.*-cloud-amd64-unsigned (+ -dbg),
#          through a private apt state under $KCATCH_CACHE/apt-trixie
#   sid  : sid's newest cloud kernel, exp: experimental's newest, both
#          through a private apt state under $KCATCH_CACHE/apt-sid. From 7.x
#          linux-image-KVER is empty: linux-binary-KVER (vmlinuz under
#          usr/lib/modules/KVER), linux-modules-KVER and linux-base-KVER
#          (config, System.map) are extracted into the same root
#   tools: crash and makedumpfile from trixie (newer than bookworm's crash
#          8.0.2, which cannot open 6.12 vmcores) with their trixie shared
#          libraries, run through trixie's own ld.so; never installed on the host
#   sidtools: sid's python3 with python3-drgn (the reader for 7.x, where
#          crash 9.0.2 cannot open a vmcore) and makedumpfile 1.7.8, the
#          same way (wrappers sid-python3, sid-makedumpfile)
# Layout: $KCATCH_CACHE/kernels/<kver>/root/...      (dpkg-deb -x of the image)
#         $KCATCH_CACHE/kernels/<kver>/vmlinux       (debug vmlinux, from -dbg)
#         $KCATCH_CACHE/kernels/<alias>.kver         (alias -> kernel release)
#         $KCATCH_CACHE/tools/bin/{crash,makedumpfile} (wrappers, trixie builds)
#         $KCATCH_CACHE/tools/bin/sid-{python3,makedumpfile} (wrappers, sid builds)
# An alias with no kernel in its suite (experimental between releases) is
# recorded as kernels/<alias>.absent with the reason, and is not an error.
# Usage: fetch-kernels.sh [--refresh] [5.10] [6.1] [6.12] [sid] [exp] [tools] [sidtools]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
usage: $0 [--refresh] [ALIAS...]
  ALIAS     5.10, 6.1, 6.12, sid, exp, tools and/or sidtools (default: these);
            6.1-arm64, 6.12-arm64, arm64tools, arm64guest (arm64, only when named)
  --refresh re-resolve the newest packages even when a kernel is cached
Cache: \$KCATCH_CACHE (now $KCATCH_CACHE)
EOF
}

REFRESH=0
ALIASES=()
while (($#)); do
	case $1 in
	--refresh) REFRESH=1 ;;
	-h | --help) usage; exit 0 ;;
	5.10 | 6.1 | 6.12 | sid | exp | tools | sidtools) ALIASES+=("$1") ;;
	6.1-arm64 | 6.12-arm64 | arm64tools | arm64guest) ALIASES+=("$1") ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
	shift
done
((${#ALIASES[@]})) || ALIASES=(5.10 6.1 6.12 sid exp tools sidtools)

need_cmd apt-get apt-cache dpkg-deb tar timeout
APT_TIMEOUT=${KCATCH_APT_TIMEOUT:-1800}
APT_OPTS=(-q -o APT::Sandbox::User=root -o Acquire::Retries=3 -o Acquire::http::Timeout=60)

mkdir -p "$KCATCH_CACHE/kernels" "$KCATCH_CACHE/tmp"

# --- apt front ends ---------------------------------------------------------

host_updated=0
apt_host() { timeout "$APT_TIMEOUT" apt-get "${APT_OPTS[@]}" "$@"; }
aptcache_host() { apt-cache "$@"; }

# Private apt states (host apt untouched): one per Debian release we take
# packages from that the host does not track.
TRIXIE_APT="$KCATCH_CACHE/apt-trixie"
BULLSEYE_APT="$KCATCH_CACHE/apt-bullseye"
SID_APT="$KCATCH_CACHE/apt-sid"
# private_opts DIR: apt options that confine apt to DIR
private_opts() {
	printf '%s\n' \
		-o "Dir::Etc::SourceList=$1/sources.list" \
		-o "Dir::Etc::SourceParts=/dev/null" \
		-o "Dir::State::Lists=$1/lists" \
		-o "Dir::Cache=$1/cache" \
		-o "Dir::Cache::archives=$1/cache/archives" \
		-o "APT::Architectures::=$(dpkg --print-architecture)" \
		-o "APT::Architectures::=arm64"
}
apt_private() {
	local dir=$1 o
	shift
	mapfile -t o < <(private_opts "$dir")
	timeout "$APT_TIMEOUT" apt-get "${APT_OPTS[@]}" "${o[@]}" "$@"
}
aptcache_private() {
	local dir=$1 o
	shift
	mapfile -t o < <(private_opts "$dir")
	apt-cache "${o[@]}" "$@"
}
apt_trixie() { apt_private "$TRIXIE_APT" "$@"; }
aptcache_trixie() { aptcache_private "$TRIXIE_APT" "$@"; }
apt_bullseye() { apt_private "$BULLSEYE_APT" "$@"; }
aptcache_bullseye() { aptcache_private "$BULLSEYE_APT" "$@"; }
apt_sid() { apt_private "$SID_APT" "$@"; }
aptcache_sid() { aptcache_private "$SID_APT" "$@"; }

# Debian security archive: $KCATCH_DEBIAN_SECURITY_MIRROR, else the first
# *-security URI of the host's apt sources; dies when there is none.
debian_security_mirror() {
	local uri=${KCATCH_DEBIAN_SECURITY_MIRROR:-}
	if [[ -z $uri ]]; then
		# "URIs:" lines of deb822 sources and "deb" lines, never comments
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
			grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]*debian-security/?' | head -n1 || true)
	fi
	[[ -n $uri ]] || die "no Debian security archive URI (one ending in debian-security) in the host's apt sources:" \
		"set KCATCH_DEBIAN_SECURITY_MIRROR to one"
	printf '%s\n' "$uri"
}

# private_update DIR SOURCES-LINE...: write DIR/sources.list and update
private_update() {
	local dir=$1
	shift
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	printf '%s\n' "$@" >"$dir/sources.list"
	log "updating private apt lists in $dir ($(awk '{ print $3 }' "$dir/sources.list" | tr '\n' ' '))"
	apt_private "$dir" update >"$dir/update.log" 2>&1 ||
		{ tail -20 "$dir/update.log" >&2; die "private apt-get update in $dir failed"; }
}
# private_lists_missing DIR [ARCH]: true when DIR has never been updated
# (or, with ARCH, has no package list for ARCH: states made before arm64)
private_lists_missing() {
	[[ ! -d $1/lists ]] || [[ -z $(find "$1/lists" -maxdepth 1 -name "*binary-${2:-*}_Packages*" -print -quit 2>/dev/null) ]]
}
# deb_line URI SUITE: one sources.list line for Debian's main component
deb_line() { printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$1" "$2"; }
trixie_update() {
	local m
	m=$(debian_mirror) || exit 1
	private_update "$TRIXIE_APT" "$(deb_line "$m" "$KCATCH_TRIXIE_SUITE")"
}
# bullseye's newest 5.10 ABIs are only in bullseye-security (LTS)
bullseye_update() {
	local m s
	m=$(debian_mirror) || exit 1
	s=$(debian_security_mirror) || exit 1
	private_update "$BULLSEYE_APT" "$(deb_line "$m" bullseye)" "$(deb_line "$s" bullseye-security)"
}
# sid and experimental in one state: experimental's packages have pin
# priority 1, so apt never picks them unless asked for a version
sid_update() {
	local m
	m=$(debian_mirror) || exit 1
	private_update "$SID_APT" "$(deb_line "$m" sid)" "$(deb_line "$m" experimental)"
}
# sid_lists_current: the sid lists exist and were refreshed this run if asked
sid_updated=0
sid_lists_current() {
	if ((sid_updated == 0)) && { private_lists_missing "$SID_APT" || ((REFRESH)); }; then
		sid_update
		sid_updated=1
	fi
}

# Is package $2 known to apt front end $1 (host|trixie)?
pkg_known() { "aptcache_$1" show --no-all-versions "$2" >/dev/null 2>&1; }

# Candidates newest first (or $KCATCH_K510_ABI alone). The security
# archive's index can name ABIs its pool (or a proxy in front of it) does
# not serve yet, so the caller takes the first one that downloads.
resolve_510() {
	if private_lists_missing "$BULLSEYE_APT" || ((REFRESH)); then
		bullseye_update
	fi
	if [[ -n ${KCATCH_K510_ABI:-} ]]; then
		printf 'linux-image-%s-unsigned\n' "$KCATCH_K510_ABI"
		return
	fi
	local all
	all=$(aptcache_bullseye pkgnames linux-image-5.10.0- 2>/dev/null |
		grep -E '^linux-image-5\.10\.0-[0-9]+-cloud-amd64-unsigned$' | sort -rV | head -n 6 || true)
	[[ -n $all ]] || die "no linux-image-5.10.0-*-cloud-amd64-unsigned in bullseye or bullseye-security"
	printf '%s\n' "$all"
}

fetch_510() {
	local pkg kver
	for pkg in $(resolve_510); do
		kver=${pkg#linux-image-}
		kver=${kver%-unsigned}
		# a subshell, so that a failed download (die) moves on to the next ABI
		if (fetch_kernel bullseye 5.10 "$pkg"); then
			return 0
		fi
		[[ -f $(kernel_dir "$kver")/.complete ]] || rm -rf "$(kernel_dir "$kver")"
		warn "5.10: $pkg did not download; trying an older ABI"
	done
	die "no bullseye 5.10 cloud kernel could be downloaded (set KCATCH_K510_ABI to choose one)"
}

# resolve_61 [ARCH]: the bookworm 6.1 cloud package (amd64, or arm64 from
# the host's apt with arm64 as a foreign architecture)
resolve_61() {
	local arch=${1:-amd64}
	local abi=${KCATCH_K61_ABI%-amd64}-$arch
	local pkg="linux-image-${abi}-unsigned" as=''
	[[ $arch == amd64 ]] || as=:$arch
	if ! pkg_known host "$pkg$as" && ((host_updated == 0)) && [[ $(id -u) == 0 ]]; then
		log "$pkg$as unknown to apt: running apt-get update"
		apt_host update >/dev/null || die "apt-get update failed"
		host_updated=1
	fi
	if ! pkg_known host "$pkg$as"; then
		# The archive drops old ABIs after point releases: take the newest one.
		local newest
		newest=$(aptcache_host pkgnames linux-image-6.1.0- 2>/dev/null |
			grep -E "^linux-image-6\.1\.0-[0-9]+-cloud-$arch-unsigned\$" | sort -V | tail -1 || true)
		[[ -n $newest ]] || {
			[[ $arch == amd64 ]] || die "no bookworm 6.1 cloud-$arch kernel in apt: the host needs" \
				"'dpkg --add-architecture $arch && apt-get update' (the cross build needs it too)"
			die "no bookworm 6.1 cloud kernel package found in apt"
		}
		warn "$pkg is not in the archive any more; using $newest (set KCATCH_K61_ABI to choose)"
		pkg=$newest
	fi
	printf '%s\n' "$pkg"
}

# resolve_612 [ARCH]: trixie's newest 6.12 cloud package for ARCH (amd64)
resolve_612() {
	local arch=${1:-amd64}
	if private_lists_missing "$TRIXIE_APT" "$arch" || ((REFRESH)); then
		trixie_update
	fi
	local newest
	newest=$(aptcache_trixie pkgnames linux-image-6.12. 2>/dev/null |
		grep -E "^linux-image-6\.12\.[0-9]+.*-cloud-$arch-unsigned\$" | sort -V | tail -1 || true)
	[[ -n $newest ]] || die "no linux-image-6.12.*-cloud-$arch-unsigned in $KCATCH_TRIXIE_SUITE"
	printf '%s\n' "$newest"
}

# --- download and extract -----------------------------------------------------

# PKG_ARCH: ":arm64" while an arm64 kernel is fetched (apt names foreign
# packages so; the .deb file names carry no such suffix), else empty
PKG_ARCH=''

# fetch_kernel FRONT ALIAS PKG: a linux-image-KVER-unsigned package that
# holds the whole kernel (up to 6.x; FRONT: host, trixie or bullseye)
fetch_kernel() {
	local front=$1 alias=$2 pkg=$3 kver ver
	kver=${pkg#linux-image-}
	kver=${kver%-unsigned}
	ver=$("aptcache_$front" show --no-all-versions "$pkg$PKG_ARCH" | awk '/^Version:/ { print $2; exit }')
	[[ -n $ver ]] || die "$pkg not found in apt"
	install_kernel "$front" "$alias" "$kver" "$ver" "$pkg"
}

# install_kernel FRONT ALIAS KVER VERSION PKG...: extract PKG... (each at
# VERSION) into kernels/KVER/root, keep the vmlinux of linux-image-KVER-dbg
# and point ALIAS at KVER
install_kernel() {
	local front=$1 alias=$2 kver=$3 ver=$4
	shift 4
	local pkgs=("$@") dbgpkg="linux-image-${kver}-dbg"
	local kdir tmp p vmlinux
	kdir=$(kernel_dir "$kver")
	tmp="$KCATCH_CACHE/tmp/$kver"

	if [[ -f $kdir/.complete ]]; then
		log "$alias: $kver already cached"
	else
		log "$alias: fetching ${pkgs[*]} ($ver) and the vmlinux of $dbgpkg"
		for p in "${pkgs[@]}" "$dbgpkg"; do
			pkg_known "$front" "$p$PKG_ARCH" || die "$p$PKG_ARCH not found in apt"
		done
		mkdir -p "$kdir" "$tmp"
		if [[ ! -f $kdir/.image-done ]]; then
			rm -rf "$kdir/root"
			(cd "$tmp" && rm -f ./*.deb && "apt_$front" download "${pkgs[@]/%/$PKG_ARCH=$ver}") ||
				die "download of ${pkgs[*]} ($ver) failed"
			for p in "${pkgs[@]}"; do
				dpkg-deb -x "$tmp/${p}_"*.deb "$kdir/root"
				rm -f "$tmp/${p}_"*.deb
			done
			kernel_vmlinuz "$kver" >/dev/null
			kernel_moddir "$kver" >/dev/null
			touch "$kdir/.image-done"
		fi
		if [[ ! -f $kdir/.dbg-done ]]; then
			# the 7.x packages keep it under lib/modules (boot/ has a symlink)
			vmlinux=usr/lib/debug/boot/vmlinux-$kver
			[[ -f $kdir/root/usr/lib/modules/$kver/vmlinuz ]] && vmlinux=usr/lib/debug/lib/modules/$kver/vmlinux
			rm -rf "$kdir/dbg"
			(cd "$tmp" && rm -f ./*.deb && "apt_$front" download "$dbgpkg$PKG_ARCH=$ver") ||
				die "download of $dbgpkg ($ver) failed"
			mkdir -p "$kdir/dbg"
			dpkg-deb --fsys-tarfile "$tmp/${dbgpkg}_"*.deb | tar -x -C "$kdir/dbg" "./$vmlinux" ||
				die "$dbgpkg has no $vmlinux"
			rm -f "$tmp/${dbgpkg}_"*.deb
			[[ -f $kdir/dbg/$vmlinux ]] || die "$dbgpkg has no $vmlinux"
			ln -sfn "dbg/$vmlinux" "$kdir/vmlinux"
			touch "$kdir/.dbg-done"
		fi
		rmdir "$tmp" 2>/dev/null || true
		printf 'package=%s\nversion=%s\ndbg=%s\n' "${pkgs[0]}" "$ver" "$dbgpkg" >"$kdir/.complete"
	fi
	rm -f "$KCATCH_CACHE/kernels/$alias.absent"
	local old=''
	[[ -s $KCATCH_CACHE/kernels/$alias.kver ]] && old=$(cat "$KCATCH_CACHE/kernels/$alias.kver")
	printf '%s\n' "$kver" >"$KCATCH_CACHE/kernels/$alias.kver"
	[[ -n $old && $old != "$kver" ]] && prune_kernel "$old"
	return 0
}

# prune_kernel KVER: sid and exp move on; drop a release no alias names any
# more (about 1 GB of kernel and debug info, 0.8 GB per vmcore)
prune_kernel() {
	local kver=$1
	if grep -qxF -- "$kver" "$KCATCH_CACHE"/kernels/*.kver 2>/dev/null; then
		return 0
	fi
	log "$kver: no alias names it any more; removing its kernel and vmcores from the cache"
	rm -rf "$(kernel_dir "$kver")" "$KCATCH_CACHE/vmcores/$kver-"l[45]-*
}

# --- sid and experimental (7.x, split packages) -----------------------------------

# suite_newest SUITE: "PACKAGE VERSION" of the newest linux-binary-*-cloud-amd64
# that SUITE (sid or experimental) has, nothing when it has none
suite_newest() {
	local suite=$1 p
	sid_lists_current
	for p in $(aptcache_sid pkgnames linux-binary- | grep -E '^linux-binary-[0-9][^ ]*-cloud-amd64$' || true); do
		# madison: "PACKAGE | VERSION | URI SUITE/COMPONENT ARCH Packages"
		aptcache_sid madison "$p" | awk -F'[|]' -v p="$p" -v s="$suite" \
			'{ gsub(/ /, "", $2); split($3, a, " "); if (a[2] ~ "^" s "/") print p, $2 }'
	done | sort -k2,2V | tail -n1
}

# fetch_suite ALIAS SUITE: the newest cloud kernel of SUITE, from the split
# 7.x packages; an experimental without one is recorded, not an error
fetch_suite() {
	local alias=$1 suite=$2 newest pkg ver kver
	newest=$(suite_newest "$suite")
	if [[ -z $newest ]]; then
		[[ $alias == exp ]] || die "no linux-binary-*-cloud-amd64 in $suite: is $SID_APT/sources.list right?"
		warn "$alias: $suite has no linux-binary-*-cloud-amd64 now; the $alias tests will skip"
		echo "experimental had no linux-binary-*-cloud-amd64 package on $(date -u +%F)" >"$KCATCH_CACHE/kernels/$alias.absent"
		rm -f "$KCATCH_CACHE/kernels/$alias.kver"
		return
	fi
	read -r pkg ver <<<"$newest"
	kver=${pkg#linux-binary-}
	install_kernel sid "$alias" "$kver" "$ver" "linux-binary-$kver" "linux-modules-$kver" "linux-base-$kver"
}

# --- tools: trixie's crash + makedumpfile, sid's drgn + makedumpfile -------------

TOOLS_DIR="$KCATCH_CACHE/tools"
TOOLS_PKGS=(crash makedumpfile libc6 libgcc-s1 libstdc++6 liblzo2-2 libncursesw6 libtinfo6
	libsnappy1v5 libzstd1 libdw1t64 libelf1t64 zlib1g liblzma5 libbz2-1.0)
# python3.X-minimal, libpython3.X-minimal and libpython3.X-stdlib are added
# for the X that python3-drgn depends on
SIDTOOLS_PKGS=(python3-drgn makedumpfile libc6 libgcc-s1 libstdc++6 libdw1t64 libelf1t64
	libgomp1 libkdumpfile12 libaddrxlat3 liblzma5 libpcre2-8-0 libexpat1 zlib1g libssl3t64
	libbz2-1.0 libffi8 libzstd1 liblzo2-2 libsnappy1v5)

# unpack_tools NAME FRONT PKG...: download PKG... through apt front FRONT and
# extract them into $TOOLS_DIR/NAME/root (never installed on the host)
unpack_tools() {
	local name=$1 front=$2 tmp="$KCATCH_CACHE/tmp/tools-$1" deb
	shift 2
	log "$name: fetching $*"
	rm -rf "$tmp" "${TOOLS_DIR:?}/$name"
	mkdir -p "$tmp" "$TOOLS_DIR/$name/root" "$TOOLS_DIR/bin"
	(cd "$tmp" && "apt_$front" download "$@") || die "download of the $name tools failed"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$TOOLS_DIR/$name/root"; done
	rm -rf "$tmp"
	[[ -x $TOOLS_DIR/$name/root/usr/lib64/ld-linux-x86-64.so.2 ]] ||
		die "$name: libc6 has no usr/lib64/ld-linux-x86-64.so.2"
}

# tool_wrapper NAME WRAPPER BINARY [ENV-ARG...]: write $TOOLS_DIR/bin/WRAPPER,
# which runs NAME's BINARY (a path inside its root) through NAME's own ld.so
# and libraries, so the host's glibc is never mixed in
tool_wrapper() {
	local name=$1 wrapper=$2 bin=$3 root="$TOOLS_DIR/$1/root"
	shift 3
	local ldso="$root/usr/lib64/ld-linux-x86-64.so.2" libs="$root/usr/lib/x86_64-linux-gnu" envs=''
	(($#)) && envs="env $(printf '%q ' "$@")"
	[[ -x $root$bin ]] || die "$name: no $bin in the packages extracted to $root"
	if "$ldso" --library-path "$libs" --list "$root$bin" | grep -q 'not found'; then
		"$ldso" --library-path "$libs" --list "$root$bin" >&2
		die "$name: $bin misses shared libraries (update the package list in fetch-kernels.sh)"
	fi
	cat >"$TOOLS_DIR/bin/$wrapper" <<-EOF
		#!/bin/sh
		# ${bin##*/} from Debian $name with its own glibc (written by fetch-kernels.sh)
		exec $envs"$ldso" --library-path "$libs" --argv0 ${bin##*/} "$root$bin" "\$@"
	EOF
	chmod 755 "$TOOLS_DIR/bin/$wrapper"
}

fetch_tools() {
	if ((REFRESH == 0)) && [[ -f $TOOLS_DIR/trixie/.complete ]]; then
		log "tools: already cached ($(tr '\n' ' ' <"$TOOLS_DIR/trixie/.complete"))"
		return
	fi
	if private_lists_missing "$TRIXIE_APT"; then
		trixie_update
	fi
	unpack_tools trixie trixie "${TOOLS_PKGS[@]}"
	tool_wrapper trixie crash /usr/bin/crash
	tool_wrapper trixie makedumpfile /usr/bin/makedumpfile
	{
		echo "crash=$("$TOOLS_DIR/bin/crash" --version | awk 'NF { print $2; exit }')"
		echo "makedumpfile=$("$TOOLS_DIR/bin/makedumpfile" -v 2>&1 | awk '{ print $3; exit }')"
	} >"$TOOLS_DIR/trixie/.complete"
}

# sid's drgn (the reader for 7.x: crash 9.0.2 cannot open those vmcores) and
# makedumpfile 1.7.8 (page counts only; it is wrong on 7.x)
fetch_sidtools() {
	if ((REFRESH == 0)) && [[ -f $TOOLS_DIR/sid/.complete ]]; then
		log "sidtools: already cached ($(tr '\n' ' ' <"$TOOLS_DIR/sid/.complete"))"
		return
	fi
	sid_lists_current
	local py root="$TOOLS_DIR/sid/root"
	py=$(aptcache_sid show --no-all-versions python3-drgn | sed -n 's/^Depends:.*python3 (>= \(3\.[0-9]*\)~).*/\1/p')
	[[ -n $py ]] || die "sidtools: cannot tell which python3.X sid's python3-drgn is built for"
	unpack_tools sid sid "${SIDTOOLS_PKGS[@]}" "python$py-minimal" "libpython$py-minimal" "libpython$py-stdlib"
	# Debian's site.py adds $PYTHONHOME/lib/python3/dist-packages, where drgn is
	tool_wrapper sid sid-python3 "/usr/bin/python$py" -u PYTHONPATH -u PYTHONSTARTUP \
		PYTHONHOME="$root/usr" PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1
	tool_wrapper sid sid-makedumpfile /usr/bin/makedumpfile
	local drgn_so
	drgn_so=$(find "$root/usr/lib/python3/dist-packages" -name '_drgn*.so' -print -quit)
	[[ -n $drgn_so ]] || die "sidtools: python3-drgn has no _drgn*.so"
	if "$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" --list "$drgn_so" |
		grep 'not found' >&2; then
		die "sidtools: $drgn_so misses shared libraries (update SIDTOOLS_PKGS)"
	fi
	local drgn_ver mdf_ver
	drgn_ver=$("$TOOLS_DIR/bin/sid-python3" -c 'import sys, drgn; print(drgn.__version__, "python", sys.version.split()[0])') ||
		die "sidtools: sid's python3 cannot import drgn (run $TOOLS_DIR/bin/sid-python3 -c 'import drgn' to see why)"
	mdf_ver=$("$TOOLS_DIR/bin/sid-makedumpfile" -v 2>&1 | awk '/^makedumpfile: version/ { print $3; exit }')
	[[ -n $mdf_ver ]] || die "sidtools: $TOOLS_DIR/bin/sid-makedumpfile -v does not run"
	printf 'drgn=%s\nmakedumpfile=%s\n' "$drgn_ver" "$mdf_ver" >"$TOOLS_DIR/sid/.complete"
}

# --- arm64: crash and makedumpfile under qemu-user, a static kexec -------------

# Debian's crash and makedumpfile read only dumps of their own architecture:
# arm64 dumps are read by the :arm64 builds, run through qemu-aarch64-static
# and their own ld.so and libraries (never installed on the host).
# trixie: crash 8.0.6 + makedumpfile 1.7.6; sid: makedumpfile 1.7.8 (the
# newest, the first that knows 6.12's page types)
ARM64_TOOLS_PKGS=(crash makedumpfile libc6 libgcc-s1 libstdc++6 liblzo2-2 libncursesw6 libtinfo6
	libsnappy1v5 libzstd1 libdw1t64 libelf1t64 zlib1g liblzma5 libbz2-1.0)
ARM64_SIDTOOLS_PKGS=(makedumpfile libc6 libgcc-s1 libstdc++6 libdw1t64 libelf1t64 zlib1g liblzma5
	libbz2-1.0 libzstd1 liblzo2-2 libsnappy1v5)

# arm64_unpack NAME FRONT PKG...: PKG...:arm64 extracted into $TOOLS_DIR/NAME/root
arm64_unpack() {
	local name=$1 front=$2 tmp="$KCATCH_CACHE/tmp/tools-$1" deb
	shift 2
	log "$name: fetching ${*/%/:arm64}"
	rm -rf "$tmp" "${TOOLS_DIR:?}/$name"
	mkdir -p "$tmp" "$TOOLS_DIR/$name/root" "$TOOLS_DIR/bin"
	(cd "$tmp" && "apt_$front" download "${@/%/:arm64}") || die "download of the $name tools failed"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$TOOLS_DIR/$name/root"; done
	rm -rf "$tmp"
}

# arm64_wrapper NAME WRAPPER BINARY: $TOOLS_DIR/bin/WRAPPER runs NAME's arm64
# BINARY through qemu-aarch64-static and NAME's own ld.so and libraries
arm64_wrapper() {
	local name=$1 wrapper=$2 bin=$3 root="$TOOLS_DIR/$1/root" ldso libs="$TOOLS_DIR/$1/root/usr/lib/aarch64-linux-gnu"
	ldso=$(find "$root/usr/lib" "$root/lib" -maxdepth 2 -name ld-linux-aarch64.so.1 -type f -print -quit 2>/dev/null || true)
	[[ -n $ldso ]] || die "$name: libc6:arm64 has no ld-linux-aarch64.so.1 under $root/usr/lib or $root/lib"
	[[ -x $root$bin ]] || die "$name: no $bin in the packages extracted to $root"
	if qemu-aarch64-static "$ldso" --library-path "$libs" --list "$root$bin" | grep -q 'not found'; then
		qemu-aarch64-static "$ldso" --library-path "$libs" --list "$root$bin" >&2
		die "$name: $bin misses shared libraries (update the arm64 package lists in fetch-kernels.sh)"
	fi
	cat >"$TOOLS_DIR/bin/$wrapper" <<-EOF
		#!/bin/sh
		# arm64 ${bin##*/} from Debian $name under qemu-user (written by fetch-kernels.sh)
		exec qemu-aarch64-static "$ldso" --library-path "$libs" --argv0 ${bin##*/} "$root$bin" "\$@"
	EOF
	chmod 755 "$TOOLS_DIR/bin/$wrapper"
}

fetch_arm64tools() {
	if ((REFRESH == 0)) && [[ -f $TOOLS_DIR/arm64-sid/.complete && -f $TOOLS_DIR/arm64-trixie/.complete ]]; then
		log "arm64tools: already cached ($(cat "$TOOLS_DIR/arm64-trixie/.complete" "$TOOLS_DIR/arm64-sid/.complete" | tr '\n' ' '))"
		return
	fi
	need_cmd qemu-aarch64-static
	if private_lists_missing "$TRIXIE_APT" arm64; then
		trixie_update
	fi
	if private_lists_missing "$SID_APT" arm64; then
		sid_update
		sid_updated=1
	fi
	sid_lists_current
	arm64_unpack arm64-trixie trixie "${ARM64_TOOLS_PKGS[@]}"
	arm64_wrapper arm64-trixie arm64-crash /usr/bin/crash
	arm64_wrapper arm64-trixie arm64-makedumpfile /usr/bin/makedumpfile
	{
		echo "crash=$("$TOOLS_DIR/bin/arm64-crash" --version | awk 'NF { print $2; exit }')"
		echo "makedumpfile=$("$TOOLS_DIR/bin/arm64-makedumpfile" -v 2>&1 | awk '/^makedumpfile: version/ { print $3; exit }')"
	} >"$TOOLS_DIR/arm64-trixie/.complete"
	arm64_unpack arm64-sid sid "${ARM64_SIDTOOLS_PKGS[@]}"
	arm64_wrapper arm64-sid arm64-sid-makedumpfile /usr/bin/makedumpfile
	echo "makedumpfile=$("$TOOLS_DIR/bin/arm64-sid-makedumpfile" -v 2>&1 | awk '/^makedumpfile: version/ { print $3; exit }')" \
		>"$TOOLS_DIR/arm64-sid/.complete"
	grep -q '^makedumpfile=1' "$TOOLS_DIR/arm64-sid/.complete" || die "arm64tools: $TOOLS_DIR/bin/arm64-sid-makedumpfile -v does not run"
}

# A static arm64 kexec, cross-built from trixie's kexec-tools source: the
# cloud-arm64 kernels have no CONFIG_KEXEC_FILE, so the capture kernel is
# loaded with kexec_load, which kexec(8) does in user space; trixie's
# kexec-tools:arm64 package pulls in the Xen libraries. A private deb-src
# state (apt-trixie-src) fetches the signed source package.
TRIXIE_SRC_APT="$KCATCH_CACHE/apt-trixie-src"
fetch_arm64guest() {
	local out="$TOOLS_DIR/arm64-guest" tmp="$KCATCH_CACHE/tmp/arm64guest" m src
	if ((REFRESH == 0)) && [[ -f $out/.complete && -x $out/kexec && -x $out/busybox ]]; then
		log "arm64guest: already cached ($(cat "$out/.complete"))"
		return
	fi
	need_cmd aarch64-linux-gnu-gcc dpkg-source make
	if private_lists_missing "$TRIXIE_SRC_APT" || [[ ! -f $TRIXIE_SRC_APT/lists/.sources ]] || ((REFRESH)); then
		m=$(debian_mirror) || exit 1
		private_update "$TRIXIE_SRC_APT" \
			"deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $KCATCH_TRIXIE_SUITE main"
		touch "$TRIXIE_SRC_APT/lists/.sources"
	fi
	rm -rf "$tmp"
	mkdir -p "$tmp" "$out"
	log "arm64guest: fetching trixie's kexec-tools source"
	(cd "$tmp" && apt_private "$TRIXIE_SRC_APT" source --download-only kexec-tools) >"$tmp/source.log" 2>&1 ||
		{ tail -20 "$tmp/source.log" >&2; die "apt-get source kexec-tools (trixie) failed"; }
	(cd "$tmp" && dpkg-source -x ./kexec-tools_*.dsc src) >"$tmp/unpack.log" 2>&1 ||
		{ tail -20 "$tmp/unpack.log" >&2; die "dpkg-source -x of kexec-tools failed"; }
	src=$tmp/src
	log "arm64guest: building a static kexec with aarch64-linux-gnu-gcc"
	(
		cd "$src"
		[[ -x configure ]] || ./bootstrap
		./configure --host=aarch64-linux-gnu --without-xen --without-lzma --without-zlib --without-booke \
			LDFLAGS=-static CFLAGS=-O2
		make -j2 build/sbin/kexec
	) >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log" >&2; die "kexec-tools cross build failed (log $tmp/build.log)"; }
	file -L "$src/build/sbin/kexec" | grep -q 'ARM aarch64.*statically linked' ||
		die "arm64guest: $src/build/sbin/kexec is not a static arm64 binary: $(file -L "$src/build/sbin/kexec")"
	install -m 755 "$src/build/sbin/kexec" "$out/kexec"
	aarch64-linux-gnu-strip "$out/kexec"
	local kexec_ver bb
	kexec_ver=$(cd "$tmp" && ls kexec-tools_*.dsc | sed 's/^kexec-tools_//; s/\.dsc$//')
	rm -rf "$tmp"
	# the guests' shell and tools: trixie's static busybox for arm64
	if private_lists_missing "$TRIXIE_APT" arm64; then
		trixie_update
	fi
	mkdir -p "$tmp"
	(cd "$tmp" && apt_trixie download busybox-static:arm64) >"$tmp/bb.log" 2>&1 ||
		{ tail -5 "$tmp/bb.log" >&2; die "download of busybox-static:arm64 (trixie) failed"; }
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/root"
	bb=$(find "$tmp/root" -path "*bin/busybox" -type f -print -quit)
	[[ -n $bb ]] && file -L "$bb" | grep -q 'ARM aarch64.*statically linked' ||
		die "arm64guest: busybox-static:arm64 has no static arm64 busybox"
	install -m 755 "$bb" "$out/busybox"
	printf 'kexec-tools=%s\nbusybox-static=%s\n' "$kexec_ver" "$(dpkg-deb -f "$tmp"/busybox-static_*.deb Version)" >"$out/.complete"
	rm -rf "$tmp"
}

report() {
	local alias=$1 kver kdir
	case $alias in
	tools)
		printf '%-5s %s (%s)\n' tools "$TOOLS_DIR/bin/crash $TOOLS_DIR/bin/makedumpfile" \
			"$(tr '\n' ' ' <"$TOOLS_DIR/trixie/.complete" | sed 's/ $//')"
		return ;;
	arm64tools)
		printf '%-5s %s (%s)\n' arm64tools "$TOOLS_DIR/bin/arm64-crash $TOOLS_DIR/bin/arm64-makedumpfile $TOOLS_DIR/bin/arm64-sid-makedumpfile" \
			"$(cat "$TOOLS_DIR/arm64-trixie/.complete" "$TOOLS_DIR/arm64-sid/.complete" | tr '\n' ' ' | sed 's/ $//')"
		return ;;
	arm64guest)
		printf '%-5s %s (%s)\n' arm64guest "$TOOLS_DIR/arm64-guest/kexec $TOOLS_DIR/arm64-guest/busybox" "$(tr '\n' ' ' <"$TOOLS_DIR/arm64-guest/.complete" | sed 's/ $//')"
		return ;;
	sidtools)
		printf '%-5s %s (%s)\n' sidtools "$TOOLS_DIR/bin/sid-python3 $TOOLS_DIR/bin/sid-makedumpfile" \
			"$(tr '\n' ' ' <"$TOOLS_DIR/sid/.complete" | sed 's/ $//')"
		return ;;
	esac
	if [[ -f $KCATCH_CACHE/kernels/$alias.absent ]]; then
		printf '%-5s absent: %s\n' "$alias" "$(cat "$KCATCH_CACHE/kernels/$alias.absent")"
		return
	fi
	kver=$(kernel_kver "$alias")
	kdir=$(kernel_dir "$kver")
	printf '%-5s %-28s %-16s vmlinuz=%s vmlinux=%s (%s)\n' "$alias" "$kver" \
		"$(sed -n 's/^version=//p' "$kdir/.complete")" \
		"$(kernel_vmlinuz "$kver")" "$(readlink -f "$kdir/vmlinux")" \
		"$(du -h "$(readlink -f "$kdir/vmlinux")" | cut -f1)"
}

for alias in "${ALIASES[@]}"; do
	case $alias in
	tools) fetch_tools; continue ;;
	sidtools) fetch_sidtools; continue ;;
	arm64tools) fetch_arm64tools; continue ;;
	arm64guest) fetch_arm64guest; continue ;;
	esac
	f="$KCATCH_CACHE/kernels/$alias.kver"
	if ((REFRESH == 0)) && [[ -s $f ]] && [[ -f $(kernel_dir "$(cat "$f")")/.complete ]]; then
		log "$alias: $(cat "$f") already cached (use --refresh to look for a newer one)"
		continue
	fi
	if ((REFRESH == 0)) && [[ -f $KCATCH_CACHE/kernels/$alias.absent ]]; then
		log "$alias: $(cat "$KCATCH_CACHE/kernels/$alias.absent") (use --refresh to look again)"
		continue
	fi
	case $alias in
	5.10) fetch_510 ;;
	6.1) pkg=$(resolve_61); fetch_kernel host 6.1 "$pkg" ;;
	6.12) pkg=$(resolve_612); fetch_kernel trixie 6.12 "$pkg" ;;
	6.1-arm64) pkg=$(resolve_61 arm64); PKG_ARCH=:arm64 fetch_kernel host 6.1-arm64 "$pkg" ;;
	6.12-arm64) pkg=$(resolve_612 arm64); PKG_ARCH=:arm64 fetch_kernel trixie 6.12-arm64 "$pkg" ;;
	sid) fetch_suite sid sid ;;
	exp) fetch_suite exp experimental ;;
	esac
done

echo "Resolved kernels (cache $KCATCH_CACHE):"
for alias in "${ALIASES[@]}"; do report "$alias"; done
