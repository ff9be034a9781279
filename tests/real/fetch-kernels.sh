#!/bin/bash
# Download Debian cloud kernels and their debug vmlinux into the kcatch cache:
#   5.10 : newest bullseye linux-image-5.10.0-*-cloud-amd64-unsigned (+ -dbg),
#          from bullseye and bullseye-security (where the newest ABIs are)
#          through a private apt state under $KCATCH_CACHE/apt-bullseye
#   6.1  : bookworm linux-image-${KCATCH_K61_ABI}-unsigned (+ -dbg), host apt
#   6.12 : newest trixie linux-image-6.12.*-cloud-amd64-unsigned (+ -dbg),
#          through a private apt state under $KCATCH_CACHE/apt-trixie
#   tools: crash and makedumpfile from trixie (newer than bookworm's crash
#          8.0.2, which cannot open 6.12 vmcores) with their trixie shared
#          libraries, run through trixie's own ld.so; never installed on the host
# Layout: $KCATCH_CACHE/kernels/<kver>/root/...      (dpkg-deb -x of the image)
#         $KCATCH_CACHE/kernels/<kver>/vmlinux       (debug vmlinux, from -dbg)
#         $KCATCH_CACHE/kernels/<alias>.kver         (alias -> kernel release)
#         $KCATCH_CACHE/tools/bin/{crash,makedumpfile} (wrappers, trixie builds)
# Usage: fetch-kernels.sh [--refresh] [5.10] [6.1] [6.12] [tools]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
usage: $0 [--refresh] [ALIAS...]
  ALIAS     5.10, 6.1, 6.12 and/or tools (default: all four)
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
	5.10 | 6.1 | 6.12 | tools) ALIASES+=("$1") ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
	shift
done
((${#ALIASES[@]})) || ALIASES=(5.10 6.1 6.12 tools)

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

# Debian security archive: $KCATCH_DEBIAN_SECURITY_MIRROR, else the first
# *-security URI of the host's apt sources, else deb.debian.org's.
debian_security_mirror() {
	local uri=${KCATCH_DEBIAN_SECURITY_MIRROR:-}
	if [[ -z $uri ]]; then
		# "URIs:" lines of deb822 sources and "deb" lines, never comments
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
			grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]*debian-security/?' | head -n1 || true)
	fi
	printf '%s\n' "${uri:-http://deb.debian.org/debian-security}"
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
trixie_update() {
	private_update "$TRIXIE_APT" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $KCATCH_TRIXIE_SUITE main"
}
# bullseye's newest 5.10 ABIs are only in bullseye-security (LTS)
bullseye_update() {
	private_update "$BULLSEYE_APT" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) bullseye main" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_security_mirror) bullseye-security main"
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

# fetch_kernel FRONT ALIAS PKG (FRONT: host, trixie or bullseye)
fetch_kernel() {
	local front=$1 alias=$2 pkg=$3
	local kver=${pkg#linux-image-}
	kver=${kver%-unsigned}
	local dbgpkg="linux-image-${kver}-dbg"
	local kdir tmp ver
	kdir=$(kernel_dir "$kver")
	tmp="$KCATCH_CACHE/tmp/$kver"
	ver=$("aptcache_$front" show --no-all-versions "$pkg" | awk '/^Version:/ { print $2; exit }')

	if [[ -f $kdir/.complete ]]; then
		log "$alias: $kver already cached"
	else
		log "$alias: fetching $pkg ($ver) and the vmlinux of $dbgpkg"
		pkg_known "$front" "$dbgpkg" || die "$dbgpkg not found in apt"
		mkdir -p "$kdir" "$tmp"
		if [[ ! -f $kdir/.image-done ]]; then
			rm -rf "$kdir/root"
			(cd "$tmp" && rm -f ./*.deb && "apt_$front" download "$pkg") ||
				die "download of $pkg failed"
			dpkg-deb -x "$tmp/${pkg}_"*.deb "$kdir/root"
			[[ -f $kdir/root/boot/vmlinuz-$kver ]] || die "$pkg has no boot/vmlinuz-$kver"
			rm -f "$tmp/${pkg}_"*.deb
			touch "$kdir/.image-done"
		fi
		if [[ ! -f $kdir/.dbg-done ]]; then
			rm -rf "$kdir/dbg"
			(cd "$tmp" && rm -f ./*.deb && "apt_$front" download "$dbgpkg") ||
				die "download of $dbgpkg failed"
			mkdir -p "$kdir/dbg"
			dpkg-deb --fsys-tarfile "$tmp/${dbgpkg}_"*.deb |
				tar -x -C "$kdir/dbg" --wildcards './usr/lib/debug/boot/vmlinux-*'
			rm -f "$tmp/${dbgpkg}_"*.deb
			[[ -f $kdir/dbg/usr/lib/debug/boot/vmlinux-$kver ]] || die "$dbgpkg has no vmlinux-$kver"
			ln -sfn "dbg/usr/lib/debug/boot/vmlinux-$kver" "$kdir/vmlinux"
			touch "$kdir/.dbg-done"
		fi
		rmdir "$tmp" 2>/dev/null || true
		printf 'package=%s\nversion=%s\ndbg=%s\n' "$pkg" "$ver" "$dbgpkg" >"$kdir/.complete"
	fi
	printf '%s\n' "$kver" >"$KCATCH_CACHE/kernels/$alias.kver"
}

# --- trixie crash + makedumpfile -------------------------------------------------

TOOLS_DIR="$KCATCH_CACHE/tools"
TOOLS_PKGS=(crash makedumpfile libc6 libgcc-s1 libstdc++6 liblzo2-2 libncursesw6 libtinfo6
	libsnappy1v5 libzstd1 libdw1t64 libelf1t64 zlib1g liblzma5 libbz2-1.0)

fetch_tools() {
	local root="$TOOLS_DIR/trixie/root" tmp="$KCATCH_CACHE/tmp/tools" deb tool
	if ((REFRESH == 0)) && [[ -f $TOOLS_DIR/trixie/.complete ]]; then
		log "tools: already cached ($(tr '\n' ' ' <"$TOOLS_DIR/trixie/.complete"))"
		return
	fi
	if private_lists_missing "$TRIXIE_APT"; then
		trixie_update
	fi
	log "tools: fetching ${TOOLS_PKGS[*]} from $KCATCH_TRIXIE_SUITE"
	rm -rf "$tmp" "${TOOLS_DIR:?}/trixie" "${TOOLS_DIR:?}/bin"
	mkdir -p "$tmp" "$root" "$TOOLS_DIR/bin"
	(cd "$tmp" && apt_trixie download "${TOOLS_PKGS[@]}") || die "download of the trixie tools failed"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$root"; done
	rm -rf "$tmp"
	local ldso="$root/usr/lib64/ld-linux-x86-64.so.2" libs="$root/usr/lib/x86_64-linux-gnu"
	[[ -x $ldso ]] || die "trixie libc6 has no usr/lib64/ld-linux-x86-64.so.2"
	for tool in crash makedumpfile; do
		if "$ldso" --library-path "$libs" --list "$root/usr/bin/$tool" | grep -q 'not found'; then
			"$ldso" --library-path "$libs" --list "$root/usr/bin/$tool" >&2
			die "tools: $tool misses shared libraries (update TOOLS_PKGS)"
		fi
		# ld.so is named explicitly so the host's glibc is never mixed in
		cat >"$TOOLS_DIR/bin/$tool" <<-EOF
			#!/bin/sh
			# $tool from Debian $KCATCH_TRIXIE_SUITE with its own glibc (written by fetch-kernels.sh)
			exec "$ldso" --library-path "$libs" --argv0 $tool "$root/usr/bin/$tool" "\$@"
		EOF
		chmod 755 "$TOOLS_DIR/bin/$tool"
	done
	{
		echo "crash=$("$TOOLS_DIR/bin/crash" --version | awk 'NF { print $2; exit }')"
		echo "makedumpfile=$("$TOOLS_DIR/bin/makedumpfile" -v 2>&1 | awk '{ print $3; exit }')"
	} >"$TOOLS_DIR/trixie/.complete"
}

report() {
	local alias=$1 kver kdir
	if [[ $alias == tools ]]; then
		printf '%-5s %s (%s)\n' tools "$TOOLS_DIR/bin/crash $TOOLS_DIR/bin/makedumpfile" \
			"$(tr '\n' ' ' <"$TOOLS_DIR/trixie/.complete" | sed 's/ $//')"
		return
	fi
	kver=$(kernel_kver "$alias")
	kdir=$(kernel_dir "$kver")
	printf '%-5s %-28s %-16s vmlinuz=%s vmlinux=%s (%s)\n' "$alias" "$kver" \
		"$(sed -n 's/^version=//p' "$kdir/.complete")" \
		"$kdir/root/boot/vmlinuz-$kver" "$(readlink -f "$kdir/vmlinux")" \
		"$(du -h "$(readlink -f "$kdir/vmlinux")" | cut -f1)"
}

for alias in "${ALIASES[@]}"; do
	if [[ $alias == tools ]]; then
		fetch_tools
		continue
	fi
	f="$KCATCH_CACHE/kernels/$alias.kver"
	if ((REFRESH == 0)) && [[ -s $f ]] && [[ -f $(kernel_dir "$(cat "$f")")/.complete ]]; then
		log "$alias: $(cat "$f") already cached (use --refresh to look for a newer one)"
		continue
	fi
	case $alias in
	5.10) fetch_510 ;;
	6.1) pkg=$(resolve_61) && fetch_kernel host 6.1 "$pkg" ;;
	6.12) pkg=$(resolve_612) && fetch_kernel trixie 6.12 "$pkg" ;;
	esac
done

echo "Resolved kernels (cache $KCATCH_CACHE):"
for alias in "${ALIASES[@]}"; do report "$alias"; done
