#!/bin/bash
# Compare what crash(8) shows for an original vmcore and a filtered dump of it.
#
#   crash-compare.sh [--keep DIR] [--commands "sys bt ps log"] VMLINUX VMCORE DUMPFILE
#
# --commands is split at spaces, or at commas when it has one (so that a
# command with arguments fits: "sys,bt,ps,log,kmem -s").
# Runs the same crash commands on both files, drops the lines that may
# legitimately differ (the DUMPFILE line with its path and [PARTIAL DUMP]
# tag, any line naming either file, crash's file-size notes), and diffs the
# rest. Exit 0 when identical, 1 when they differ, 2 when crash fails.
# crash(8) is chosen as in capture-vmcore.sh: $KCATCH_CRASH, the trixie build
# in the cache, or the host's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
usage: $0 [--keep DIR] [--commands "CMD..."] VMLINUX VMCORE DUMPFILE
  --keep DIR     keep the raw and normalized crash outputs in DIR
  --commands     crash commands, space separated, or comma separated when
                 one has arguments (default: "sys bt ps log")
EOF
}

KEEP='' COMMANDS="sys bt ps log"
CRASH_TIMEOUT=${KCATCH_CRASH_TIMEOUT:-600}
while (($#)); do
	case $1 in
	--keep) KEEP=${2:?}; shift ;;
	--commands) COMMANDS=${2:?}; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown option '$1'" ;;
	*) break ;;
	esac
	shift
done
(($# == 3)) || { usage >&2; exit 2; }
VMLINUX=$1 VMCORE=$2 DUMPFILE=$3
for f in "$VMLINUX" "$VMCORE" "$DUMPFILE"; do
	[[ -r $f ]] || { log "cannot read $f"; exit 2; }
done
CRASH=$(crash_bin)
if [[ $COMMANDS == *,* ]]; then
	IFS=, read -r -a CMDS <<<"$COMMANDS"
else
	read -r -a CMDS <<<"$COMMANDS"
fi

if [[ -n $KEEP ]]; then
	OUTDIR=$KEEP
	mkdir -p "$OUTDIR"
else
	OUTDIR=$(mktemp -d /tmp/crash-compare.XXXXXX)
	trap 'rm -rf "$OUTDIR"' EXIT
fi

# One crash session per file; crash redirects each command's output to its
# own file (markers echoed into one stream get out of order with crash's
# buffered output).
run_crash() { # FILE TAG
	local rc=0 i
	: >"$OUTDIR/$2.cmd"
	for i in "${!CMDS[@]}"; do
		printf '%s > %s\n' "${CMDS[i]}" "$OUTDIR/$2.$i.raw" >>"$OUTDIR/$2.cmd"
	done
	echo exit >>"$OUTDIR/$2.cmd"
	timeout --kill-after=10 "$CRASH_TIMEOUT" "$CRASH" -s "$VMLINUX" "$1" -i "$OUTDIR/$2.cmd" \
		</dev/null >"$OUTDIR/$2.session.raw" 2>&1 || rc=$?
	for i in "${!CMDS[@]}"; do
		if [[ ! -s $OUTDIR/$2.$i.raw ]]; then
			log "crash wrote nothing for '${CMDS[i]}' on $1"
			((rc != 0)) || rc=1
		fi
	done
	if ((rc != 0)); then
		tail -n 20 "$OUTDIR/$2.session.raw" >&2
		log "crash failed on $1 (status $rc)"
		exit 2
	fi
}

# normalize TAG FILE: one text per file with a header per command, without
# the lines that legitimately differ between an ELF vmcore and a filtered dump
normalize() {
	local esc c
	esc=$(printf '%s' "$2" | sed 's/[][\.*^$/]/\\&/g')
	for c in session "${!CMDS[@]}"; do
		if [[ $c == session ]]; then echo "=== crash-compare: session ==="; else echo "=== crash-compare: ${CMDS[c]} ==="; fi
		sed -E \
			-e '/^ *DUMPFILE: /d' \
			-e "/${esc}/d" \
			-e '/^WARNING: (vmcore|dumpfile) .*(size|truncated)/d' \
			"$OUTDIR/$1.$c.raw"
	done >"$OUTDIR/$1.txt"
}

log "crash: $CRASH; commands: $COMMANDS"
run_crash "$VMCORE" original
run_crash "$DUMPFILE" filtered
normalize original "$VMCORE"
normalize filtered "$DUMPFILE"

if diff -u --label "original $VMCORE" --label "filtered $DUMPFILE" \
	"$OUTDIR/original.txt" "$OUTDIR/filtered.txt" >"$OUTDIR/diff"; then
	log "identical: $(grep -c . "$OUTDIR/original.txt") lines of '$COMMANDS' output"
	exit 0
fi
head -n 80 "$OUTDIR/diff"
n=$(grep -c '^[-+][^-+]' "$OUTDIR/diff" || true)
if [[ -n $KEEP ]]; then
	log "DIFFERENT: $n changed lines (full diff in $OUTDIR/diff)"
else
	log "DIFFERENT: $n changed lines (first 80 diff lines above; --keep DIR keeps all)"
fi
exit 1
