/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hosted mode (kcatch-agent --hosted): the agent runs as a child of a
 * distribution's initramfs (dracut's pre-pivot hook, initramfs-tools'
 * local-bottom script) in the capture kernel, after that initramfs
 * assembled the storage (LVM, RAID, multipath, iSCSI) and mounted the
 * root file system. Differences from PID 1 of kcatch's own image:
 *
 *  - /proc, /sys and /dev are normally mounted already: mount only what
 *    is missing, never a second instance on top;
 *  - there is no module manifest: udev loaded the drivers; extra_modules
 *    and fstype go through the image's modprobe, which knows the aliases;
 *  - the target is often the root file system itself, mounted read-only
 *    by the initramfs. A second read-write mount of an ext4/xfs device
 *    mounted read-only fails with EBUSY (one superblock, one read-only
 *    flag), so the existing mount is remounted read-write, and back to
 *    read-only when the agent is done, which also writes the journal back
 *    so that the next boot finds a clean file system.
 *
 * The watchdog, the waits and the final action are the same as PID 1's.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572

/* The mount point remounted read-write by kc_hosted_mount, "" if none. */
static char remounted_rw[PATH_MAX];

static bool mounted_as(const char *dir, long magic)
{
	struct statfs sf;
	return statfs(dir, &sf) == 0 && (long)sf.f_type == magic;
}

int kc_hosted_prepare(struct agent *a)
{
	struct stat root, dev;

	if (!mounted_as("/proc", PROC_SUPER_MAGIC) &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		kc_log("hosted: cannot mount proc on /proc: %m");
	if (!mounted_as("/sys", SYSFS_MAGIC) &&
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		kc_log("hosted: cannot mount sysfs on /sys: %m");
	/* devtmpfs reports TMPFS_MAGIC; /dev on the root file system has the root's device. */
	if (stat("/", &root) == 0 && stat("/dev", &dev) == 0 && dev.st_dev == root.st_dev &&
	    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL) < 0)
		kc_log("hosted: cannot mount devtmpfs on /dev: %m");
	/* Never a final action on a healthy system where someone typed --hosted. */
	if (access(a->vmcore_path, F_OK) < 0)
		return kc_log_errno(-errno, "hosted: no %s: this is not a capture kernel; nothing to do",
				    a->vmcore_path);
	kc_log("hosted: running under the distribution's initramfs as PID %d", (int)getpid());
	return 0;
}

/* Run argv to completion; its exit status, or -1. */
static int run(char *const argv[])
{
	pid_t pid;
	int status, r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	if (r) {
		errno = r;
		kc_log("hosted: cannot run %s: %m", argv[0]);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int kc_hosted_modules(struct agent *a)
{
	size_t n = a->cfg.n_extra_modules + (a->cfg.fstype ? 1 : 0), i = 0;
	const char **argv;
	int r;

	if (!n) {
		kc_log("hosted: drivers are the distribution initramfs's (no extra_modules or fstype)");
		return 0;
	}
	argv = calloc(n + 4, sizeof(*argv));
	if (!argv)
		return kc_log_errno(-ENOMEM, "hosted: out of memory");
	argv[i++] = "modprobe";
	argv[i++] = "-a";
	argv[i++] = "-b";  /* the host's blacklist still holds */
	for (size_t m = 0; m < a->cfg.n_extra_modules; m++)
		argv[i++] = a->cfg.extra_modules[m];
	if (a->cfg.fstype)
		argv[i++] = a->cfg.fstype;
	argv[i] = NULL;
	r = run((char *const *)argv);
	free(argv);
	kc_log("hosted: modprobe of %zu module(s) from extra_modules/fstype: %s", n,
	       r == 0 ? "ok" : "failed (going on; the target may still be usable)");
	return r == 0 ? 0 : -EIO;
}

/*
 * The mount point (root of the file system) where device dev is already
 * mounted, from /proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...".
 * Mount points with spaces are escaped as \040; those are not matched.
 */
static bool find_mount(dev_t dev, char *mp, size_t len)
{
	char line[4096], root[PATH_MAX], point[PATH_MAX];
	unsigned maj, min;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, point) == 4 &&
		    makedev(maj, min) == dev && !strcmp(root, "/") && !strchr(point, '\\')) {
			snprintf(mp, len, "%s", point);
			found = true;
		}
	fclose(f);
	return found;
}

int kc_hosted_mount(struct agent *a, const char *device, const char *mnt, const char *fstype,
		    unsigned long flags, const char *options)
{
	char mp[PATH_MAX];
	struct stat st;
	int r;

	if (mount(device, mnt, fstype, flags, options) == 0)
		return 0;
	r = errno;
	if (!a->hosted || r != EBUSY || stat(device, &st) < 0 || !S_ISBLK(st.st_mode) ||
	    !find_mount(st.st_rdev, mp, sizeof(mp))) {
		errno = r;
		return -1;
	}
	/* Mounted read-only by the initramfs (the root file system, usually). */
	kc_log("hosted: %s is mounted on %s, read-only; remounting it read-write", device, mp);
	if (mount(NULL, mp, NULL, MS_REMOUNT, NULL) < 0) {
		kc_log("hosted: remount %s read-write: %m", mp);
		errno = r;
		return -1;
	}
	snprintf(remounted_rw, sizeof(remounted_rw), "%s", mp);
	if (mount(device, mnt, fstype, flags, options) == 0)
		return 0;
	r = errno;
	kc_hosted_release(a);
	errno = r;
	return -1;
}

void kc_hosted_release(struct agent *a)
{
	(void)a;
	if (!remounted_rw[0])
		return;
	/* Read-only again: ext4 and xfs write their journal back on the way. */
	if (mount(NULL, remounted_rw, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		kc_log("hosted: remount %s read-only: %m", remounted_rw);
	else
		kc_log("hosted: %s is read-only again", remounted_rw);
	remounted_rw[0] = 0;
}
