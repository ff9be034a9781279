/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When the dump target is a block device of this host, the image needs
 * the drivers between the file system and the PCI bus: walk the device's
 * sysfs path upwards and collect every bound driver's module (disk,
 * controller, bus), follow dm/md slaves, and add the file system type.
 */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mkinitramfs.h"

static void chain(const char *sysdev, module_fn fn, void *arg, int depth)
{
	char p[PATH_MAX], q[PATH_MAX + 32], link[PATH_MAX], why[PATH_MAX + 32];
	struct dirent *e;
	DIR *d;

	if (depth > 16 || !realpath(sysdev, p))
		return;
	/* device-mapper and md: the devices underneath */
	snprintf(q, sizeof(q), "%s/slaves", p);
	if ((d = opendir(q))) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char s[PATH_MAX + 300];
			snprintf(s, sizeof(s), "/sys/class/block/%s", e->d_name);
			chain(s, fn, arg, depth + 1);
		}
		closedir(d);
	}
	snprintf(q, sizeof(q), "%s/dm", p);
	if (access(q, F_OK) == 0) {
		fn(arg, "dm_mod", "device-mapper target");
		warn("the target is a device-mapper device: the agent does not set up dm tables (LVM, crypt)");
	}
	snprintf(q, sizeof(q), "%s/md", p);
	if (access(q, F_OK) == 0) {
		fn(arg, "md_mod", "md RAID target");
		warn("the target is an md device: the agent does not assemble arrays");
	}
	for (; !strncmp(p, "/sys/devices/", 13); *strrchr(p, '/') = 0) {
		ssize_t n;
		snprintf(q, sizeof(q), "%s/driver/module", p);
		n = readlink(q, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		snprintf(why, sizeof(why), "driver of %s", p + 12);
		fn(arg, basename(link), why);
	}
}

int hostdev_modules(const struct kc_target_spec *t, const char *fstype, module_fn fn, void *arg)
{
	blkid_cache cache = NULL;
	char *dev = NULL, *type = NULL, sys[64];
	struct stat st;
	int found = 0;

	if (blkid_get_cache(&cache, "/dev/null") < 0)
		return 0;
	if (t->kind == KC_TARGET_DEVICE)
		dev = strdup(t->value);
	else if (kc_target_tag(t->kind))
		dev = blkid_evaluate_tag(kc_target_tag(t->kind), t->value, &cache);
	if (!dev || stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
		goto out;
	found = 1;
	note("target %s is %s on this host", t->text, dev);
	type = fstype ? NULL : blkid_get_tag_value(cache, "TYPE", dev);
	if (fstype || type)
		fn(arg, fstype ? fstype : type, "file system of the target");
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	chain(sys, fn, arg, 0);
out:
	free(type);
	free(dev);
	blkid_put_cache(cache);
	return found;
}
