#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dracut hook of the kcatch module, sourced (never executed) by dracut at
# pre-pivot, when the storage is assembled and the root file system is
# mounted, and in the emergency hook when that never happened. In a
# capture kernel (/proc/vmcore exists) it runs kcatch-agent, which saves
# the dump and runs final_action (reboot by default); nothing comes back
# from here then. On a normal boot it does nothing.
if [ -e /proc/vmcore ]; then
    echo "kcatch: capture kernel: starting kcatch-agent from the dracut image" >/dev/console
    # A target on another logical volume than root: rd.lvm.lv= names only root's.
    if command -v lvm >/dev/null 2>&1; then
        lvm vgchange -aay --sysinit >/dev/null 2>&1
    fi
    /usr/libexec/kcatch/kcatch-agent --hosted </dev/null >/dev/console 2>&1
    echo "kcatch: kcatch-agent ended with status $? and no reboot; rebooting" >/dev/console
    # Never go on to boot the real system with crashkernel's memory.
    sync
    echo b >/proc/sysrq-trigger
    sleep 30
fi
