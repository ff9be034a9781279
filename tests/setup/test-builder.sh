#!/bin/bash
# kcatch.conf "builder": kcatch rebuild / load --dry-run on a fake root
# with fake dracut and mkinitramfs programs (first in PATH) that record
# their arguments, the KCATCH_* environment, the config handed to them and
# the mode of its directory, and write an image. Asserts the exact
# invocations, that the image is the builder's and is renamed into place,
# that nothing is left behind, that a builder change is a reason to rebuild
# (and an old stamp without a builder line is not), the messages for a
# missing builder, a missing hook, a failing builder and an ssh:// target,
# and what show says.
#
#   test-builder.sh KCATCH AGENT
set -uo pipefail
KCATCH=$(realpath "$1") AGENT=$(realpath "$2")
W=$(mktemp -d "${TMPDIR:-/tmp}/kcatch-test-builder.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/../e2e/lib-tap.sh"
tap_context() { printf '%s\n' "$OUT"; }  # what the command under test printed
BIN=$W/bin LOG=$W/log
mkdir -p "$BIN" "$LOG"
# k ARGS...: kcatch on the fake root with only $BIN in PATH (the host's own
# dracut or mkinitramfs must not be found); sets RC and OUT
k() { RC=0; OUT=$(PATH=$BIN FAKE_LOG=$LOG KCATCH_AGENT=$AGENT "$KCATCH" --root "$R" "$@" 2>&1) || RC=$?; }
has() { grep -qF -- "$1" <<<"$OUT"; }

. "$(dirname "$0")/lib-setup.sh"

# fake_builder NAME: records and writes "fake NAME image" to its output
# ($FAKE_MODE fail: exit 1 without an image; empty: exit 0 without one)
fake_builder() {
	cat >"$BIN/$1" <<'EOF'
#!/bin/bash
PATH=/usr/bin:/bin
name=$(basename "$0") out=
prev=
for a in "$@"; do [[ $prev == -o ]] && out=$a; prev=$a; done
[[ $name == dracut ]] && out=${*: -1}
{
	for a in "$0" "$@"; do echo "arg $a"; done
	for v in KCATCH_AGENT KCATCH_CONF KCATCH_INITRAMFS; do echo "env $v=${!v-(unset)}"; done
	echo "confdir $(stat -c '%a %U' "$(dirname "$KCATCH_CONF")")"
} >"$FAKE_LOG/$name.args"
cp "$KCATCH_CONF" "$FAKE_LOG/$name.conf"
case ${FAKE_MODE:-} in fail) echo "$name: failing as asked" >&2; exit 1 ;; empty) exit 0 ;; esac
echo "fake $name image" >"$out"
EOF
	chmod 755 "$BIN/$1"
}
# arg_lines FILE: the recorded arguments, one line, the private directory as DIR
arg_lines() { sed -n 's/^arg //p' "$1" | sed "s|$R/var/lib/kcatch/.build-$REL\.[A-Za-z0-9]\{6\}/|DIR/|" | tr '\n' ' '; }

R=$W/root REL=6.1.0-99-amd64
mkdir -p "$R/boot" "$R/var/crash" "$R/lib/modules/$REL"
fake_host "$R" "$REL" || { echo "Bail out! mkfs.ext4 failed"; exit 1; }
mkkernel "$R/boot/vmlinuz-$REL" 50 0
echo 268435456 >"$R/sys/kernel/kexec_crash_size"
IMG=$R/var/lib/kcatch/initrd-$REL.img
DHOOK=$R/usr/lib/dracut/modules.d/99kcatch/module-setup.sh ITHOOK=$R/usr/share/initramfs-tools/hooks/kcatch
leftovers() { [[ $(ls -A "$R/var/lib/kcatch" 2>/dev/null | sort | tr '\n' ' ') == "${1:-initrd-$REL.img initrd-$REL.img.stamp }" ]]; }

# 1. the key
echo "builder genkernel" >>"$R/etc/kcatch.conf"
k show
check "config: an unknown builder is refused, naming the three" \
	has "kcatch.conf:3: builder \"genkernel\" must be one of kcatch, dracut, initramfs-tools"
sed -i 's/^builder .*/builder dracut/' "$R/etc/kcatch.conf"
k show
check "show: the config's builder line (status $RC)" grep -qx "builder dracut" <<<"$OUT"

# 2. dracut missing, then its hook missing: nothing built, the fix named
k rebuild
check "dracut missing: exit 1, names the package and the fix; nothing built (status $RC)" \
	eval '[[ $RC == 1 ]] && has "kcatch: builder dracut (in $R/etc/kcatch.conf): dracut is not installed (not in PATH): install the package dracut (apt install dracut), or set \"builder kcatch\"" &&
		[[ ! -e $R/var/lib/kcatch ]]'
k test
check "test: dracut missing is a failed check that names the fix (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL builder dracut (in $R/etc/kcatch.conf): dracut is not installed (not in PATH): install the package dracut"'
fake_builder dracut
k rebuild
check "dracut's kcatch module missing: exit 1, says where it belongs (status $RC)" \
	eval '[[ $RC == 1 ]] && has "kcatch: builder dracut: kcatch'"'"'s hook $DHOOK is missing (No such file or directory)" && [[ ! -e $BIN/../log/dracut.args ]]'

# 3. dracut builds the image
mkdir -p "${DHOOK%/*}" && echo '# module-setup' >"$DHOOK"
RC=0 OUT=$(PATH=$BIN FAKE_LOG=$LOG KCATCH_AGENT=$W/no-agent "$KCATCH" --root "$R" rebuild 2>&1) || RC=$?
check "no agent: refused before dracut runs (its hook would leave kcatch out) (status $RC)" \
	eval '[[ $RC == 1 ]] && has "kcatch: no executable kcatch-agent at $W/no-agent: give --agent FILE or set KCATCH_AGENT" &&
		[[ ! -e $LOG/dracut.args ]]'
k rebuild
echo "# $(grep -o 'built .*' <<<"$OUT")"
check "rebuild with dracut: exit 0, says so, the image is dracut's (status $RC)" \
	eval '[[ $RC == 0 ]] && has "building with $BIN/dracut (dracut'"'"'s hook /usr/lib/dracut/modules.d/99kcatch/module-setup.sh)" &&
		has "built $IMG (" && [[ $(cat "$IMG") == "fake dracut image" ]]'
check "dracut's exact arguments: --no-hostonly-cmdline --add kcatch, the root's modules, --kver, the private output" \
	eval '[[ $(arg_lines "$LOG/dracut.args") == "$BIN/dracut --no-hostonly-cmdline --add kcatch --kmoddir $R/lib/modules/$REL --kver $REL DIR/initrd.img " ]]'
check "dracut's environment: the agent and the embedded config for the hook; no KCATCH_INITRAMFS" \
	eval 'grep -qx "env KCATCH_AGENT=$AGENT" "$LOG/dracut.args" &&
		grep -qx "env KCATCH_CONF=$R/var/lib/kcatch/.build-$REL.[A-Za-z0-9]\{6\}/kcatch.conf" "$LOG/dracut.args" &&
		grep -qx "env KCATCH_INITRAMFS=(unset)" "$LOG/dracut.args"'
check "the config the hook got is in a private directory (mode 700, the caller's)" \
	grep -qx "confdir 700 $(id -un)" "$LOG/dracut.args"
check "the config the hook got is the resolved one: the target found, the builder line" \
	eval 'grep -qx "target UUID=$U1" "$LOG/dracut.conf" && grep -qx "path /var/crash" "$LOG/dracut.conf" &&
		grep -qx "fstype ext4" "$LOG/dracut.conf" && grep -qx "builder dracut" "$LOG/dracut.conf"'
check "the stamp records the builder, its program and its hook; nothing else is left" \
	eval 'grep -qx "builder dracut" "$IMG.stamp" && grep -q "^builder_program $BIN/dracut size=" "$IMG.stamp" &&
		grep -q "^hook $DHOOK size=" "$IMG.stamp" && ! grep -q "^mkinitramfs " "$IMG.stamp" && leftovers'
k test
check "test: the builder's program and hook found (status $RC)" \
	eval '[[ $RC == 0 ]] && has "ok   builder dracut: $BIN/dracut and kcatch'"'"'s hook"'
k load --dry-run
check "load --dry-run: the dracut image is up to date, no rebuild (status $RC)" \
	eval '[[ $RC == 0 ]] && ! has rebuilding && grep -qx "initrd   $IMG" <<<"$OUT"'
# show and status name the image's builder (from its stamp); they live
# in systemd/checks.c, which may not print it yet: skipped then
k show
if grep -q '^image builder' <<<"$OUT"; then
	check "show: image builder dracut" grep -qx "image builder        dracut" <<<"$OUT"
	echo 1 >"$R/sys/kernel/kexec_crash_loaded"
	k status
	check "status: armed, the image built by dracut (status $RC)" \
		eval '[[ $RC == 0 ]] && grep -qx "capture image $IMG (built by dracut)" <<<"$OUT"'
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
else
	skip "show/status: the image's builder" "systemd/checks.c does not print it (image_builder())"
fi
touch -d '+1 minute' "$DHOOK"
k test
check "test: a changed dracut hook makes the image out of date (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL capture image: rebuild needed: hook changed: $DHOOK size="'
k rebuild

# 4. a failing builder, one that writes nothing: the image is kept
FAKE_MODE=fail k rebuild
check "dracut fails: exit 1, the old image kept, no private directory left (status $RC)" \
	eval '[[ $RC == 1 ]] && has "dracut: failing as asked" && has "kcatch: $BIN/dracut failed (exit status 1, see above); $IMG is unchanged" &&
		[[ $(cat "$IMG") == "fake dracut image" ]] && leftovers'
export FAKE_MODE=empty
k rebuild
unset FAKE_MODE
check "dracut writes no image: exit 1, said, the old image kept (status $RC)" \
	eval '[[ $RC == 1 ]] && has "exited with status 0 but wrote no image" && [[ $(cat "$IMG") == "fake dracut image" ]] && leftovers'

# 5. initramfs-tools: a builder change is a reason to rebuild
sed -i 's/^builder .*/builder initramfs-tools/' "$R/etc/kcatch.conf"
k test
check "test: builder changed to initramfs-tools: rebuild needed, says from what to what (status $RC)" \
	eval '[[ $RC == 1 ]] && has "FAIL capture image: rebuild needed: the builder changed: was dracut, now initramfs-tools"'
k load --dry-run
check "load: mkinitramfs missing: not loaded, names the package initramfs-tools; old image kept (status $RC)" \
	eval '[[ $RC == 1 ]] && has "mkinitramfs is not installed (not in PATH): install the package initramfs-tools (apt install initramfs-tools), or set \"builder kcatch\"" &&
		[[ $(cat "$IMG") == "fake dracut image" ]]'
fake_builder mkinitramfs
k rebuild
check "initramfs-tools hook missing: exit 1, names it (status $RC)" \
	eval '[[ $RC == 1 ]] && has "builder initramfs-tools: kcatch'"'"'s hook $ITHOOK is missing"'
mkdir -p "${ITHOOK%/*}" && echo '# hook' >"$ITHOOK"
k load --dry-run
check "load --dry-run: rebuilds with mkinitramfs, saying why, then loads (status $RC)" \
	eval '[[ $RC == 0 ]] && has "rebuilding /var/lib/kcatch/initrd-$REL.img: the builder changed: was dracut, now initramfs-tools" &&
		[[ $(cat "$IMG") == "fake mkinitramfs image" ]] && grep -qx "initrd   $IMG" <<<"$OUT" && leftovers'
check "mkinitramfs's exact arguments: -o the private output, the release" \
	eval '[[ $(arg_lines "$LOG/mkinitramfs.args") == "$BIN/mkinitramfs -o DIR/initrd.img $REL " ]]'
check "mkinitramfs's environment: KCATCH_INITRAMFS=y, the agent, the embedded config" \
	eval 'grep -qx "env KCATCH_INITRAMFS=y" "$LOG/mkinitramfs.args" && grep -qx "env KCATCH_AGENT=$AGENT" "$LOG/mkinitramfs.args" &&
		grep -qx "env KCATCH_CONF=$R/var/lib/kcatch/.build-$REL.[A-Za-z0-9]\{6\}/kcatch.conf" "$LOG/mkinitramfs.args" &&
		grep -qx "confdir 700 $(id -un)" "$LOG/mkinitramfs.args" && grep -qx "target UUID=$U1" "$LOG/mkinitramfs.conf"'

# 6. ssh:// needs kcatch-mkinitramfs (the key pair)
cp "$R/etc/kcatch.conf" "$W/conf.keep"
printf 'target ssh://kcatch@192.0.2.1/dumps\nnet eth0 dhcp\n' >>"$R/etc/kcatch.conf"
sed -i '/^path /d' "$R/etc/kcatch.conf"
k rebuild
check "an ssh:// target with builder initramfs-tools: refused, builder kcatch named (status $RC)" \
	eval '[[ $RC == 1 ]] && has "builder initramfs-tools: an ssh:// target needs the key pair in the image, which only kcatch-mkinitramfs puts there: set \"builder kcatch\"" &&
		[[ $(cat "$IMG") == "fake mkinitramfs image" ]]'
cp "$W/conf.keep" "$R/etc/kcatch.conf"

# 7. back to kcatch-mkinitramfs (the default): a rebuild, and old stamps
sed -i '/^builder /d' "$R/etc/kcatch.conf"
k test
check "test: builder line removed: rebuild needed, was initramfs-tools, now kcatch (status $RC)" \
	has "rebuild needed: the builder changed: was initramfs-tools, now kcatch"
cat >"$BIN/kcatch-mkinitramfs" <<'EOF'
#!/bin/bash
for a in "$@"; do [[ $prev == --output ]] && echo "fake kcatch-mkinitramfs image" >"$a"; prev=$a; done
EOF
chmod 755 "$BIN/kcatch-mkinitramfs"
k rebuild --mkinitramfs "$BIN/kcatch-mkinitramfs"
check "rebuild with kcatch-mkinitramfs again; the stamp says builder kcatch (status $RC)" \
	eval '[[ $RC == 0 ]] && [[ $(cat "$IMG") == "fake kcatch-mkinitramfs image" ]] && grep -qx "builder kcatch" "$IMG.stamp" &&
		grep -q "^mkinitramfs $BIN/kcatch-mkinitramfs size=" "$IMG.stamp" && leftovers'
sed -i '/^builder /d' "$IMG.stamp"
k test --mkinitramfs "$BIN/kcatch-mkinitramfs"
check "a stamp from before the builder key counts as builder kcatch: up to date (status $RC)" \
	eval '! has "rebuild needed" && has "ok   capture image: $IMG is up to date"'

tap_finish
