# shellcheck shell=bash
# Shared settings and helpers for the real-vmcore test scripts.
# Sourced, never executed.

# Everything big (kernels, debug vmlinux, initramfs images, vmcores) lives
# outside the repository, in this cache.
KCATCH_CACHE=${KCATCH_CACHE:-/root/.cache/kcatch}
# shellcheck disable=SC2034 # used by the scripts that source this file
REAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Debian mirror used for the private (bullseye, trixie, sid) apt states.
# Defaults to the first non-security Debian URI the host's apt sources use;
# there is no built-in fallback.
KCATCH_DEBIAN_MIRROR=${KCATCH_DEBIAN_MIRROR:-}

# Bookworm 6.1 cloud kernel ABI to fetch (package linux-image-<abi>-unsigned).
KCATCH_K61_ABI=${KCATCH_K61_ABI:-6.1.0-50-cloud-amd64}
# Trixie suite and the 6.12 package pattern (newest match wins).
KCATCH_TRIXIE_SUITE=${KCATCH_TRIXIE_SUITE:-trixie}

_kc_prog=$(basename "$0")
log()  { printf '[%s] %s\n' "$_kc_prog" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$_kc_prog" "$*" >&2; }
# die MESSAGE: exit 1 (or $DIE_STATUS, e.g. DIE_STATUS=3 die ...)
die()  { printf '[%s] ERROR: %s\n' "$_kc_prog" "$*" >&2; exit "${DIE_STATUS:-1}"; }

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "required command '$c' not found (see tests/real/README.md)"
	done
}

# Seconds since the epoch with fractions, for timing.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Kernel aliases: "5.10", "6.1", "6.12", "sid", "exp" (x86_64) and
# "6.1-arm64", "6.12-arm64" map to the kernel
# release fetched by fetch-kernels.sh, recorded in
# $KCATCH_CACHE/kernels/<alias>.kver.
kernel_kver() {
	local alias=$1 f="$KCATCH_CACHE/kernels/$1.kver"
	[[ -s $f ]] || die "kernel '$alias' is not fetched yet: run tests/real/fetch-kernels.sh"
	cat "$f"
}
kernel_dir() { printf '%s/kernels/%s\n' "$KCATCH_CACHE" "$1"; }

# Module directory inside an extracted kernel package (bookworm ships
# lib/modules, trixie usr/lib/modules).
kernel_moddir() {
	local kver=$1 root
	root="$(kernel_dir "$kver")/root"
	if [[ -d $root/lib/modules/$kver ]]; then
		printf '%s\n' "$root/lib/modules/$kver"
	elif [[ -d $root/usr/lib/modules/$kver ]]; then
		printf '%s\n' "$root/usr/lib/modules/$kver"
	else
		die "no modules directory for $kver under $root"
	fi
}

# Kernel image inside an extracted kernel: boot/vmlinuz-KVER (linux-image
# packages up to 6.x) or usr/lib/modules/KVER/vmlinuz (7.x linux-binary).
kernel_vmlinuz() {
	local kver=$1 root
	root="$(kernel_dir "$kver")/root"
	if [[ -f $root/boot/vmlinuz-$kver ]]; then
		printf '%s\n' "$root/boot/vmlinuz-$kver"
	elif [[ -f $root/usr/lib/modules/$kver/vmlinuz ]]; then
		printf '%s\n' "$root/usr/lib/modules/$kver/vmlinuz"
	else
		die "no boot/vmlinuz-$kver nor usr/lib/modules/$kver/vmlinuz under $root: run tests/real/fetch-kernels.sh --refresh"
	fi
}

# The Debian archive URI to use: $KCATCH_DEBIAN_MIRROR, else the first
# non-security Debian URI of the host's apt sources. Dies (in a command
# substitution: status 1, the fix on stderr; callers must check) when there
# is none: no archive host is built in.
debian_mirror() {
	if [[ -n $KCATCH_DEBIAN_MIRROR ]]; then
		printf '%s\n' "$KCATCH_DEBIAN_MIRROR"
		return
	fi
	local uri
	uri=$(
		{
			# deb822 sources: "URIs: ..." lines
			cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
			# one-line sources: "deb [opts] URI suite comp..."
			cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
				awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
		} | grep -v -- '-security' | grep -m1 '/debian/\?$' || true
	)
	[[ -n $uri ]] || die "no Debian archive URI (one ending in /debian) in the host's apt sources" \
		"(/etc/apt/sources.list, /etc/apt/sources.list.d/*.list, *.sources): set KCATCH_DEBIAN_MIRROR to one"
	printf '%s\n' "$uri"
}

# The reader that checks a kernel's vmcores and dumps: crash where Debian's
# crash opens them, else sid's drgn (crash 9.0.2 cannot open a 7.2 vmcore).
# arm64 (KVER *-arm64): drgn, native; arm64 crash runs under qemu-user and
# needs minutes of CPU per session (test-filter-arm64.sh still runs it).
kernel_reader() {
	local major=${1%%.*}
	if [[ $1 == *-arm64 ]] || ((major >= 7)); then echo drgn; else echo crash; fi
}

# sid's python3 with drgn 0.3+ (fetch-kernels.sh sidtools), which knows
# 7.1's compound_info; run through sid's own ld.so and libraries
sid_python() {
	local p="$KCATCH_CACHE/tools/bin/sid-python3"
	[[ -x $p && -f $KCATCH_CACHE/tools/sid/.complete ]] ||
		die "no sid python3 with drgn: run tests/real/fetch-kernels.sh sidtools"
	printf '%s\n' "$p"
}

# crash(8) to verify vmcores with: $KCATCH_CRASH, else the trixie build that
# fetch-kernels.sh puts in the cache (bookworm's crash 8.0.2 cannot open 6.12
# vmcores and lists only 3 tasks on 6.1.176), else the host's.
# crash_bin arm64: trixie's arm64 crash under qemu-user (Debian's crash reads
# only dumps of its own architecture), $KCATCH_CRASH_ARM64 to override.
crash_bin() {
	if [[ ${1:-x86_64} == arm64 ]]; then
		if [[ -n ${KCATCH_CRASH_ARM64:-} ]]; then
			printf '%s\n' "$KCATCH_CRASH_ARM64"
		elif [[ -x $KCATCH_CACHE/tools/bin/arm64-crash && -f $KCATCH_CACHE/tools/arm64-trixie/.complete ]]; then
			printf '%s\n' "$KCATCH_CACHE/tools/bin/arm64-crash"
		else
			die "no arm64 crash(8): run tests/real/fetch-kernels.sh arm64tools"
		fi
	elif [[ -n ${KCATCH_CRASH:-} ]]; then
		printf '%s\n' "$KCATCH_CRASH"
	elif [[ -x $KCATCH_CACHE/tools/bin/crash ]]; then
		printf '%s\n' "$KCATCH_CACHE/tools/bin/crash"
	else
		command -v crash || die "no crash(8): run tests/real/fetch-kernels.sh tools or apt-get install crash"
	fi
}

# kernel_arch ALIAS: arm64 for the *-arm64 aliases, else x86_64
kernel_arch() {
	case $1 in
	*-arm64) echo arm64 ;;
	*) echo x86_64 ;;
	esac
}
