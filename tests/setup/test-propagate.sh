#!/bin/bash
# kcatch propagate's restricted capture key, against a real sshd on
# 127.0.0.1 (its own host key and authorized_keys; the host's sshd is not
# used). propagate installs the key (the operator's login is a stand-in
# "ssh" that runs the install command in a fake home) as "restrict" plus
# the forced command, replacing an older unrestricted line of the same
# key. Then, through that key: the real kcatch-agent (test mode, real
# OpenSSH client) saves a dump to the collector, complete and readable,
# twice (the second in a new directory, the first untouched); and
# anything else is refused: a shell command, another directory, a path
# that climbs out, a name with a slash, writing into an existing dump,
# port forwarding. Nothing outside the collector directory changes.
#
#   test-propagate.sh KCATCH AGENT MKVMCORE KDUMP_VERIFY SPEC
set -uo pipefail
KCATCH=$(realpath "$1") AGENT=$(realpath "$2") MKVMCORE=$3 KV=$4 SPEC=$5
if [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh ssh-keygen ssh-keyscan >/dev/null; then
	echo "1..0 # SKIP needs openssh-server and openssh-client"
	exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-propagate.XXXXXX")
SSHD_PID=
cleanup() { [[ -n $SSHD_PID ]] && kill "$SSHD_PID" 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$W"; }
trap cleanup EXIT
. "$(dirname "$0")/../e2e/lib-tap.sh"
USER_NAME=$(id -un)
R=$W/root C=$W/collector H=$W/home
mkdir -p "$R/etc/kcatch" "$C" "$H/.ssh" "$W/bin" "$W/outside"
chmod 700 "$W"

# ---- the collector ----
ssh-keygen -q -t ed25519 -N '' -C kcatch-test-collector -f "$W/hostkey"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p /run/sshd 2>/dev/null
/usr/sbin/sshd -D -e -f /dev/null -o "ListenAddress=127.0.0.1:$PORT" -o "HostKey=$W/hostkey" \
	-o "AuthorizedKeysFile=$H/.ssh/authorized_keys" -o StrictModes=no -o PidFile=none \
	-o PermitRootLogin=prohibit-password -o PasswordAuthentication=no -o LogLevel=VERBOSE \
	>"$W/sshd.log" 2>&1 &
SSHD_PID=$!
for _ in $(seq 50); do ssh-keyscan -p "$PORT" 127.0.0.1 2>/dev/null | grep -q ssh-ed25519 && break; sleep 0.2; done

# ---- propagate ----
printf '%s\n' "target ssh://$USER_NAME@127.0.0.1:$PORT$C" "net auto dhcp" >"$R/etc/kcatch.conf"
# an older kcatch's unrestricted line of the same key, and someone else's key, already there
ssh-keygen -q -t ed25519 -N '' -C kcatch-capture@test -f "$R/etc/kcatch/id_kcatch"
ssh-keygen -q -t ed25519 -N '' -C admin@elsewhere -f "$W/admin"
cat "$R/etc/kcatch/id_kcatch.pub" "$W/admin.pub" >"$H/.ssh/authorized_keys"
BLOB=$(cut -d' ' -f2 "$R/etc/kcatch/id_kcatch.pub")
# the operator's own login: runs the install command in the collector's home
cat >"$W/bin/ssh" <<EOF
#!/bin/bash
for a; do [[ \$a == BatchMode=yes ]] && exec /usr/bin/ssh "\$@"; done
cd "$H" && exec sh -c "\${@: -1}"
EOF
chmod +x "$W/bin/ssh"
RC=0
OUT=$(PATH=$W/bin:$PATH timeout 60 "$KCATCH" --root "$R" propagate 2>&1) || RC=$?
echo "$OUT" | sed 's/^/#   /'
check "propagate: installed, and the restricted key logs in (status $RC)" \
	bash -c "[[ $RC == 0 ]] && grep -q 'the capture key logs in' <<<\"\$1\"" _ "$OUT"
check "authorized_keys: the capture key once, as restrict + forced command; the older unrestricted line gone" \
	bash -c "[[ \$(grep -cF '$BLOB' '$H/.ssh/authorized_keys') == 1 ]] &&
		grep -F '$BLOB' '$H/.ssh/authorized_keys' | grep -q '^restrict,command=\"'"
check "authorized_keys: the other key's line kept as it was" grep -qxF "$(cat "$W/admin.pub")" "$H/.ssh/authorized_keys"
RC=0
PATH=$W/bin:$PATH timeout 60 "$KCATCH" --root "$R" propagate >/dev/null 2>&1 || RC=$?
check "propagate again: still one line for the key (status $RC)" \
	bash -c "[[ $RC == 0 && \$(grep -cF '$BLOB' '$H/.ssh/authorized_keys') == 1 ]]"

# ---- the agent, through the restricted key ----
"$MKVMCORE" "$SPEC" "$W/vmcore" "$W/expect" >/dev/null || { echo "Bail out! mkvmcore $SPEC failed"; exit 1; }
ID=2023-11-14-22:13:20-synth-host   # CRASHTIME 1700000000, nodename synth-host
agent() {  # LOG: the agent's ssh:// save with the real OpenSSH client; status in RC
	RC=0
	timeout 120 "$AGENT" --vmcore "$W/vmcore" --root "$R" --config "$R/etc/kcatch.conf" >"$W/$1" 2>&1 || RC=$?
}
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
export -f json
(cd "$W/outside" && echo keep >victim)
snap() { (cd "$W" && find outside home/.ssh hostkey* root -printf '%p %y %s %T@\n' 2>/dev/null | sort); }
snap >"$W/before"
agent agent1.log
check "agent: saves through the restricted key: complete (status $RC)" \
	bash -c "[[ $RC == 0 ]] && grep -q 'RESULT complete' '$W/agent1.log'"
check "collector: vmcore-dmesg.txt, vmcore.flat and kcatch.json (complete), no .incomplete left" \
	bash -c "test -s '$C/$ID/vmcore-dmesg.txt' && test -s '$C/$ID/vmcore.flat' && ! test -e '$C/$ID/vmcore.flat.incomplete' &&
		[[ \$(json '$C/$ID/kcatch.json' status) == complete ]]"
check "kdump-verify: every page of vmcore.flat equals the vmcore's" \
	"$KV" --quiet --flattened --vmcore "$W/vmcore" "$C/$ID/vmcore.flat"
SUM=$(cd "$C/$ID" && sha256sum vmcore.flat kcatch.json vmcore-dmesg.txt)
agent agent2.log
check "agent again: a new directory $ID-2, complete; the first dump untouched (status $RC)" \
	bash -c "[[ $RC == 0 ]] && [[ \$(json '$C/$ID-2/kcatch.json' status) == complete ]] &&
		[[ \$(cd '$C/$ID' && sha256sum vmcore.flat kcatch.json vmcore-dmesg.txt) == \"\$1\" ]]" _ "$SUM"

# ---- anything else is refused ----
cssh() {  # ARGS...: ssh with the capture key; stdout+stderr in OUT, status in RC
	RC=0
	OUT=$(timeout 30 ssh -F /dev/null -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o "UserKnownHostsFile=$R/etc/kcatch/known_hosts" -o "HostKeyAlias=[127.0.0.1]:$PORT" \
		-o "IdentityFile=$R/etc/kcatch/id_kcatch" -o IdentitiesOnly=yes "$@" </dev/null 2>&1) || RC=$?
}
refused() {  # NAME COMMAND
	cssh -- "$USER_NAME@127.0.0.1" "$2"
	check "refused: $1 (status $RC)" bash -c "[[ $RC != 0 ]] && grep -q 'kcatch-receive: refused' <<<\"\$1\"" _ "$OUT"
}
Q="'"
refused "a shell command" "cat /etc/passwd; touch $W/outside/pwned"
refused "an interactive shell (no command)" ""
refused "a command with the right start and more after it" \
	"umask 077 && exec cat > $Q$C/x$Q/vmcore.flat.incomplete; touch $W/outside/pwned"
refused "another directory" "umask 077 && exec cat > $Q$W/outside$Q/vmcore.flat.incomplete"
refused "a path that climbs out" "umask 077 && exec cat > $Q$C/../outside$Q/vmcore.flat.incomplete"
refused "a name with a slash" "cd $Q$C/$ID/../..$Q && umask 077 && cat > kcatch.json.tmp && mv kcatch.json.tmp kcatch.json && echo kcatch-json"
refused "the stream into an existing dump" "umask 077 && exec cat > $Q$C/$ID$Q/vmcore.flat.incomplete"
refused "kcatch.json over an existing one" \
	"cd $Q$C/$ID$Q && umask 077 && cat > kcatch.json.tmp && mv kcatch.json.tmp kcatch.json && echo kcatch-json"
refused "the rename over a complete dump" \
	"cd $Q$C/$ID$Q && umask 077 && mv vmcore.flat.incomplete vmcore.flat && echo kcatch-renamed"
refused "a new directory elsewhere" \
	"umask 077; mkdir -p $Q$W/outside$Q || exit 3; for n in '' -2 -3 -4 -5 -6 -7 -8 -9; do if mkdir $Q$W/outside$Q/${Q}x$Q\$n 2>/dev/null; then echo ${Q}x$Q\$n; exec cat > $Q$W/outside$Q/${Q}x$Q\$n/vmcore-dmesg.txt; fi; done; echo \"kcatch: cannot make a directory for \"${Q}x$Q\" in \"$Q$W/outside$Q >&2; exit 3"
cssh -- "$USER_NAME@127.0.0.1" true
check "allowed: true (propagate's login check) (status $RC)" test "$RC" = 0
RC=0
timeout 20 ssh -F /dev/null -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes \
	-o "UserKnownHostsFile=$R/etc/kcatch/known_hosts" -o "HostKeyAlias=[127.0.0.1]:$PORT" \
	-o "IdentityFile=$R/etc/kcatch/id_kcatch" -o IdentitiesOnly=yes -N -L "127.0.0.1:0:127.0.0.1:$PORT" \
	"$USER_NAME@127.0.0.1" >/dev/null 2>&1 || RC=$?
check "refused: port forwarding (restrict) (status $RC)" test "$RC" != 0
snap >"$W/after"
check "nothing outside the collector directory created or changed" \
	bash -c "diff '$W/before' '$W/after' && ! test -e '$W/outside/pwned'"
check "collector: only the two dumps" bash -c "[[ \$(ls '$C' | tr '\n' ' ') == '$ID $ID-2 ' ]]"
check "the collector's sshd still runs" kill -0 "$SSHD_PID"
tap_finish
