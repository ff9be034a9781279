/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch list / report: the dumps kcatch-agent left in the dump
 * directory, one <YYYY-MM-DD-HH:MM:SS[-host]>/ each, with kcatch.json,
 * vmcore-dmesg.txt and vmcore (vmcore.incomplete while or after a
 * failed write). A dump without kcatch.json is still listed, from its
 * files. report --journal sends new dumps to the journal.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "kcatch.h"

#define REPORT_MESSAGE_ID "5e1c3a4f9b2d4e7a8c6f0b1d2e3f4a5b"

/* ---- JSON: objects flattened to "a.b" keys; arrays skipped ---- */

struct jp {
	const char *s;
	struct json_doc *doc;
};

static void ws(struct jp *p)
{
	while (*p->s == ' ' || *p->s == '\n' || *p->s == '\t' || *p->s == '\r')
		p->s++;
}

static char *jstring(struct jp *p)
{
	size_t cap = strlen(p->s) + 1, n = 0;
	char *out = malloc(cap);
	if (!out || *p->s != '"')
		goto bad;
	for (p->s++; *p->s && *p->s != '"'; p->s++) {
		char c = *p->s;
		if (c == '\\') {
			c = *++p->s;
			if (c == 'n') c = '\n';
			else if (c == 't') c = '\t';
			else if (c == 'r') c = '\r';
			else if (c == 'u') {
				unsigned v;
				if (sscanf(p->s + 1, "%4x", &v) != 1)
					goto bad;
				p->s += 4;
				c = v < 0x100 ? (char)v : '?';
			} else if (!c)
				goto bad;
		}
		out[n++] = c;
	}
	if (*p->s != '"')
		goto bad;
	p->s++;
	out[n] = 0;
	return out;
bad:
	free(out);
	return NULL;
}

static int add(struct jp *p, const char *key, char *value, bool is_string)
{
	struct json_field *f = realloc(p->doc->f, (p->doc->n + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	p->doc->f = f;
	f[p->doc->n].key = strdup(key);
	f[p->doc->n].value = value;
	f[p->doc->n].is_string = is_string;
	p->doc->n++;
	return 0;
}

static int jvalue(struct jp *p, const char *key, int depth)
{
	ws(p);
	if (depth > 16)
		return -EINVAL;
	if (*p->s == '"') {
		char *v = jstring(p);
		return v ? add(p, key, v, true) : -EINVAL;
	}
	if (*p->s == '{' || *p->s == '[') {
		char close = *p->s == '{' ? '}' : ']';
		bool obj = close == '}';
		p->s++;
		ws(p);
		if (*p->s == close) {
			p->s++;
			return 0;
		}
		for (;;) {
			char sub[512];
			ws(p);
			if (obj) {
				char *k = jstring(p);
				if (!k)
					return -EINVAL;
				snprintf(sub, sizeof(sub), "%s%s%s", key, *key ? "." : "", k);
				free(k);
				ws(p);
				if (*p->s++ != ':')
					return -EINVAL;
			} else {
				snprintf(sub, sizeof(sub), "%s[]", key);
			}
			int r = jvalue(p, sub, depth + 1);
			if (r < 0)
				return r;
			ws(p);
			if (*p->s == ',') {
				p->s++;
				continue;
			}
			if (*p->s++ != close)
				return -EINVAL;
			return 0;
		}
	}
	size_t n = strspn(p->s, "0123456789+-.eEtruefalsn");
	if (!n)
		return -EINVAL;
	char *v = strndup(p->s, n);
	p->s += n;
	return v ? add(p, key, v, false) : -ENOMEM;
}

int json_parse(const char *text, struct json_doc *doc)
{
	struct jp p = { .s = text, .doc = doc };
	doc->f = NULL;
	doc->n = 0;
	return jvalue(&p, "", 0);
}

const char *json_get(const struct json_doc *doc, const char *key)
{
	for (size_t i = 0; i < doc->n; i++)
		if (strcmp(doc->f[i].key, key) == 0)
			return doc->f[i].is_string || strcmp(doc->f[i].value, "null") ? doc->f[i].value : NULL;
	return NULL;
}

void json_free(struct json_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		free(doc->f[i].key);
		free(doc->f[i].value);
	}
	free(doc->f);
	doc->f = NULL;
	doc->n = 0;
}

/* ---- dumps ---- */

struct dump {
	char id[256];
	char dir[4096];
	struct json_doc j;
	bool has_json, has_vmcore, has_incomplete, has_dmesg, reported;
	unsigned long long bytes;
	char state[32];
	char panic[512];
	char time[256];
	char kernel[256];
};

static bool exists(const char *dir, const char *name, unsigned long long *bytes)
{
	char p[4400];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &st) < 0)
		return false;
	if (bytes)
		*bytes += (unsigned long long)st.st_size;
	return true;
}

/* The panic line from the kernel log when kcatch.json has none. */
static void panic_from_dmesg(struct dump *d)
{
	char p[4400], line[1024];
	snprintf(p, sizeof(p), "%s/vmcore-dmesg.txt", d->dir);
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *k = strstr(line, "Kernel panic - not syncing");
		if (k) {
			k[strcspn(k, "\n")] = 0;
			snprintf(d->panic, sizeof(d->panic), "%s", k);
			break;
		}
	}
	fclose(f);
}

static void load_dump(struct dump *d, const char *base, const char *id)
{
	char p[4400];
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", id);
	snprintf(d->dir, sizeof(d->dir), "%s/%s", base, id);
	d->has_vmcore = exists(d->dir, "vmcore", &d->bytes);
	d->has_incomplete = exists(d->dir, "vmcore.incomplete", &d->bytes);
	d->has_dmesg = exists(d->dir, "vmcore-dmesg.txt", &d->bytes);
	d->reported = exists(d->dir, "reported", NULL);
	snprintf(p, sizeof(p), "%s/kcatch.json", d->dir);
	char *t = read_text(p);
	if (t) {
		d->has_json = json_parse(t, &d->j) == 0;
		free(t);
	}
	const char *s = d->has_json ? json_get(&d->j, "status") : NULL;
	if (d->has_incomplete && !d->has_vmcore)
		s = "incomplete";
	else if (!s)
		s = d->has_vmcore ? "unknown" : "no-dump";
	snprintf(d->state, sizeof(d->state), "%s", s);
	s = d->has_json ? json_get(&d->j, "crash_time") : NULL;
	snprintf(d->time, sizeof(d->time), "%s", s ? s : d->id);
	s = d->has_json ? json_get(&d->j, "kernel_release") : NULL;
	snprintf(d->kernel, sizeof(d->kernel), "%s", s ? s : "?");
	s = d->has_json ? json_get(&d->j, "panic_message") : NULL;
	if (s)
		snprintf(d->panic, sizeof(d->panic), "%s", s);
	else
		panic_from_dmesg(d);
	/* one line: the journal fields and list columns need it */
	for (char *c = d->panic; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = *(c + 1) ? ' ' : 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A dump directory: starts with YYYY-MM-DD-. */
static int is_dump(const struct dirent *e)
{
	const char *n = e->d_name;
	return strlen(n) >= 19 && n[4] == '-' && n[7] == '-' && n[10] == '-' && n[0] >= '0' && n[0] <= '9';
}

/* Sorted oldest first; returns count or -1 with the message printed. */
static int scan(const struct opts *o, char *base, size_t len, struct dirent ***names)
{
	struct kc_config c;
	if (load_config(o, &c, false) < 0) {
		kc_config_free(&c);
		return -1;
	}
	dump_dir(o, &c, base, len);
	kc_config_free(&c);
	int n = scandir(base, names, is_dump, by_name);
	if (n < 0) {
		if (errno == ENOENT) {
			*names = NULL;
			return 0;
		}
		fprintf(stderr, "kcatch: cannot read the dump directory %s: %s\n", base, strerror(errno));
	}
	return n;
}

static void free_names(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int cmd_list(const struct opts *o)
{
	char base[4096], sz[32];
	struct dirent **names;
	int n = scan(o, base, sizeof(base), &names);
	if (n < 0)
		return 1;
	if (n == 0) {
		printf("no dumps in %s\n", base);
		return 0;
	}
	printf("%-32s %-20s %-22s %10s %-10s %s\n", "ID", "CRASH TIME", "KERNEL", "SIZE", "STATE", "PANIC");
	for (int i = 0; i < n; i++) {
		struct dump d;
		load_dump(&d, base, names[i]->d_name);
		printf("%-32s %-20s %-22s %10s %-10s %s\n", d.id, d.time, d.kernel,
		       kc_format_bytes(d.bytes, sz, sizeof(sz)), d.state, d.panic[0] ? d.panic : "-");
		json_free(&d.j);
	}
	free_names(names, n);
	return 0;
}

/* Summary of one dump into a malloc'ed string. */
static char *summary(const struct dump *d)
{
	char *buf = NULL, sz[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
#define J(k) (d->has_json && json_get(&d->j, k) ? json_get(&d->j, k) : "?")
	fprintf(f, "kcatch: crash dump %s\n", d->id);
	fprintf(f, "  directory    %s\n", d->dir);
	fprintf(f, "  state        %s%s\n", d->state, d->has_json ? "" : " (no kcatch.json)");
	if (d->has_json && json_get(&d->j, "error"))
		fprintf(f, "  error        %s\n", json_get(&d->j, "error"));
	fprintf(f, "  kernel       %s\n", d->kernel);
	fprintf(f, "  host         %s\n", J("hostname"));
	fprintf(f, "  crash time   %s\n", d->time);
	fprintf(f, "  panic        %s\n", d->panic[0] ? d->panic : "?");
	fprintf(f, "  size         %s on disk", kc_format_bytes(d->bytes, sz, sizeof(sz)));
	if (d->has_json && json_get(&d->j, "bytes.memory")) {
		fprintf(f, " for %s of memory",
			kc_format_bytes(strtoull(json_get(&d->j, "bytes.memory"), NULL, 10), sz, sizeof(sz)));
	}
	fputc('\n', f);
	if (d->has_json)
		fprintf(f, "  dump         %s, level %s, %s, %s pages in memory\n", J("dump.file"),
			J("dump.dump_level"), J("dump.compressor"), J("pages.in_memory"));
	if (d->has_dmesg) {
		char p[4400], *lines[20] = { 0 }, line[1024];
		int n = 0;
		snprintf(p, sizeof(p), "%s/vmcore-dmesg.txt", d->dir);
		FILE *in = fopen(p, "re");
		while (in && fgets(line, sizeof(line), in)) {
			free(lines[n % 20]);
			lines[n % 20] = strdup(line);
			n++;
		}
		if (in)
			fclose(in);
		fprintf(f, "  last lines of vmcore-dmesg.txt:\n");
		for (int i = n > 20 ? n - 20 : 0; i < n; i++) {
			fprintf(f, "    %s", lines[i % 20] ? lines[i % 20] : "\n");
		}
		for (int i = 0; i < 20; i++)
			free(lines[i]);
	}
#undef J
	fclose(f);
	return buf;
}

/* Native journal protocol: binary-safe field for the multi-line message. */
static int journal_send(const struct dump *d, const char *text)
{
	char head[8192];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket" };
	uint64_t len = strlen(text);
	snprintf(head, sizeof(head), "MESSAGE_ID=" REPORT_MESSAGE_ID "\nPRIORITY=2\nSYSLOG_IDENTIFIER=kcatch\n"
		 "KCATCH_DUMP_ID=%s\nKCATCH_DUMP_DIR=%s\nKCATCH_KERNEL=%s\nKCATCH_PANIC=%s\nMESSAGE\n",
		 d->id, d->dir, d->kernel, d->panic);
	struct iovec iov[3] = { { head, strlen(head) }, { &len, 8 }, { (void *)text, len } };
	struct iovec nl = { (void *)"\n", 1 };
	struct iovec all[4] = { iov[0], iov[1], iov[2], nl };
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = all, .msg_iovlen = 4 };
	int r = 0;
	if (fd < 0 || sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
		r = -errno;
		fputs(text, stderr);  /* the service's stderr goes to the journal too */
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int cmd_report(const struct opts *o)
{
	char base[4096];
	struct dirent **names;
	int n = scan(o, base, sizeof(base), &names), r = 0, sent = 0;
	if (n < 0)
		return 1;
	if (o->journal) {
		for (int i = 0; i < n; i++) {
			struct dump d;
			load_dump(&d, base, names[i]->d_name);
			if (!d.reported) {
				char *t = summary(&d), p[4400];
				if (t) {
					journal_send(&d, t);
					printf("reported %s to the journal\n", d.id);
					free(t);
				}
				snprintf(p, sizeof(p), "%s/reported", d.dir);
				FILE *m = fopen(p, "we");
				if (m)
					fclose(m);
				else
					fprintf(stderr, "kcatch: cannot mark %s as reported: %s\n", p, strerror(errno));
				sent++;
			}
			json_free(&d.j);
		}
		if (!sent)
			printf("no new dumps in %s\n", base);
		free_names(names, n);
		return 0;
	}
	int pick = -1;
	for (int i = 0; i < n; i++)
		if (!o->id || strcmp(names[i]->d_name, o->id) == 0)
			pick = i;
	if (pick < 0) {
		if (o->id)
			fprintf(stderr, "kcatch: no dump %s in %s; 'kcatch list' shows the ids\n", o->id, base);
		else
			fprintf(stderr, "kcatch: no dumps in %s\n", base);
		r = 1;
	} else {
		struct dump d;
		load_dump(&d, base, names[pick]->d_name);
		char *t = summary(&d);
		if (t)
			fputs(t, stdout);
		free(t);
		json_free(&d.j);
	}
	free_names(names, n);
	return r;
}
