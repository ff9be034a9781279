#!/bin/bash
# Fetch Debian sid's newest cloud kernel in its split packages (Debian 14
# layout: linux-binary-KVER has /usr/lib/modules/KVER/vmlinuz, linux-base-KVER
# config and System.map there, linux-modules-KVER the modules) and unpack
# them, without maintainer scripts, into a fake root for test-layouts.sh:
#
#   $CACHE/sid.kver   the release
#   $CACHE/root/      usr/lib/modules/KVER/..., nothing in /boot
#
# Nothing is installed on this host: apt-get download with a private apt
# state (sources list, package lists, cache) under /root/.cache/kcatch/apt-sid.
#
#   fetch-sid-kernel.sh [KVER]     (default: what sid's linux-image-cloud-amd64 depends on)
#   $KCATCH_LAYOUT_CACHE: where (default /root/.cache/kcatch/layout-test)
set -euo pipefail
CACHE=${KCATCH_LAYOUT_CACHE:-/root/.cache/kcatch/layout-test}
APT=/root/.cache/kcatch/apt-sid
A=(-o Dir::Etc::SourceList=$APT/sources.list -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists=$APT/lists -o Dir::Cache=$APT/cache
	-o Dir::Cache::archives=$APT/cache/archives -o APT::Sandbox::User=root)
[[ -f $APT/sources.list ]] || { echo "no $APT/sources.list: make the private sid apt state first" >&2; exit 1; }
kver=${1:-}
if [[ -z $kver ]]; then
	# the candidate of the metapackage: sid's, not experimental's (priority 1)
	kver=$(apt-cache "${A[@]}" depends linux-image-cloud-amd64 |
		sed -n 's/^ *Depends: linux-image-\([^ ]*-cloud-amd64\)$/\1/p' | head -1)
	[[ -n $kver ]] || { echo "no linux-image-cloud-amd64 in sid's package list (apt-get update with $APT?)" >&2; exit 1; }
fi
if [[ $(cat "$CACHE/sid.kver" 2>/dev/null) == "$kver" && -f $CACHE/root/usr/lib/modules/$kver/vmlinuz ]]; then
	echo "$kver already in $CACHE"
	exit 0
fi
tmp=$(mktemp -d "$CACHE.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get "${A[@]}" download "linux-base-$kver" "linux-binary-$kver" "linux-modules-$kver")
mkdir "$tmp/root"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
mkdir -p "$CACHE"
rm -rf "$CACHE/root"
mv "$tmp/root" "$CACHE/root"
echo "$kver" >"$CACHE/sid.kver"
echo "$kver unpacked in $CACHE/root"
