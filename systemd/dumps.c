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
		snprintf(p, sizeof(p), "%s/vmcore-dmesg.txt", d->dir);
		crash_summary(f, p);
		int n = 0;
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
