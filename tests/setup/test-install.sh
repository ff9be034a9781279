#!/bin/bash
# meson install --destdir into a scratch directory, then check what landed:
# every binary, unit, man page, completion script and the config at its
# path with its mode; the man pages render without a warning and document
# every command, option and configuration key the programs know; the
# completion scripts load in bash and complete; the installed units pass
# systemd-analyze verify against the installed binary.
#
#   test-install.sh MESON BUILDDIR KEY=DIR...
# KEYs: sbindir libexecdir mandir datadir unitdir completionsdir
# (absolute, as meson.build computed them). The config goes to /etc
# whatever the prefix: that is where the programs read it.
set -uo pipefail
# (no "cmd | grep -q" below: grep -q may exit before cmd has written all,
# and pipefail then sees cmd die of SIGPIPE)
MESON=$1 BUILD=$2
shift 2
declare -A dir
for kv in "$@"; do dir[${kv%%=*}]=${kv#*=}; done
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-install.XXXXXX")
trap 'rm -rf "$W"' EXIT
D=$W/dest
. "$(dirname "$0")/../e2e/lib-tap.sh"

out=$("$MESON" install -C "$BUILD" --no-rebuild --destdir "$D" 2>&1) ||
	{ echo "Bail out! meson install failed"; sed 's/^/# /' <<<"$out" | tail -20; exit 1; }
ok "meson install --destdir"

# mode PATH OCTAL: a regular file with exactly that mode
mode() { [[ -f $1 && ! -L $1 ]] || { echo "$1: missing or not a regular file"; return 1; }
	local m; m=$(stat -c %a "$1"); [[ $m == "$2" ]] || { echo "$1: mode $m, expected $2"; return 1; }; }

# 1. files and modes
SBIN=$D${dir[sbindir]}
AGENT=$D${dir[libexecdir]}/kcatch/kcatch-agent
for b in kcatch kcatch-filter kcatch-mkinitramfs; do
	check "$b in sbindir, mode 0755" mode "$SBIN/$b" 755
done
check "kcatch-agent in libexecdir/kcatch, mode 0755" mode "$AGENT" 755
default_agent=$("$SBIN/kcatch-mkinitramfs" --help | sed -n '/--agent FILE/{n;s/^ *(default \(.*\))$/\1/p}')
check "kcatch-mkinitramfs looks for the agent where it is installed ($default_agent)" \
	test "$D$default_agent" = "$AGENT"
default_agent=$("$SBIN/kcatch" --help | sed -n '/--agent FILE/{n;s/^ *DIR\(.*\))$/\1/p}')
check "kcatch --help names the agent's installed path as its default (DIR$default_agent)" \
	test "$D$default_agent" = "$AGENT"
check "kcatch and kcatch-mkinitramfs --help fit in 80 columns" \
	eval 'for p in kcatch kcatch-mkinitramfs; do "$SBIN/$p" --help | awk -v p=$p "length > 80 { print p\": \" \$0; bad = 1 } END { exit bad }" || exit 1; done'
check "the installed binaries run (--version)" \
	eval '[[ $("$SBIN/kcatch" --version) == "kcatch "[0-9]* && $("$AGENT" --version) == "kcatch-agent "[0-9]* ]]'

UNITDIR=$D${dir[unitdir]}
for u in kcatch.service kcatch-report.service; do
	check "$u in the systemd unit dir, mode 0644" mode "$UNITDIR/$u" 644
	check "$u runs the installed kcatch, no @var@ left" \
		eval 'grep -q "^ExecStart=${dir[sbindir]}/kcatch " "$UNITDIR/$u" && ! grep -q @ "$UNITDIR/$u"'
done
check "kcatch.service: oneshot, stays active, only with crashkernel=, loads, unloads on stop" \
	eval 'u=$UNITDIR/kcatch.service; grep -qx "Type=oneshot" $u && grep -qx "RemainAfterExit=yes" $u &&
		grep -qx "ConditionKernelCommandLine=crashkernel" $u && grep -qx "ExecStart=${dir[sbindir]}/kcatch load" $u &&
		grep -qx "ExecStop=${dir[sbindir]}/kcatch unload" $u && grep -q "^WantedBy=multi-user.target" $u'
check "kcatch-report.service: oneshot report --journal" \
	eval 'u=$UNITDIR/kcatch-report.service; grep -qx "Type=oneshot" $u &&
		grep -qx "ExecStart=${dir[sbindir]}/kcatch report --journal" $u && grep -q "^WantedBy=multi-user.target" $u'

check "tmpfiles.d/kcatch.conf makes /var/crash, root's only" \
	eval 'grep -qx "d /var/crash 0700 root root -" "$D${dir[tmpfilesdir]}/kcatch.conf"'

CONF=$D/etc/kcatch.conf
check "kcatch.conf in /etc (not sysconfdir: the programs read /etc/kcatch.conf), mode 0644" mode "$CONF" 644
check "kcatch and kcatch-mkinitramfs read the config where it is installed (/etc/kcatch.conf)" \
	eval '[[ $("$SBIN/kcatch" --help) == *"(default DIR/etc/kcatch.conf)"* &&
		$("$SBIN/kcatch-mkinitramfs" --help) == *"(default /etc/kcatch.conf)"* ]]'
check "kcatch.conf: commented, every key of the example, the made-up target commented out" \
	eval '[[ $(grep -c "^#" "$CONF") -gt 40 ]] && ! grep -q "^target " "$CONF" && grep -q "^#target UUID=" "$CONF" &&
		grep -q "^dump_level 31" "$CONF" && grep -q "^compress zstd" "$CONF"'
check "kcatch.conf: valid (kcatch-agent --check-config)" "$AGENT" --check-config "$CONF"
check "kcatch.conf.example in the doc dir" mode "$D${dir[datadir]}/doc/kcatch/kcatch.conf.example" 644

MAN=$D${dir[mandir]}
pages=(man8/kcatch.8 man5/kcatch.conf.5 man8/kcatch-agent.8 man8/kcatch-mkinitramfs.8 man8/kcatch-filter.8)
for p in "${pages[@]}"; do
	check "man page $p, mode 0644, no @var@ left" eval 'mode "$MAN/$p" 644 && ! grep -q "@[A-Z_]*@" "$MAN/$p"'
done
COMP=$D${dir[completionsdir]}
for c in kcatch kcatch-filter kcatch-mkinitramfs; do
	check "bash completion for $c, mode 0644" mode "$COMP/$c" 644
done

# distribution hooks (initramfs/): where dracut and initramfs-tools look, whatever the prefix
hooks=(/usr/lib/dracut/modules.d/99kcatch/module-setup.sh /usr/lib/dracut/modules.d/99kcatch/kcatch-capture.sh
	/usr/share/initramfs-tools/hooks/kcatch /usr/share/initramfs-tools/scripts/local-bottom/kcatch)
for h in "${hooks[@]}"; do
	check "hook $h, mode 0755 (initramfs-tools skips a hook that is not executable)" mode "$D$h" 755
done
check "the hooks install the agent from where it is installed, no @var@ left" \
	eval 'for h in /usr/lib/dracut/modules.d/99kcatch/module-setup.sh /usr/share/initramfs-tools/hooks/kcatch; do
		grep -qF "${dir[libexecdir]}/kcatch/kcatch-agent" "$D$h" && ! grep -q "@[A-Z_]*@" "$D$h" || { echo "$h"; exit 1; }; done'

# nothing installed that this test does not know about
expected=$(printf '%s\n' "${dir[sbindir]}"/{kcatch,kcatch-filter,kcatch-mkinitramfs} \
	"${dir[libexecdir]}/kcatch/kcatch-agent" "${dir[unitdir]}"/{kcatch,kcatch-report}.service \
	"${dir[tmpfilesdir]}/kcatch.conf" /etc/kcatch.conf "${dir[datadir]}/doc/kcatch/kcatch.conf.example" \
	"${pages[@]/#/${dir[mandir]}/}" "${dir[completionsdir]}"/{kcatch,kcatch-filter,kcatch-mkinitramfs} \
	"${hooks[@]}" | sort)
installed=$(cd "$D" && find . ! -type d | sed 's/^\.//' | sort)
check "meson install puts exactly the expected files ($(wc -l <<<"$expected")), nothing else" \
	eval 'd=$(diff <(echo "$expected") <(echo "$installed")) || { echo "< expected, > installed (add new files to test-install.sh):"; echo "$d"; exit 1; }'

# 2. man pages render without warnings and say what the programs do
for p in "${pages[@]}"; do
	check "groff -man -ww: $p renders without a warning" \
		eval 'w=$(groff -t -man -Tutf8 -ww -z "$MAN/$p" 2>&1); echo "$w"; [[ -z $w ]]'
	if command -v mandoc >/dev/null; then
		check "mandoc -T lint -W warning: $p is clean" mandoc -T lint -W warning "$MAN/$p"
	fi
done
if ! command -v mandoc >/dev/null; then skip "mandoc -T lint" "no mandoc"; fi
# render PAGE: the page as text, 200 columns, no bold or underline
# (groff as man-db runs it, without man-db's second or so per page)
render() { groff -t -man -Tutf8 -rLL=200n -P-cbou "$1" 2>/dev/null; }
# section TEXT NAME: the lines of section NAME
section() { awk -v s="$2" '/^[A-Z]/ { on = ($0 == s) } on' <<<"$1"; }
for p in "${pages[@]}"; do
	check "man -l $p shows NAME, SYNOPSIS, DESCRIPTION, SEE ALSO" \
		eval 't=$(MANWIDTH=100 man -l "$MAN/$p" 2>&1); for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do grep -qx "$s" <<<"$t" || { echo "no $s"; exit 1; }; done'
done

# describes TEXT SECTION PREFIX WORD...: every WORD starts a line of
# SECTION, after PREFIX (a regex), as .TP tags render
describes() {
	local name=$2 prefix=$3 nl=$'\n' sec w re
	sec=$nl$(section "$1" "$2")$nl
	shift 3
	for w; do
		re="${nl}       $prefix$w( |,|$nl)"
		[[ $sec =~ $re ]] || { echo "$name lacks $w"; return 1; }
	done
}

# help_options PROGRAM: the options its --help table lists ("  -k, --kernel-version KVER  ...")
help_options() {
	"$1" --help | awk 'match($0, /^ +-/) && RLENGTH <= 7 {
		for (i = 1; i <= NF && $i ~ /^-/; i++) { sub(/,$/, "", $i); print $i } }' | sort -u
}

help=$("$SBIN/kcatch" --help)
commands=$(awk '/^Commands:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }' <<<"$help")
k8=$(render "$MAN/man8/kcatch.8")
check "kcatch --help lists commands ($(echo $commands))" test -n "$commands"
check "kcatch(8) COMMANDS describes every command of kcatch --help" describes "$k8" COMMANDS "" $commands
options=$(help_options "$SBIN/kcatch")
check "kcatch(8) OPTIONS describes every option of kcatch --help ($(echo $options))" \
	describes "$k8" OPTIONS "(-[a-z], )?" $options
check "kcatch(8) EXIT STATUS describes 0 1 2 3" describes "$k8" "EXIT STATUS" "" 0 1 2 3

for prog in kcatch-mkinitramfs:$SBIN/kcatch-mkinitramfs kcatch-agent:$AGENT; do
	name=${prog%%:*}
	opts=$(help_options "${prog#*:}")
	check "$name(8) OPTIONS describes every option of $name --help" \
		describes "$(render "$MAN/man8/$name.8")" OPTIONS "(-[a-z], )?" $opts
done

# every key the parser knows, as its error message lists them
keys=$(printf 'no_such_key 1\n' >"$W/bad.conf"; "$AGENT" --check-config "$W/bad.conf" 2>&1 |
	sed -n 's/.*(known: \(.*\)).*/\1/p' | tr -d ',')
check "the parser names its keys ($(wc -w <<<"$keys") of them)" test -n "$keys"
check "kcatch.conf(5) KEYS describes every key the parser knows" \
	describes "$(render "$MAN/man5/kcatch.conf.5")" KEYS "" $keys

# 3. bash completion, in a bash without a startup file
# comp FILE WORDS...: complete the last word (the cursor at its end) with
# the function FILE registers for the first; prints COMPREPLY, one a line
comp() {
	local file=$1
	shift
	bash --norc --noprofile -c '
		source "$1"; shift
		spec=$(complete -p "$(basename "$1")") || exit 1
		fn=${spec#*-F }; fn=${fn%% *}
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$file" "$@"
}
check "completion: kcatch registers _kcatch" \
	eval '[[ $(bash --norc -c "source \"$COMP/kcatch\"; complete -p kcatch") == "complete -F _kcatch kcatch" ]]'
out=$(comp "$COMP/kcatch" "$SBIN/kcatch" "")
check "completion: kcatch <TAB> offers every command of kcatch --help" \
	eval 'for c in $commands; do grep -qx "$c" <<<"$out" || { echo "missing $c"; exit 1; }; done'
check "completion: kcatch re<TAB> gives rebuild, report" \
	eval '[[ $(comp "$COMP/kcatch" "$SBIN/kcatch" re | sort | tr "\n" " ") == "rebuild report " ]]'
check "completion: kcatch --ro<TAB> gives --root" \
	eval '[[ $(comp "$COMP/kcatch" "$SBIN/kcatch" --ro) == --root ]]'
check "completion: kcatch status --dr<TAB> gives --dry-run" \
	eval '[[ $(comp "$COMP/kcatch" "$SBIN/kcatch" status --dr) == --dry-run ]]'
check "completion: nothing after a command that takes no argument" \
	eval '[[ -z $(comp "$COMP/kcatch" "$SBIN/kcatch" status "") ]]'
check "completion: kcatch crashkernel --size <TAB> offers auto and the forms of crashkernel=" \
	eval '[[ $(comp "$COMP/kcatch" "$SBIN/kcatch" crashkernel --size "" | tr "\n" " ") == "auto 256M 512M 512M,high 1G-4G:256M,4G-:512M " ]]'
check "completion: a --size value with ':' completes past the last ':'; --size's value is not a command" \
	eval '[[ $(comp "$COMP/kcatch" "$SBIN/kcatch" crashkernel --size 1G-4G:256M,4G) == "256M,4G-:512M" &&
		$(comp "$COMP/kcatch" "$SBIN/kcatch" --size 256M re | sort | tr "\n" " ") == "rebuild report " ]]'
# dump IDs from a fake root: kcatch list reads them
R=$W/root
mkdir -p "$R/etc" "$R/srv/dumps/2024-01-02-03:04:05-alpha" "$R/srv/dumps/2024-05-06-07:08:09-beta" "$R/srv/dumps/lost+found"
printf 'path /srv/dumps\n' >"$R/etc/kcatch.conf"
: >"$R/srv/dumps/2024-01-02-03:04:05-alpha/vmcore"
: >"$R/srv/dumps/2024-05-06-07:08:09-beta/vmcore"
out=$(comp "$COMP/kcatch" "$SBIN/kcatch" --root "$R" report "")
check "completion: kcatch --root R report <TAB> gives the dump IDs in R" \
	eval '[[ $(sort <<<"$out" | tr "\n" " ") == "2024-01-02-03:04:05-alpha 2024-05-06-07:08:09-beta " ]]'
out=$(comp "$COMP/kcatch" "$SBIN/kcatch" --root "$R" report 2024-05-06-07:0)
check "completion: an ID with ':' completes past the last ':' (COMP_WORDBREAKS)" \
	eval '[[ $out == "08:09-beta" ]]'
check "completion: --config with report reads that config's path" \
	eval 'printf "path /nowhere\n" >"$W/other.conf"; [[ -z $(comp "$COMP/kcatch" "$SBIN/kcatch" --root "$R" --config "$W/other.conf" report "") ]]'
check "completion: one ID only" \
	eval '[[ -z $(comp "$COMP/kcatch" "$SBIN/kcatch" --root "$R" report 2024-01-02-03:04:05-alpha "") ]]'
check "completion: kcatch-filter --dump-d<TAB> gives --dump-dmesg" \
	eval '[[ $(comp "$COMP/kcatch-filter" kcatch-filter --dump-d) == --dump-dmesg ]]'
check "completion: kcatch-filter -d 3<TAB> offers 31" \
	eval '[[ $(comp "$COMP/kcatch-filter" kcatch-filter -d 3 | tr "\n" " ") == *"31 "* ]]'
# every option --help lists is offered for "-<TAB>"
offers_options() {
	local all o
	all=$'\n'$(comp "$1" "$2" -)$'\n'
	for o in $(help_options "$3"); do
		[[ $all == *$'\n'"$o"$'\n'* ]] || { echo "missing $o"; return 1; }
	done
}
check "completion: kcatch-filter offers every option --help lists" \
	offers_options "$COMP/kcatch-filter" kcatch-filter "$SBIN/kcatch-filter"
mkdir -p "$R/lib/modules/6.1.0-9-amd64" "$R/usr/lib/modules/6.12.0-1-amd64"
check "completion: kcatch-mkinitramfs -r R -k <TAB> gives R's kernels" \
	eval '[[ $(comp "$COMP/kcatch-mkinitramfs" kcatch-mkinitramfs -r "$R" -k "" | tr "\n" " ") == "6.1.0-9-amd64 6.12.0-1-amd64 " ]]'
check "completion: kcatch-mkinitramfs offers every option --help lists" \
	offers_options "$COMP/kcatch-mkinitramfs" kcatch-mkinitramfs "$SBIN/kcatch-mkinitramfs"
# bash-completion itself finds the installed file by command name
BC=/usr/share/bash-completion/bash_completion
case ${dir[completionsdir]} in
*/bash-completion/completions) data=$D${dir[completionsdir]%/bash-completion/completions} ;;
*) data= ;;
esac
if [[ -r $BC && -n $data ]]; then
	check "bash-completion loads the installed kcatch completion on demand" \
		eval '[[ $(XDG_DATA_DIRS=$data bash --norc -c "source $BC; __load_completion kcatch && complete -p kcatch") == "complete -F _kcatch kcatch" ]]'
else
	skip "bash-completion loads it on demand" "no $BC or completionsdir not under a share dir"
fi

# 4. the installed units verify, pointing at the installed kcatch
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$W/units"
	for u in kcatch.service kcatch-report.service; do
		sed "s|^\(Exec[A-Za-z]*=\)${dir[sbindir]}/kcatch|\1$SBIN/kcatch|" "$UNITDIR/$u" >"$W/units/$u"
	done
	check "systemd-analyze verify the installed units" \
		eval 'out=$(cd "$W/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./*.service 2>&1); echo "$out"; [[ -z $out ]]'
else
	skip "systemd-analyze verify" "no systemd-analyze"
fi

tap_finish
