# The guest-side checks shared by test-arm.sh (x86_64) and
# test-arm-arm64.sh (sourced after lib-e2e.sh; $W is the test's work
# directory, $W/disk.img its disk). Each kcatch run in the guest leaves
# /var/log/e2e/BOOT/NN-NAME.out and .rc (guest/arm-root.sh).

# The disk's /var/log/e2e and /var/crash into $W/out (debugfs, no mount)
extract() {
	rm -rf "$W/out"
	mkdir -p "$W/out"
	debugfs -R "rdump /var/log/e2e $W/out" "$W/disk.img" >/dev/null 2>&1
	debugfs -R "rdump /var/crash $W/out" "$W/disk.img" >/dev/null 2>&1
}
# step BOOT NAME: path of the output of a kcatch run in the guest; rc BOOT NAME: its exit status
step() { ls "$W/out/e2e/$1/"[0-9][0-9]-"$2.out" 2>/dev/null | head -n 1; }
rc() { local f; f=$(step "$1" "$2"); cat "${f%.out}.rc" 2>/dev/null || echo missing; }
# check_step BOOT NAME RC DESCRIPTION [GREP -E PATTERN...]: exit status and lines of a run
check_step() {
	local b=$1 name=$2 want=$3 d=$4 f got p bad=
	shift 4
	f=$(step "$b" "$name")
	got=$(rc "$b" "$name")
	[[ $got == "$want" ]] || bad="exit $got, not $want"
	for p in "$@"; do
		[[ -n $bad ]] && break
		grep -Eq -- "$p" "$f" || bad="no line matches /$p/"
	done
	if [[ -z $bad ]]; then
		ok "kcatch $name: $d"
	else
		not_ok "kcatch $name: $d ($bad)"
		sed 's/^/#   /' "${f:-/dev/null}" | tail -n 25
	fi
}
# loaded WHEN: /sys/kernel/kexec_crash_loaded as boot 1 recorded it
loaded() { cat "$W/out/e2e/arm/$1.loaded" 2>/dev/null || echo missing; }
