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
  ALIAS     5.10, 6.1, 6.12, sid, exp, tools and/or sidtools (default: all)
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
		-o "Dir::Cache::archives=$1/cache/archives"
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
# private_lists_missing DIR: true when DIR has never been updated
private_lists_missing() {
	[[ ! -d $1/lists ]] || [[ -z $(find "$1/lists" -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null) ]]
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

resolve_61() {
	local pkg="linux-image-${KCATCH_K61_ABI}-unsigned"
	if ! pkg_known host "$pkg" && ((host_updated == 0)) && [[ $(id -u) == 0 ]]; then
		log "$pkg unknown to apt: running apt-get update"
		apt_host update >/dev/null || die "apt-get update failed"
		host_updated=1
	fi
	if ! pkg_known host "$pkg"; then
		# The archive drops old ABIs after point releases: take the newest one.
		local newest
		newest=$(aptcache_host pkgnames linux-image-6.1.0- 2>/dev/null |
			grep -E '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' | sort -V | tail -1 || true)
		[[ -n $newest ]] || die "no bookworm 6.1 cloud kernel package found in apt"
		warn "$pkg is not in the archive any more; using $newest (set KCATCH_K61_ABI to choose)"
		pkg=$newest
	fi
	printf '%s\n' "$pkg"
}

resolve_612() {
	if private_lists_missing "$TRIXIE_APT" || ((REFRESH)); then
		trixie_update
	fi
	local newest
	newest=$(aptcache_trixie pkgnames linux-image-6.12. 2>/dev/null |
		grep -E '^linux-image-6\.12\.[0-9]+.*-cloud-amd64-unsigned$' | sort -V | tail -1 || true)
	[[ -n $newest ]] || die "no linux-image-6.12.*-cloud-amd64-unsigned in $KCATCH_TRIXIE_SUITE"
	printf '%s\n' "$newest"
}

# --- download and extract -----------------------------------------------------

# fetch_kernel FRONT ALIAS PKG: a linux-image-KVER-unsigned package that
# holds the whole kernel (up to 6.x; FRONT: host, trixie or bullseye)
fetch_kernel() {
	local front=$1 alias=$2 pkg=$3 kver ver
	kver=${pkg#linux-image-}
	kver=${kver%-unsigned}
	ver=$("aptcache_$front" show --no-all-versions "$pkg" | awk '/^Version:/ { print $2; exit }')
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
			pkg_known "$front" "$p" || die "$p not found in apt"
		done
		mkdir -p "$kdir" "$tmp"
		if [[ ! -f $kdir/.image-done ]]; then
			rm -rf "$kdir/root"
			(cd "$tmp" && rm -f ./*.deb && "apt_$front" download "${pkgs[@]/%/=$ver}") ||
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
			(cd "$tmp" && rm -f ./*.deb && "apt_$front" download "$dbgpkg=$ver") ||
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

report() {
	local alias=$1 kver kdir
	case $alias in
	tools)
		printf '%-5s %s (%s)\n' tools "$TOOLS_DIR/bin/crash $TOOLS_DIR/bin/makedumpfile" \
			"$(tr '\n' ' ' <"$TOOLS_DIR/trixie/.complete" | sed 's/ $//')"
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
	sid) fetch_suite sid sid ;;
	exp) fetch_suite exp experimental ;;
	esac
done

echo "Resolved kernels (cache $KCATCH_CACHE):"
for alias in "${ALIASES[@]}"; do report "$alias"; done
