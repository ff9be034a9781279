# shellcheck shell=bash
# Shared settings and helpers for the real-vmcore test scripts.
# Sourced, never executed.

# Everything big (kernels, debug vmlinux, initramfs images, vmcores) lives
# outside the repository, in this cache.
KCATCH_CACHE=${KCATCH_CACHE:-/root/.cache/kcatch}
# shellcheck disable=SC2034 # used by the scripts that source this file
REAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Debian mirror used for the private (trixie) apt state. Defaults to the
# first non-security Debian URI the host's apt sources use.
KCATCH_DEBIAN_MIRROR=${KCATCH_DEBIAN_MIRROR:-}

# Bookworm 6.1 cloud kernel ABI to fetch (package linux-image-<abi>-unsigned).
KCATCH_K61_ABI=${KCATCH_K61_ABI:-6.1.0-50-cloud-amd64}
# Trixie suite and the 6.12 package pattern (newest match wins).
KCATCH_TRIXIE_SUITE=${KCATCH_TRIXIE_SUITE:-trixie}

_kc_prog=$(basename "$0")
log()  { printf '[%s] %s\n' "$_kc_prog" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$_kc_prog" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$_kc_prog" "$*" >&2; exit 1; }

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "required command '$c' not found (see tests/real/README.md)"
	done
}

# Seconds since the epoch with fractions, for timing.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Kernel aliases: "5.10", "6.1" and "6.12" map to the kernel release fetched by
# fetch-kernels.sh, recorded in $KCATCH_CACHE/kernels/<alias>.kver.
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
	printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# crash(8) to verify vmcores with: $KCATCH_CRASH, else the trixie build that
# fetch-kernels.sh puts in the cache (bookworm's crash 8.0.2 cannot open 6.12
# vmcores and lists only 3 tasks on 6.1.176), else the host's.
crash_bin() {
	if [[ -n ${KCATCH_CRASH:-} ]]; then
		printf '%s\n' "$KCATCH_CRASH"
	elif [[ -x $KCATCH_CACHE/tools/bin/crash ]]; then
		printf '%s\n' "$KCATCH_CACHE/tools/bin/crash"
	else
		command -v crash || die "no crash(8): run tests/real/fetch-kernels.sh tools or apt-get install crash"
	fi
}
