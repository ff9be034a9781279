/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Find the dump target and mount it. There is no udev in the capture
 * kernel, so no /dev/disk/by-uuid: every block device in /sys/class/block
 * is probed with libblkid until one matches, for at most target_timeout
 * seconds (drivers finish probing asynchronously). The file system type
 * comes from the same probe.
 *
 * The kinds of target are rows of struct kc_target_ops (agent.h): disk
 * here, nfs in nfs.c, ssh in ssh.c; kc_target_ops() picks the row.
 */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

static const char *blkid_tag(enum kc_target_kind k)
{
	switch (k) {
	case KC_TARGET_UUID: return "UUID";
	case KC_TARGET_LABEL: return "LABEL";
	case KC_TARGET_PARTUUID: return "PART_ENTRY_UUID";
	case KC_TARGET_PARTLABEL: return "PART_ENTRY_NAME";
	default: return NULL;
	}
}

/* Probe dev; true when it matches t (any device when t is a /dev path). */
static bool probe(const char *dev, const struct kc_target_spec *t, char *fstype, size_t fslen)
{
	const char *tag = blkid_tag(t->kind), *v;
	bool match = !tag;
	blkid_probe pr = blkid_new_probe_from_filename(dev);

	if (!pr)
		return false;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) == 0) {
		if (tag && blkid_probe_lookup_value(pr, tag, &v, NULL) == 0)
			match = t->kind == KC_TARGET_LABEL || t->kind == KC_TARGET_PARTLABEL ?
				!strcmp(v, t->value) : !strcasecmp(v, t->value);
		if (match && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
			snprintf(fstype, fslen, "%s", v);
	} else {
		match = false;
	}
	blkid_free_probe(pr);
	return match;
}

/* /dev/NAME for a /sys/class/block entry, made if devtmpfs did not. */
static bool dev_node(const char *name, char *dev, size_t len)
{
	char p[PATH_MAX], buf[64];
	unsigned maj, min;
	FILE *f;
	struct stat st;

	snprintf(dev, len, "/dev/%s", name);
	if (stat(dev, &st) == 0)
		return S_ISBLK(st.st_mode);
	snprintf(p, sizeof(p), "/sys/class/block/%s/dev", name);
	f = fopen(p, "re");
	if (!f)
		return false;
	bool ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &maj, &min) == 2;
	fclose(f);
	return ok && mknod(dev, S_IFBLK | 0600, makedev(maj, min)) == 0;
}

static bool nonempty(const char *name)
{
	char p[PATH_MAX], buf[32];
	FILE *f;
	snprintf(p, sizeof(p), "/sys/class/block/%s/size", name);
	f = fopen(p, "re");
	if (!f)
		return false;
	bool ok = fgets(buf, sizeof(buf), f) && strtoull(buf, NULL, 10) > 0;
	fclose(f);
	return ok;
}

/* One pass over the block devices; lists their names into seen. */
static bool scan(const struct kc_target_spec *t, struct save_result *res, char *seen, size_t seenlen)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	char dev[PATH_MAX];
	bool found = false;

	seen[0] = 0;
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !nonempty(e->d_name))
			continue;
		if (strlen(seen) + strlen(e->d_name) + 2 < seenlen)
			strcat(strcat(seen, " "), e->d_name);
		if (!dev_node(e->d_name, dev, sizeof(dev)))
			continue;
		if (probe(dev, t, res->fstype, sizeof(res->fstype))) {
			snprintf(res->device, sizeof(res->device), "%s", dev);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static bool find_device(const struct kc_target_spec *t, struct save_result *res, char *seen, size_t seenlen)
{
	struct stat st;

	if (t->kind != KC_TARGET_DEVICE)
		return scan(t, res, seen, seenlen);
	snprintf(seen, seenlen, " %s missing", t->value);
	if (stat(t->value, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	snprintf(res->device, sizeof(res->device), "%s", t->value);
	probe(t->value, t, res->fstype, sizeof(res->fstype));
	return true;
}

static void nap(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait for a directory (test mode and "target /some/dir"). */
static int wait_dir(struct agent *a, const char *dir, const char *spec)
{
	double deadline = kc_now() + a->cfg.target_timeout;
	struct stat st;

	while (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (kc_now() >= deadline)
			return kc_log_errno(-ENOENT, "target %s: no directory %s after %u s", spec, dir,
					    a->cfg.target_timeout);
		nap(200);
	}
	return 0;
}

int kc_target_acquire(struct agent *a, const struct kc_target_spec *t, char *mnt, size_t mntlen,
		      struct save_result *res)
{
	double t0 = kc_now();
	int r;

	snprintf(res->spec, sizeof(res->spec), "%s", t->text ? t->text : "");
	kc_watchdog_phase(a, "waiting for the dump target");
	if (t->kind == KC_TARGET_NONE) {
		if (!a->test_mode)
			return kc_log_errno(-EINVAL, "no target in %s: nowhere to save the dump", a->config_path);
		snprintf(mnt, mntlen, "%s", a->root);
		return 0;
	}
	if (t->kind == KC_TARGET_DIR) {
		kc_join(mnt, mntlen, a->root, t->value);
		r = wait_dir(a, mnt, t->text);
		res->target_secs = kc_now() - t0;
		return r;
	}
	if (a->test_mode) {
		kc_log("test mode: target %s stands for --root %s", t->text, a->root);
		snprintf(mnt, mntlen, "%s", a->root);
		return 0;
	}
	return kc_target_ops(t->kind)->mount(a, t, mnt, mntlen, res);
}

/* A block device: found by probing (no udev here), then mounted. */
static int disk_mount(struct agent *a, const struct kc_target_spec *t, char *mnt, size_t mntlen,
		      struct save_result *res)
{
	char seen[512];
	double t0 = kc_now(), deadline = t0 + a->cfg.target_timeout, next_note = t0 + 5;
	int r;

	kc_log("looking for target %s (up to %u s)", t->text, a->cfg.target_timeout);
	while (!find_device(t, res, seen, sizeof(seen))) {
		double now = kc_now();
		if (now >= deadline) {
			res->target_secs = now - t0;
			return kc_log_errno(-ENODEV, "target %s not found after %u s (block devices:%s)",
					    t->text, a->cfg.target_timeout, seen[0] ? seen : " none");
		}
		if (now >= next_note) {
			kc_log("still waiting for %s (%.0f s left; block devices:%s)", t->text,
			       deadline - now, seen[0] ? seen : " none");
			next_note = now + 5;
		}
		nap(200);
	}
	if (a->cfg.fstype)
		snprintf(res->fstype, sizeof(res->fstype), "%s", a->cfg.fstype);
	kc_log("target %s is %s (%s)", t->text, res->device, res->fstype[0] ? res->fstype : "unknown type");
	if (!res->fstype[0])
		return kc_log_errno(-EMEDIUMTYPE, "%s holds no file system libblkid knows; set fstype", res->device);

	snprintf(mnt, mntlen, "/kcatch/%s", res->role);
	kc_mkdir_p(mnt, 0700);
	kc_watchdog_phase(a, "mounting the dump target");
	if (kc_hosted_mount(a, res->device, mnt, res->fstype, MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  a->cfg.mount_options) < 0) {
		r = -errno;
		res->target_secs = kc_now() - t0;
		return kc_log_errno(r, "mount %s (%s) on %s: %m%s", res->device, res->fstype, mnt,
				    r == -ENODEV ? " (file system not in this kernel: add its module with extra_modules)" : "");
	}
	snprintf(a->mounted, sizeof(a->mounted), "%s", mnt);
	res->target_secs = kc_now() - t0;
	kc_log("mounted %s on %s (%.1f s)", res->device, mnt, res->target_secs);
	return 0;
}

void kc_target_release(struct agent *a)
{
	if (!a->mounted[0])
		return;
	kc_watchdog_phase(a, "unmounting the dump target");
	sync();
	if (umount2(a->mounted, 0) < 0) {
		kc_log("umount %s: %m; detaching it", a->mounted);
		umount2(a->mounted, MNT_DETACH);
	}
	a->mounted[0] = 0;
	kc_hosted_release(a);
}

/* Every kind but nfs:// and ssh://: UUID=, LABEL=, PARTUUID=, PARTLABEL=,
 * a /dev path, a directory (and none, in test mode). */
static const struct kc_target_ops kc_target_disk = {
	.name = "disk",
	.mount = disk_mount,
	.save = kc_save_mounted,
};

const struct kc_target_ops *kc_target_ops(enum kc_target_kind kind)
{
	switch (kind) {
	case KC_TARGET_NFS: return &kc_target_nfs;
	case KC_TARGET_SSH: return &kc_target_ssh;
	default: return &kc_target_disk;
	}
}
