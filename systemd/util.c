/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch: small helpers every command uses: paths under --root, small
 * files, the configuration, and the running kernel's files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kcatch.h"
#include "kernel-files.h"

void fmt(char *buf, size_t len, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(buf, len, format, ap);
	va_end(ap);
}

int kc_error(const char *format, ...)
{
	va_list ap;
	fputs("kcatch: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

const char *rpath(const struct opts *o, const char *path, char *buf, size_t len)
{
	if (strcmp(o->root, "/") == 0 || path[0] != '/')
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s%s", o->root, path);
	return buf;
}

char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	if (!f)
		return NULL;
	buf = malloc(65537);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	while (len < 65536 && (n = fread(buf + len, 1, 65536 - len, f)) > 0)
		len += n;
	fclose(f);
	buf[len] = 0;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	return buf;
}

long long read_number(const struct opts *o, const char *path)
{
	char p[4096];
	char *t = read_text(rpath(o, path, p, sizeof(p)));
	long long v = -1;
	if (t) {
		char *end;
		v = strtoll(t, &end, 10);
		if (end == t)
			v = -1;
		free(t);
	}
	return v;
}

uint64_t meminfo_bytes(const struct opts *o, const char *key)
{
	char p[4096];
	char *t = read_text(rpath(o, "/proc/meminfo", p, sizeof(p)));
	size_t kl = strlen(key);
	uint64_t v = 0;
	for (char *line = t; line && *line;) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtoull(line + kl + 1, NULL, 10) * 1024;  /* always kB */
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(t);
	return v;
}

const char *config_path(const struct opts *o, char *buf, size_t len)
{
	if (o->config)
		return o->config;
	return rpath(o, "/etc/kcatch.conf", buf, len);
}

int load_config(const struct opts *o, struct kc_config *c, bool quiet)
{
	char buf[4096], err[512];
	const char *p = config_path(o, buf, sizeof(buf));
	int r;
	kc_config_init(c);
	if (access(p, F_OK) < 0 && errno == ENOENT)
		return 1;  /* defaults */
	r = kc_config_load(c, p, err, sizeof(err));
	if (r < 0 && !quiet)
		kc_error("%s\n  fix the line in %s (see kcatch.conf(5))", err, p);
	return r;
}

const char *dump_dir(const struct opts *o, const struct kc_config *c, char *buf, size_t len)
{
	char tmp[4096];
	const char *path = c->path ? c->path : KC_DEFAULT_PATH;
	if (c->target.kind == KC_TARGET_DIR && strcmp(c->target.value, "/") != 0) {
		snprintf(tmp, sizeof(tmp), "%s%s", c->target.value, path);
	} else if (c->target.kind != KC_TARGET_NONE && c->target.kind != KC_TARGET_DIR) {
		/* a device: where it is mounted on this host, if it is */
		struct target_info t;
		resolve_target(o, c, &t);
		if (t.host_dir[0]) {
			snprintf(buf, len, "%s", t.host_dir);
			return buf;
		}
		snprintf(tmp, sizeof(tmp), "%s", path);
	} else {
		snprintf(tmp, sizeof(tmp), "%s", path);
	}
	return rpath(o, tmp, buf, len);
}

static void kernel_release(const struct opts *o, char *buf, size_t len)
{
	char p[4096];
	char *t = read_text(rpath(o, "/proc/sys/kernel/osrelease", p, sizeof(p)));
	struct utsname u;
	if (t) {
		snprintf(buf, len, "%s", t);
		free(t);
	} else if (strcmp(o->root, "/") == 0 && uname(&u) == 0) {
		snprintf(buf, len, "%s", u.release);
	} else {
		snprintf(buf, len, "unknown");
	}
}

/* Where the kernel's file of this kind is, as on the host, into out ("" and why when not found). */
static bool kernel_file(const struct opts *o, const char *release, enum kc_kfile_kind what,
			char *out, size_t len, char *why, size_t whylen)
{
	struct kc_kfile kf;
	int fd = kc_kfile_open(o->root, release, what, &kf, why, whylen);

	snprintf(out, len, "%s", fd >= 0 ? kf.path : "");
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void find_files(const struct opts *o, struct files *f)
{
	char why[1024];

	kernel_release(o, f->release, sizeof(f->release));
	f->kernel_found = kernel_file(o, f->release, KC_KFILE_IMAGE, f->kernel, sizeof(f->kernel),
				      f->kernel_error, sizeof(f->kernel_error));
	if (f->kernel_found)
		f->kernel_error[0] = 0;
	else
		snprintf(f->kernel, sizeof(f->kernel), "/boot/vmlinuz-%s", f->release);
	rpath(o, f->kernel, f->kernel_abs, sizeof(f->kernel_abs));
	kernel_file(o, f->release, KC_KFILE_CONFIG, f->kconfig, sizeof(f->kconfig), why, sizeof(why));
	kernel_file(o, f->release, KC_KFILE_SYSTEM_MAP, f->sysmap, sizeof(f->sysmap), why, sizeof(why));
	snprintf(f->image, sizeof(f->image), KC_IMAGE_DIR "/initrd-%s.img", f->release);
	rpath(o, f->image, f->image_abs, sizeof(f->image_abs));
	snprintf(f->stamp_abs, sizeof(f->stamp_abs), "%s.stamp", f->image_abs);
}

int open_kernel(const struct opts *o, const struct files *f)
{
	return kc_open_beneath(o->root, f->kernel, KC_KFILE_MAX_IMAGE, NULL);
}
