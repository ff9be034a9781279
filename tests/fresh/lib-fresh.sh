# shellcheck shell=bash
# A fresh Debian 12 root for checks that must not see what this machine
# installed before: debootstrap --variant=minbase, cached once as a tar
# outside the clone, unpacked per check, with /proc, /sys, /dev and
# /dev/pts mounted into it. Sourced, never executed; needs root.
#
#   fresh_root_tar                 make $FRESH_TAR unless it is there
#   fresh_unpack ROOT              unpack a copy of it into ROOT
#   fresh_mount ROOT               mount /proc /sys /dev /dev/pts, resolv.conf,
#                                  no daemon starts (policy-rc.d)
#   fresh_bind_ro SRC ROOT DIR     bind SRC read-only at ROOT/DIR
#   fresh_copy_tree SRC DEST       the files of the kcatch tree (no build dirs)
#   fresh_cleanup ROOT             end the processes left in ROOT, unmount
#                                  everything under it, then delete it
# Call fresh_cleanup from an EXIT trap: it never deletes a root with
# something still mounted under it.
#
# The Debian archive is the one this machine's apt sources use for
# bookworm (KCATCH_DEBIAN_MIRROR overrides it); there is no built-in one.

FRESH_SUITE=bookworm
FRESH_CACHE=${KCATCH_CACHE:-/root/.cache/kcatch}
FRESH_TAR=$FRESH_CACHE/fresh-$FRESH_SUITE.tar
FRESH_WORK=${KCATCH_FRESH_WORK:-/var/cache/kcatch-fresh}
FRESH_PROG=${FRESH_PROG:-$(basename "$0")}
FRESH_MOUNTS=()

fresh_die() { printf '%s: %s\n' "$FRESH_PROG" "$*" >&2; exit 1; }
fresh_log() { printf '%s: %s\n' "$FRESH_PROG" "$*" >&2; }

# fresh_apt_sources: "URI SUITE COMPONENTS..." for every enabled deb source
# of this machine (one-line *.list and deb822 *.sources files)
fresh_apt_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		# deb [options] URI SUITE COMPONENT...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 4 { $1 = ""; print substr($0, 2) }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		awk 'function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no")
					for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j], comps
				types = ""; enabled = ""; comps = ""; nu = 0; ns = 0
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{ key = tolower($1); sub(/:$/, "", key); $1 = ""; val = substr($0, 2) }
			key == "types" { types = val }
			key == "enabled" { enabled = tolower(val) }
			key == "components" { comps = val }
			key == "uris" { nu = split(val, u, " ") }
			key == "suites" { ns = split(val, s, " ") }
			END { flush() }' "$f"
	done
}

# fresh_mirror SUITE: the URI this machine's apt sources use for SUITE
fresh_mirror() {
	local uri
	if [[ $1 == "$FRESH_SUITE" && -n ${KCATCH_DEBIAN_MIRROR:-} ]]; then
		printf '%s\n' "$KCATCH_DEBIAN_MIRROR"
		return
	fi
	uri=$(fresh_apt_sources | awk -v s="$1" '$2 == s && !n++ { print $1 }')
	[[ -n $uri ]] || return 1
	printf '%s\n' "$uri"
}

# fresh_root_tar: a minbase bookworm root as $FRESH_TAR (made once)
fresh_root_tar() {
	[[ -s $FRESH_TAR ]] && return 0
	local mirror updates security tmp t0=$SECONDS
	mirror=$(fresh_mirror "$FRESH_SUITE") ||
		fresh_die "no apt source of this machine serves '$FRESH_SUITE' (read /etc/apt/sources.list and /etc/apt/sources.list.d/*.list, *.sources): add one, or set KCATCH_DEBIAN_MIRROR=URI"
	command -v debootstrap >/dev/null ||
		fresh_die "debootstrap is not installed: apt-get install debootstrap (.ci/run installs it)"
	mkdir -p "$FRESH_CACHE" "$FRESH_WORK"
	tmp=$(mktemp -d "$FRESH_WORK/debootstrap.XXXXXX")
	fresh_log "debootstrap --variant=minbase $FRESH_SUITE from $mirror (once; cached as $FRESH_TAR)"
	if ! debootstrap --variant=minbase "$FRESH_SUITE" "$tmp/root" "$mirror" >"$tmp/log" 2>&1; then
		tail -n 20 "$tmp/log" >&2
		[[ -f $tmp/root/debootstrap/debootstrap.log ]] && tail -n 20 "$tmp/root/debootstrap/debootstrap.log" >&2
		rm -rf --one-file-system "$tmp"
		fresh_die "debootstrap $FRESH_SUITE $mirror failed (its log is above)"
	fi
	# the suites a Debian 12 installation has: release, updates, security
	{
		echo "deb $mirror $FRESH_SUITE main"
		if updates=$(fresh_mirror "$FRESH_SUITE-updates"); then echo "deb $updates $FRESH_SUITE-updates main"; fi
		if security=$(fresh_mirror "$FRESH_SUITE-security"); then echo "deb $security $FRESH_SUITE-security main"; fi
	} >"$tmp/root/etc/apt/sources.list"
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar --numeric-owner -C "$tmp/root" -cf "$FRESH_TAR.tmp" . && mv "$FRESH_TAR.tmp" "$FRESH_TAR"
	rm -rf --one-file-system "$tmp"
	fresh_log "made $FRESH_TAR in $((SECONDS - t0)) s ($(du -m "$FRESH_TAR" | cut -f1) MB)"
}

fresh_unpack() {
	mkdir -p "$1"
	tar --numeric-owner -C "$1" -xpf "$FRESH_TAR" || fresh_die "cannot unpack $FRESH_TAR into $1"
}

_fresh_mount() {  # TARGET MOUNT-ARGS...
	local target=$1
	shift
	mount "$@" "$target" || fresh_die "mount $* $target failed"
	FRESH_MOUNTS+=("$target")
}

fresh_mount() {
	local r=$1
	_fresh_mount "$r/proc" -t proc proc
	_fresh_mount "$r/sys" --bind /sys
	_fresh_mount "$r/dev" --bind /dev
	_fresh_mount "$r/dev/pts" --bind /dev/pts
	cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
	# packages install as on a real machine, but no daemon starts inside
	# the root (it would keep the mounts busy)
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
}

fresh_bind_ro() {  # SRC ROOT DIR
	mkdir -p "$2/$3"
	_fresh_mount "$2/$3" --bind "$1"
	mount -o remount,bind,ro "$2/$3" || fresh_die "cannot make $2/$3 read-only"
}

# fresh_copy_tree SRC DEST: the tree as a clone has it (tracked and new
# files, not what .gitignore names: no build directories)
fresh_copy_tree() {
	mkdir -p "$2"
	if git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$1" && git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -C "$2" -xf - || fresh_die "cannot copy $1 to $2"
	else
		tar -C "$1" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$2" -xf - ||
			fresh_die "cannot copy $1 to $2"
	fi
}

# _fresh_mounted ROOT: the mount points at or under ROOT, deepest first
_fresh_mounted() {
	awk -v r="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == r || index(m, r "/") == 1) print m }' \
		/proc/self/mountinfo | sort -r
}

fresh_cleanup() {
	local r=$1 p pids=() m i left
	[[ -n $r && -d $r ]] || return 0
	r=$(cd "$r" && pwd -P)
	# processes started inside the root (by this check) end with it
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/root" 2>/dev/null) == "$r" ]] && pids+=("${p#/proc/}")
	done
	if ((${#pids[@]})); then
		fresh_log "ending processes left in $r: ${pids[*]}"
		kill "${pids[@]}" 2>/dev/null || true
		sleep 2
		kill -9 "${pids[@]}" 2>/dev/null || true
	fi
	for ((i = ${#FRESH_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${FRESH_MOUNTS[i]}" 2>/dev/null || umount -l "${FRESH_MOUNTS[i]}" 2>/dev/null || true
	done
	FRESH_MOUNTS=()
	for m in $(_fresh_mounted "$r"); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
	left=$(_fresh_mounted "$r")
	if [[ -n $left ]]; then
		fresh_log "still mounted, $r NOT deleted (umount them, then rm -rf $r): $left"
		return 1
	fi
	rm -rf --one-file-system "$r"
}

# fresh_chroot ROOT COMMAND...: run as root would on the machine, with a
# clean environment
fresh_chroot() {
	local r=$1
	shift
	env -i HOME=/root TERM=dumb LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		${CI:+CI=$CI} chroot "$r" "$@"
}
