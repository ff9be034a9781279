/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the dump goes. With an explicit device target (UUID=, LABEL=,
 * PARTUUID=, PARTLABEL=, /dev/...) the device is looked up and probed;
 * without one (no target, or a directory), the file system that holds
 * the dump directory on this host is found in mountinfo with libmount,
 * as kdumpctl does, and its UUID and type are probed with libblkid. The
 * capture kernel mounts nothing by itself, so the image must embed a
 * device target: resolved_config() writes the found one into the config.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <libmount/libmount.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "kcatch.h"

/* Probe a device (or an image file) for its file system's UUID, type and label. */
static bool probe(const char *abs, struct target_info *t)
{
	blkid_probe pr = blkid_new_probe_from_filename(abs);
	const char *v;
	bool ok = false;
	if (!pr)
		return false;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	if (blkid_do_safeprobe(pr) == 0) {
		ok = true;
		if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0)
			fmt(t->uuid, sizeof(t->uuid), "%s", v);
		if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
			fmt(t->fstype, sizeof(t->fstype), "%s", v);
		if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0)
			fmt(t->label, sizeof(t->label), "%s", v);
	}
	blkid_free_probe(pr);
	return ok;
}

/* Is dir inside mountpoint mp (at a path component boundary)? */
static size_t prefix_len(const char *mp, const char *dir)
{
	size_t n = strlen(mp);
	if (strcmp(mp, "/") == 0)
		return 1;
	if (strncmp(mp, dir, n) == 0 && (dir[n] == '/' || dir[n] == 0))
		return n;
	return 0;
}

struct mount_hit {
	char target[512], source[512], root[512], fstype[32];
};

/*
 * The mount that holds dir (longest mount point; of equal ones the last,
 * which shadows the others), or with by_source, the first mount of that
 * device. <root>/proc/self/mountinfo, parsed by libmount.
 */
static bool find_mount(const struct opts *o, const char *dir, const char *by_source, struct mount_hit *h,
		       char *err, size_t errlen)
{
	char p[4096];
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	size_t best = 0;
	bool found = false;
	if (!tb || !it || mnt_table_parse_file(tb, rpath(o, "/proc/self/mountinfo", p, sizeof(p))) < 0) {
		fmt(err, errlen, "cannot read the mount table %s", p);
		goto out;
	}
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *tg = mnt_fs_get_target(fs), *src = mnt_fs_get_source(fs);
		size_t n;
		if (!tg || !src)
			continue;
		if (by_source) {
			if (strcmp(src, by_source))
				continue;
			n = SIZE_MAX;
		} else if (!(n = prefix_len(tg, dir)) || n < best) {
			continue;
		}
		best = n;
		found = true;
		fmt(h->target, sizeof(h->target), "%s", tg);
		fmt(h->source, sizeof(h->source), "%s", src);
		fmt(h->root, sizeof(h->root), "%s", mnt_fs_get_root(fs) ? mnt_fs_get_root(fs) : "/");
		fmt(h->fstype, sizeof(h->fstype), "%s", mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "");
		if (by_source)
			break;
	}
	if (!found)
		fmt(err, errlen, "no mount in %s holds %s", p, by_source ? by_source : dir);
out:
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return found;
}

static void free_space(struct target_info *t, const struct opts *o)
{
	struct statvfs sv;
	char p[4096];
	const char *at = t->host_dir[0] && access(t->host_dir, F_OK) == 0 ? t->host_dir :
			 t->mountpoint[0] ? rpath(o, t->mountpoint, p, sizeof(p)) : NULL;
	if (at && statvfs(at, &sv) == 0) {
		t->have_space = true;
		t->free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	}
}

static void explicit_device(const struct opts *o, const struct kc_config *c, struct target_info *t)
{
	const char *tag = kc_target_tag(c->target.kind), *path = c->path ? c->path : KC_DEFAULT_PATH;
	char link[1024], abs[4096], real[PATH_MAX], err[600];
	struct mount_hit h;

	t->explicit_target = true;
	fmt(t->spec, sizeof(t->spec), "%s", c->target.text);
	if (!tag) {
		fmt(t->device, sizeof(t->device), "%s", c->target.value);
	} else {
		char lower[16];
		size_t i;
		for (i = 0; tag[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)(tag[i] | 0x20);
		lower[i] = 0;
		fmt(link, sizeof(link), "/dev/disk/by-%s/%s", lower, c->target.value);
		if (access(rpath(o, link, abs, sizeof(abs)), F_OK) == 0) {
			size_t rl = strcmp(o->root, "/") ? strlen(o->root) : 0;
			if (realpath(abs, real) && strncmp(real, o->root, rl) == 0)
				fmt(t->device, sizeof(t->device), "%s", real + rl);
			else
				fmt(t->device, sizeof(t->device), "%s", link);
		} else if (strcmp(o->root, "/") == 0) {
			/* no udev links (e.g. early boot): libblkid scans /proc/partitions */
			char *dev = blkid_evaluate_tag(tag, c->target.value, NULL);
			if (dev)
				fmt(t->device, sizeof(t->device), "%s", dev);
			free(dev);
		}
	}
	if (!t->device[0] || access(rpath(o, t->device, abs, sizeof(abs)), F_OK) < 0) {
		fmt(t->error, sizeof(t->error), "target %s: no such device on this host (%s); attach it, "
			 "or fix target in the config", c->target.text, t->device[0] ? abs : "no device has it");
		return;
	}
	t->ok = true;
	probe(abs, t);
	fmt(t->path_on_fs, sizeof(t->path_on_fs), "%s", path);
	if (find_mount(o, NULL, t->device, &h, err, sizeof(err))) {
		char dir[2048];
		fmt(t->mountpoint, sizeof(t->mountpoint), "%s", h.target);
		if (strcmp(h.root, "/") == 0) {
			kc_join(dir, sizeof(dir), h.target, path);
			rpath(o, dir, t->host_dir, sizeof(t->host_dir));
		}
	}
	free_space(t, o);
}

void resolve_target(const struct opts *o, const struct kc_config *c, struct target_info *t)
{
	const char *path = c->path ? c->path : KC_DEFAULT_PATH;
	char dir[2048], abs[4096], err[600], in_fs[2048];
	struct mount_hit h;

	memset(t, 0, sizeof(*t));
	if (c->target.kind == KC_TARGET_SSH || c->target.kind == KC_TARGET_NFS) {
		t->network = t->explicit_target = t->ok = true;
		fmt(t->spec, sizeof(t->spec), "%s", c->target.text);
		return;
	}
	if (c->target.kind != KC_TARGET_NONE && c->target.kind != KC_TARGET_DIR) {
		explicit_device(o, c, t);
		return;
	}
	if (c->target.kind == KC_TARGET_DIR && strcmp(c->target.value, "/"))
		kc_join(dir, sizeof(dir), c->target.value, path);
	else
		fmt(dir, sizeof(dir), "%s", path);
	/* symlinks in the dump path lead elsewhere; on the real root, follow them */
	if (strcmp(o->root, "/") == 0) {
		char real[PATH_MAX];
		if (realpath(dir, real))
			fmt(dir, sizeof(dir), "%s", real);
	}
	rpath(o, dir, t->host_dir, sizeof(t->host_dir));
	if (!find_mount(o, dir, NULL, &h, err, sizeof(err))) {
		fmt(t->error, sizeof(t->error), "finding the file system of %s: %s; set target in the config",
			 dir, err);
		return;
	}
	fmt(t->mountpoint, sizeof(t->mountpoint), "%s", h.target);
	fmt(t->device, sizeof(t->device), "%s", h.source);
	kc_join(in_fs, sizeof(in_fs), h.root, dir + prefix_len(h.target, dir));
	fmt(t->path_on_fs, sizeof(t->path_on_fs), "%s", in_fs);
	free_space(t, o);
	if (h.source[0] != '/') {
		fmt(t->error, sizeof(t->error), "%s is on %s (%s), not a block device: the capture kernel "
			 "cannot mount it; set target to a disk file system in the config", dir, h.source, h.fstype);
		return;
	}
	if (!probe(rpath(o, h.source, abs, sizeof(abs)), t) || !t->uuid[0]) {
		fmt(t->error, sizeof(t->error), "%s is on %s, whose file system has no UUID that libblkid "
			 "can read (%s); set target in the config", dir, h.source, abs);
		return;
	}
	if (!t->fstype[0])
		fmt(t->fstype, sizeof(t->fstype), "%s", h.fstype);
	fmt(t->spec, sizeof(t->spec), "UUID=%s", t->uuid);
	t->ok = true;
}

/* The key of a config line ("" for comments and blank lines). */
static void line_key(const char *line, size_t len, char *key, size_t keylen)
{
	size_t i = 0, n = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '#' && n + 1 < keylen)
		key[n++] = line[i++];
	key[n] = 0;
}

char *resolved_config(const struct opts *o, const struct kc_config *c, const struct target_info *t)
{
	char p[4096], key[64];
	const char *cp = config_path(o, p, sizeof(p));
	char *text = read_text(cp), *out = NULL;
	size_t outlen = 0;
	FILE *f;

	if (!text && errno != ENOENT) {
		kc_error("cannot read %s: %s", cp, strerror(errno));
		return NULL;
	}
	f = open_memstream(&out, &outlen);
	if (!f) {
		free(text);
		return NULL;
	}
	for (const char *s = text ? text : ""; *s;) {
		size_t len = strcspn(s, "\n");
		line_key(s, len, key, sizeof(key));
		if (!t->explicit_target && (!strcmp(key, "target") || !strcmp(key, "path")))
			fprintf(f, "# kcatch rebuild, target found below: %.*s\n", (int)len, s);
		else
			fprintf(f, "%.*s\n", (int)len, s);
		s += len + (s[len] == '\n');
	}
	if (!t->explicit_target) {
		fprintf(f, "\n# kcatch rebuild: the file system that holds %s on this host (%s on %s)\n",
			c->path ? c->path : KC_DEFAULT_PATH, t->device, t->mountpoint);
		fprintf(f, "target %s\npath %s\n", t->spec, t->path_on_fs);
		if (!c->fstype && t->fstype[0])
			fprintf(f, "fstype %s\n", t->fstype);
	}
	free(text);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
