/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/kcatch.conf parser. One "key value" per line, '#' starts a
 * comment, blank lines are ignored. Every key may appear once, except
 * extra_modules, which adds to the list. An unknown key or a bad value
 * is an error "FILE:LINE: ..." (the first one; the parse goes on, so the
 * capture agent can still use the valid lines): the builder refuses such
 * a file long before a crash would find the mistake.
 *
 * Every number has a range small enough that the agent's sums cannot
 * overflow (min_free plus the reserve and a few pages, timeouts in
 * milliseconds in an int, keep counts in a long), and an error says it.
 * The ssh://, nfs:// and net parsers are in config-net.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcatch-config.h"
#include "kcatch-util.h"

struct parser {
	struct kc_config *c;
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	unsigned seen_line[32];  /* line where each key was set, 0 = not yet */
	unsigned errors;         /* only the first one is kept in err */
	unsigned threads_line;       /* line of the threads key, 0 = not yet (issue 16) */
	unsigned capture_cpus_line;  /* line of the capture_cpus key */
};

static int perr(struct parser *p, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, int r, const char *fmt, ...)
{
	va_list ap;
	if (p->errors++)
		return r;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int set_string(char **dst, const char *v)
{
	char *s = strdup(v);
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int parse_unsigned(struct parser *p, const char *key, const char *v, unsigned min, unsigned max,
			  unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end || errno || n < min || n > max)
		return perr(p, -EINVAL, "%s \"%s\" is not a number from %u to %u", key, v, min, max);
	*out = (unsigned)n;
	return 0;
}

/* The largest size: far from 2^64 whatever the agent adds to it. */
#define SIZE_MAX_SHIFT 50
#define SIZE_MAX_TEXT "1024T (1 PiB)"

/* 0, 4096, 512K, 64M, 2G, 1T (powers of 1024; an optional trailing B or iB), at most 1024T */
static int parse_size(struct parser *p, const char *key, const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!isdigit((unsigned char)*v) || errno)
		goto bad;
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: goto bad;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end)
		goto bad;
	if (n > (1ULL << (SIZE_MAX_SHIFT - shift)))
		return perr(p, -ERANGE, "%s \"%s\" is out of range: from 0 to " SIZE_MAX_TEXT, key, v);
	*out = (uint64_t)n << shift;
	return 0;
bad:
	return perr(p, -EINVAL, "%s \"%s\" is not a size from 0 to " SIZE_MAX_TEXT
		    " (a number of bytes, or with K, M, G or T)", key, v);
}

static int parse_action(struct parser *p, const char *key, const char *v, bool final, enum kc_action *out)
{
	static const struct { const char *name; enum kc_action a; } names[] = {
		{ "reboot", KC_ACTION_REBOOT }, { "poweroff", KC_ACTION_POWEROFF },
		{ "halt", KC_ACTION_HALT }, { "shell", KC_ACTION_SHELL },
		{ "fallback", KC_ACTION_FALLBACK }, { "dump_to_rootfs", KC_ACTION_FALLBACK },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i].name))
			continue;
		if (final && names[i].a >= KC_ACTION_SHELL)
			break;
		*out = names[i].a;
		return 0;
	}
	return perr(p, -EINVAL, "%s \"%s\" must be one of reboot, poweroff, halt%s", key, v,
		    final ? "" : ", shell, fallback (or dump_to_rootfs)");
}

static int parse_target(struct parser *p, const char *key, const char *v, struct kc_target_spec *t)
{
	int r = kc_target_spec_parse(t, v);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && !strncmp(v, "nfs://", 6))
		return perr(p, r, "%s \"%s\" must be nfs://ADDRESS[:port]/export/path: an IPv4 address or "
			    "[IPv6] (the capture kernel resolves no names) and the exported directory", key, v);
	if (r < 0)
		return perr(p, r, "%s \"%s\" must be UUID=..., LABEL=..., PARTUUID=..., PARTLABEL=..., "
			    "a /dev/ path, an absolute directory, ssh://user@host[:port][/path] or "
			    "nfs://ADDRESS[:port]/export/path", key, v);
	return 0;
}

static int add_modules(struct parser *p, const char *v)
{
	struct kc_config *c = p->c;
	char *copy = strdup(v), *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		for (const char *q = tok; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-') {
				r = perr(p, -EINVAL, "extra_modules: \"%s\" is not a module name", tok);
				goto out;
			}
		char **n = realloc(c->extra_modules, (c->n_extra_modules + 2) * sizeof(*n));
		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		c->extra_modules = n;
		n[c->n_extra_modules] = strdup(tok);
		if (!n[c->n_extra_modules]) {
			r = -ENOMEM;
			goto out;
		}
		n[++c->n_extra_modules] = NULL;
	}
out:
	free(copy);
	return r;
}

enum key_id {
	K_TARGET, K_FSTYPE, K_MOUNT_OPTIONS, K_PATH, K_DUMP_LEVEL, K_COMPRESS, K_KEEP, K_MIN_FREE,
	K_FAILURE_ACTION, K_FINAL_ACTION, K_FALLBACK_TARGET, K_FALLBACK_PATH, K_EXTRA_MODULES,
	K_TARGET_TIMEOUT, K_WATCHDOG, K_PROGRESS_INTERVAL, K_NET, K_NET_TIMEOUT,
	K_NFS_OPTIONS, K_KERNEL_CMDLINE_APPEND, K_KERNEL_CMDLINE_REMOVE, K_PANIC_ON_OOPS, K_STALL_TIMEOUT, K_BUILDER, K_MAX
};
static const char *const key_names[K_MAX] = {
	"target", "fstype", "mount_options", "path", "dump_level", "compress", "keep", "min_free",
	"failure_action", "final_action", "fallback_target", "fallback_path", "extra_modules",
	"target_timeout", "watchdog", "progress_interval", "net", "net_timeout",
	"nfs_options", "kernel_cmdline_append", "kernel_cmdline_remove", "panic_on_oops", "stall_timeout", "builder",
};

static int check_path(struct parser *p, const char *key, const char *v)
{
	if (v[0] != '/')
		return perr(p, -EINVAL, "%s \"%s\" must be an absolute path", key, v);
	for (const char *s = v; *s; s++)
		if (!strncmp(s, "/..", 3) && (s[3] == '/' || !s[3]))
			return perr(p, -EINVAL, "%s \"%s\" must not contain \"..\"", key, v);
	return 0;
}

static int set_key(struct parser *p, enum key_id k, const char *v)
{
	struct kc_config *c = p->c;
	const char *key = key_names[k];
	unsigned u = 0;  /* set by parse_unsigned; gcc -O3 cannot see that */
	int r;

	switch (k) {
	case K_TARGET: return parse_target(p, key, v, &c->target);
	case K_FALLBACK_TARGET: return parse_target(p, key, v, &c->fallback_target);
	case K_FSTYPE:
		for (const char *s = v; *s; s++)
			if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
				return perr(p, -EINVAL, "fstype \"%s\" is not a file system type", v);
		return set_string(&c->fstype, v);
	case K_MOUNT_OPTIONS: return set_string(&c->mount_options, v);
	case K_PATH:
		r = check_path(p, key, v);
		return r < 0 ? r : set_string(&c->path, v);
	case K_FALLBACK_PATH:
		r = check_path(p, key, v);
		return r < 0 ? r : set_string(&c->fallback_path, v);
	case K_DUMP_LEVEL: return parse_unsigned(p, key, v, 0, 31, &c->dump_level);
	case K_COMPRESS:
		for (int i = KCF_COMPRESS_NONE; i <= KCF_COMPRESS_ZSTD; i++)
			if (!strcmp(v, kc_compress_name((enum kcf_compress)i))) {
				c->compress = (enum kcf_compress)i;
				return 0;
			}
		return perr(p, -EINVAL, "compress \"%s\" must be one of zstd, lzo, zlib, snappy, none", v);
	case K_KEEP: return parse_unsigned(p, key, v, 0, 100000, &c->keep);
	case K_MIN_FREE: return parse_size(p, key, v, &c->min_free);
	case K_FAILURE_ACTION: return parse_action(p, key, v, false, &c->failure_action);
	case K_FINAL_ACTION: return parse_action(p, key, v, true, &c->final_action);
	case K_EXTRA_MODULES: return add_modules(p, v);
	case K_TARGET_TIMEOUT:
		r = parse_unsigned(p, key, v, 0, 3600, &u);
		if (r == 0)
			c->target_timeout = u;
		return r;
	case K_WATCHDOG: return parse_unsigned(p, key, v, 0, 7 * 86400, &c->watchdog);
	case K_PROGRESS_INTERVAL:
		r = parse_unsigned(p, key, v, 1, 3600, &u);
		if (r == 0)
			c->progress_interval = u;
		return r;
	case K_NET:
		r = kc_net_spec_parse(&c->net, v);
		if (r == -EINVAL)
			return perr(p, r, "net \"%s\" must be \"IFACE|MAC|auto dhcp\" or "
				    "\"IFACE|MAC|auto ADDRESS/PREFIX [gw GATEWAY]\" (IPv4)", v);
		return r;
	case K_NET_TIMEOUT:
		r = parse_unsigned(p, key, v, 1, 3600, &u);
		if (r == 0)
			c->net_timeout = u;
		return r;
	case K_STALL_TIMEOUT: return parse_unsigned(p, key, v, 0, 3600, &c->stall_timeout);
	case K_NFS_OPTIONS:
		if (strpbrk(v, " \t\"'"))
			return perr(p, -EINVAL, "nfs_options \"%s\": comma separated, no spaces or quotes "
				    "(e.g. vers=3,timeo=100)", v);
		return set_string(&c->nfs_options, v);
	case K_KERNEL_CMDLINE_APPEND: return set_string(&c->kernel_cmdline_append, v);
	case K_KERNEL_CMDLINE_REMOVE:
		for (const char *s = v; *s; s++)
			if (*s == '=')
				return perr(p, -EINVAL, "kernel_cmdline_remove \"%s\": give option names, without =value", v);
		return set_string(&c->kernel_cmdline_remove, v);
	case K_PANIC_ON_OOPS:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return perr(p, -EINVAL, "panic_on_oops \"%s\" must be yes or no", v);
		c->panic_on_oops = !strcmp(v, "yes");
		return 0;
	case K_BUILDER:
		for (int i = KC_BUILDER_KCATCH; i <= KC_BUILDER_INITRAMFS_TOOLS; i++)
			if (!strcmp(v, kc_builder_name((enum kc_builder)i))) {
				c->builder = (enum kc_builder)i;
				return 0;
			}
		return perr(p, -EINVAL, "builder \"%s\" must be one of kcatch, dracut, initramfs-tools", v);
	case K_MAX: break;
	}
	return -EINVAL;
}

/*
 * threads auto|N (the agent's filter threads) and capture_cpus auto|N
 * (nr_cpus= of the capture kernel, read by kcatch on the host): 0 is auto.
 * Outside key_names so that they stay lines of their own (issue 16).
 */
static int parse_cpu_key(struct parser *p, const char *key, const char *v)
{
	bool threads = !strcmp(key, "threads");
	unsigned *line = threads ? &p->threads_line : &p->capture_cpus_line;
	unsigned *val = threads ? &p->c->threads : &p->c->capture_cpus;

	if (!*v)
		return perr(p, -EINVAL, "%s needs a value", key);
	if (*line)
		return perr(p, -EINVAL, "%s is set twice (first on line %u)", key, *line);
	*line = p->line;
	if (!strcmp(v, "auto")) {
		*val = 0;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return perr(p, -EINVAL, "%s \"%s\" must be auto or a number from 1 to %u", key, v, KC_MAX_CPUS);
	return parse_unsigned(p, key, v, 1, KC_MAX_CPUS, val);
}

static int parse_line(struct parser *p, char *s)
{
	char *hash = strchr(s, '#'), *key, *val, *end;

	if (hash)
		*hash = 0;
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	if (!*s)
		return 0;
	key = s;
	val = kc_cut_word(s);
	if (!strcmp(key, "threads") || !strcmp(key, "capture_cpus"))
		return parse_cpu_key(p, key, val);
	for (int k = 0; k < K_MAX; k++) {
		if (strcmp(key, key_names[k]))
			continue;
		if (!*val)
			return perr(p, -EINVAL, "%s needs a value", key);
		if (p->seen_line[k] && k != K_EXTRA_MODULES)
			return perr(p, -EINVAL, "%s is set twice (first on line %u)", key, p->seen_line[k]);
		p->seen_line[k] = p->line;
		return set_key(p, (enum key_id)k, val);
	}
	return perr(p, -EINVAL, "unknown key \"%s\" (known: target, path, dump_level, compress, keep, "
		    "min_free, failure_action, final_action, fallback_target, fallback_path, extra_modules, "
		    "fstype, mount_options, target_timeout, watchdog, progress_interval, net, net_timeout, "
		    "stall_timeout, nfs_options, kernel_cmdline_append, kernel_cmdline_remove, panic_on_oops, builder)", key);
}

static int check_whole(struct parser *p)
{
	struct kc_config *c = p->c;

	p->line = p->seen_line[K_FAILURE_ACTION];
	if (c->failure_action == KC_ACTION_FALLBACK && c->fallback_target.kind == KC_TARGET_NONE)
		return perr(p, -EINVAL, "failure_action %s needs a fallback_target line", "fallback");
	p->line = p->seen_line[K_FALLBACK_TARGET];
	if (p->line && c->failure_action != KC_ACTION_FALLBACK)
		return perr(p, -EINVAL, "fallback_target is only used with failure_action fallback");
	if (!c->net.set && (c->target.kind == KC_TARGET_SSH || c->fallback_target.kind == KC_TARGET_SSH)) {
		p->line = p->seen_line[c->target.kind == KC_TARGET_SSH ? K_TARGET : K_FALLBACK_TARGET];
		return perr(p, -EINVAL, "an ssh:// target needs a net line (e.g. \"net eth0 dhcp\")");
	}
	if (!c->net.set && (c->target.kind == KC_TARGET_NFS || c->fallback_target.kind == KC_TARGET_NFS)) {
		p->line = p->seen_line[c->target.kind == KC_TARGET_NFS ? K_TARGET : K_FALLBACK_TARGET];
		return perr(p, -EINVAL, "an nfs:// target needs a net line (e.g. \"net eth0 dhcp\")");
	}
	return 0;
}

int kc_config_parse(struct kc_config *c, const char *name, const char *text, char *err, size_t errlen)
{
	struct parser p = { .c = c, .name = name, .err = err, .errlen = errlen };
	const char *s = text;
	int r = 0, q;

	if (errlen)
		err[0] = 0;
	/* Past a bad line, go on: the agent saves what it can with the lines that parse. */
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *line = strndup(s, len);
		if (!line)
			return -ENOMEM;
		p.line++;
		q = parse_line(&p, line);
		free(line);
		if (q == -ENOMEM) {
			if (errlen)
				snprintf(err, errlen, "%s: out of memory", name);
			return q;
		}
		if (q < 0 && r == 0)
			r = q;
		s += len + (nl ? 1 : 0);
	}
	q = check_whole(&p);
	if (q < 0 && r == 0)
		r = q;
	if (p.errors > 1 && errlen) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, " (and %u more error%s)", p.errors - 1, p.errors > 2 ? "s" : "");
	}
	return r;
}

int kc_config_load(struct kc_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	text = malloc(1u << 20);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(text, 1, (1u << 20) - 1, f);
	r = ferror(f) ? -EIO : 0;
	if (r == 0 && len == (1u << 20) - 1 && fgetc(f) != EOF)
		r = -EFBIG;
	fclose(f);
	text[len] = 0;
	if (r == -EFBIG)
		snprintf(err, errlen, "%s: larger than 1 MiB, not a kcatch.conf", path);
	else if (r < 0)
		snprintf(err, errlen, "%s: read error", path);
	else if (memchr(text, 0, len))
		snprintf(err, errlen, "%s: contains a NUL byte, not a text file", path), r = -EINVAL;
	else
		r = kc_config_parse(c, path, text, err, errlen);
	free(text);
	return r;
}

void kc_config_init(struct kc_config *c)
{
	memset(c, 0, sizeof(*c));
	c->dump_level = 31;
	c->compress = KCF_COMPRESS_ZSTD;
	c->failure_action = KC_ACTION_REBOOT;
	c->final_action = KC_ACTION_REBOOT;
	c->target_timeout = 30;
	c->watchdog = 3600;
	c->progress_interval = 5;
	c->net_timeout = 30;
	c->stall_timeout = 60;
	c->panic_on_oops = -1;
}

void kc_config_free(struct kc_config *c)
{
	kc_target_spec_free(&c->target);
	kc_target_spec_free(&c->fallback_target);
	free(c->fstype);
	free(c->mount_options);
	free(c->path);
	free(c->fallback_path);
	for (size_t i = 0; i < c->n_extra_modules; i++)
		free(c->extra_modules[i]);
	free(c->extra_modules);
	kc_net_spec_free(&c->net);
	free(c->nfs_options);
	free(c->kernel_cmdline_append);
	free(c->kernel_cmdline_remove);
	memset(c, 0, sizeof(*c));
}

static bool ssh_url_ok(const char *value)
{
	struct kc_ssh_url u;
	return kc_ssh_url_parse(value, &u) == 0;
}

static bool nfs_url_ok(const char *value)
{
	struct kc_nfs_url u;
	return kc_nfs_url_parse(value, &u) == 0;
}

int kc_target_spec_parse(struct kc_target_spec *t, const char *text)
{
	static const struct {
		const char *prefix;
		enum kc_target_kind kind;
		bool (*valid)(const char *value);  /* NULL: checked below only */
	} tags[] = {
		{ "UUID=", KC_TARGET_UUID, NULL }, { "LABEL=", KC_TARGET_LABEL, NULL },
		{ "PARTUUID=", KC_TARGET_PARTUUID, NULL }, { "PARTLABEL=", KC_TARGET_PARTLABEL, NULL },
		{ "ssh://", KC_TARGET_SSH, ssh_url_ok }, { "nfs://", KC_TARGET_NFS, nfs_url_ok },
	};
	enum kc_target_kind kind = KC_TARGET_NONE;
	const char *value = NULL;

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strncmp(text, tags[i].prefix, strlen(tags[i].prefix))) {
			kind = tags[i].kind;
			value = text + strlen(tags[i].prefix);
			if (tags[i].valid && !tags[i].valid(value))
				return -EINVAL;
			break;
		}
	if (kind == KC_TARGET_NONE && text[0] == '/') {
		kind = strncmp(text, "/dev/", 5) ? KC_TARGET_DIR : KC_TARGET_DEVICE;
		value = text;
	}
	if (kind == KC_TARGET_NONE || !*value || strpbrk(value, " \t\"'"))
		return -EINVAL;
	if (kind >= KC_TARGET_DEVICE && strstr(value, "/../"))
		return -EINVAL;
	char *v = strdup(value), *tx = strdup(text);
	if (!v || !tx) {
		free(v);
		free(tx);
		return -ENOMEM;
	}
	kc_target_spec_free(t);
	t->kind = kind;
	t->value = v;
	t->text = tx;
	return 0;
}

void kc_target_spec_free(struct kc_target_spec *t)
{
	free(t->value);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

const char *kc_action_name(enum kc_action a)
{
	switch (a) {
	case KC_ACTION_REBOOT: return "reboot";
	case KC_ACTION_POWEROFF: return "poweroff";
	case KC_ACTION_HALT: return "halt";
	case KC_ACTION_SHELL: return "shell";
	case KC_ACTION_FALLBACK: return "fallback";
	}
	return "?";
}

const char *kc_builder_name(enum kc_builder b)
{
	switch (b) {
	case KC_BUILDER_KCATCH: return "kcatch";
	case KC_BUILDER_DRACUT: return "dracut";
	case KC_BUILDER_INITRAMFS_TOOLS: return "initramfs-tools";
	}
	return "?";
}

const char *kc_compress_name(enum kcf_compress c)
{
	switch (c) {
	case KCF_COMPRESS_NONE: return "none";
	case KCF_COMPRESS_ZLIB: return "zlib";
	case KCF_COMPRESS_LZO: return "lzo";
	case KCF_COMPRESS_SNAPPY: return "snappy";
	case KCF_COMPRESS_ZSTD: return "zstd";
	}
	return "?";
}

const char *kc_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %ciB", v, units[u]);
	return buf;
}

void kc_config_dump(const struct kc_config *c, FILE *f)
{
	char b[32];

	fprintf(f, "target %s\n", c->target.text ? c->target.text : "(none)");
	if (c->fstype)
		fprintf(f, "fstype %s\n", c->fstype);
	if (c->mount_options)
		fprintf(f, "mount_options %s\n", c->mount_options);
	fprintf(f, "path %s\n", c->path ? c->path : "/var/crash");
	fprintf(f, "dump_level %u\ncompress %s\n", c->dump_level, kc_compress_name(c->compress));
	fprintf(f, "keep %u\nmin_free %s\n", c->keep, kc_format_bytes(c->min_free, b, sizeof(b)));
	fprintf(f, "failure_action %s\n", kc_action_name(c->failure_action));
	if (c->fallback_target.text)
		fprintf(f, "fallback_target %s\nfallback_path %s\n", c->fallback_target.text,
			c->fallback_path ? c->fallback_path : c->path ? c->path : "/var/crash");
	fprintf(f, "final_action %s\n", kc_action_name(c->final_action));
	for (size_t i = 0; i < c->n_extra_modules; i++)
		fprintf(f, "extra_modules %s\n", c->extra_modules[i]);
	fprintf(f, "target_timeout %u\nwatchdog %u\nprogress_interval %u\n",
		c->target_timeout, c->watchdog, c->progress_interval);
	if (c->net.set)
		fprintf(f, "net %s\nnet_timeout %u\nstall_timeout %u\n", c->net.text, c->net_timeout,
			c->stall_timeout);
	if (c->nfs_options)
		fprintf(f, "nfs_options %s\n", c->nfs_options);
	if (c->kernel_cmdline_append)
		fprintf(f, "kernel_cmdline_append %s\n", c->kernel_cmdline_append);
	if (c->kernel_cmdline_remove)
		fprintf(f, "kernel_cmdline_remove %s\n", c->kernel_cmdline_remove);
	if (c->panic_on_oops >= 0)
		fprintf(f, "panic_on_oops %s\n", c->panic_on_oops ? "yes" : "no");
	if (c->builder != KC_BUILDER_KCATCH)
		fprintf(f, "builder %s\n", kc_builder_name(c->builder));
	if (c->threads)
		fprintf(f, "threads %u\n", c->threads);
	if (c->capture_cpus)
		fprintf(f, "capture_cpus %u\n", c->capture_cpus);
}
