/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch list / report: the dumps kcatch-agent left in the dump
 * directory, one <YYYY-MM-DD-HH:MM:SS[-host]>/ each, with kcatch.json,
 * vmcore-dmesg.txt and vmcore (vmcore.incomplete while or after a
 * failed write). A dump without kcatch.json is still listed, from its
 * files. report --journal sends new dumps to the journal
 * (sd_journal_send) and marks them with a file named "reported".
 *
 * Everything under the dump directory is hostile (it may be world-
 * writable, or an export many hosts share): it is read through
 * dumpdir.h (relative to the directory, no symbolic link followed or
 * created, only regular files of bounded size, nothing that blocks) and
 * every name and value is escaped before it is printed or logged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION  /* the fields are ours, not this file's line numbers */
#include <json-c/json.h>
#include <systemd/sd-journal.h>

#include "kcatch.h"
#include "crash-signature.h"
#include "panic-line.h"
#include "dumpdir.h"

#define REPORT_MESSAGE_ID "5e1c3a4f9b2d4e7a8c6f0b1d2e3f4a5b"
#define TAIL_LINES 20
/* where sd_journal_send sends (libsystemd's fixed path) */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* ---- dumps ---- */

/* Every string here is escaped already (kc_escape): printable as is. */
struct dump {
	const char *name;       /* the directory's raw name: only for openat */
	char id[1024];          /* escaped */
	char dir[5200];         /* <base>/<id>, escaped */
	int fd;                 /* the dump directory, -1 when it is not one */
	char note[256];         /* why it is not read, or what was not */
	bool has_json, has_vmcore, has_incomplete, has_dmesg, reported;
	unsigned long long bytes;
	char state[128];
	char panic[2048];
	char time[512];
	char kernel[512];
	char error[2048], hostname[512], memory[64], dump_file[256], level[64], compressor[64], pages[64];
	/* the crash signature (common/crash-signature.h): kcatch.json's, or
	 * made here from vmcore-dmesg.txt by the same code; "" when none */
	char sig[KC_SIG_HASH_LEN + 1];
	char sig_what[1024];     /* cause and faulting function, escaped */
};

static void note(struct dump *d, const char *file, int r)
{
	size_t n = strlen(d->note);
	if (n < sizeof(d->note) - 1)
		snprintf(d->note + n, sizeof(d->note) - n, "%s%s: %s", n ? "; " : "", file, dd_strerror(r));
}

/* Whether file is a regular file there (its size counted); anything else noted. */
static bool regular(struct dump *d, const char *file)
{
	int r = dd_regular(d->fd, file, &d->bytes);
	if (r < 0)
		note(d, file, r);
	return r > 0;
}

/* vmcore-dmesg.txt as a stream, or NULL (noted). */
static FILE *open_dmesg(struct dump *d)
{
	struct stat st;
	int fd = dd_open_file(d->fd, "vmcore-dmesg.txt", DD_DMESG_MAX, &st);
	FILE *f;
	if (fd < 0) {
		if (fd != -ENOENT)
			note(d, "vmcore-dmesg.txt", fd);
		return NULL;
	}
	if (!(f = fdopen(fd, "r")))
		close(fd);
	return f;
}

/* A signature as kc_signature writes it: 16 lower-case hex digits. */
static bool valid_hash(const char *h)
{
	size_t n = strspn(h, "0123456789abcdef");
	return n == KC_SIG_HASH_LEN && !h[n];
}

/*
 * What kcatch.json lacks, from the kernel log, read once: the panic line
 * and the crash signature, by the code the agent uses (common/panic-line.h,
 * common/crash-signature.h). A log that cannot be read (over
 * DD_DMESG_MAX, not a regular file) is noted, never half read.
 */
static void from_dmesg(struct dump *d)
{
	struct kc_signature sig;
	char what[KC_SIG_CAUSE_MAX + KC_SIG_FUNC_MAX + 8], *line_copy;
	const char *line;
	size_t len, line_len;
	int r;
	char *t = dd_read_file(d->fd, "vmcore-dmesg.txt", DD_DMESG_MAX, &len, &r);
	if (!t) {
		if (r != -ENOENT)
			note(d, "vmcore-dmesg.txt", r);
		return;
	}
	if (!d->panic[0] && kc_panic_line(t, len, &line, &line_len) && (line_copy = strndup(line, line_len))) {
		kc_escape(line_copy, d->panic, sizeof(d->panic));
		free(line_copy);
	}
	/* the release only gives the family: digits and dots, untouched by escaping */
	if (!d->sig[0] && kc_signature(t, len, strcmp(d->kernel, "?") ? d->kernel : "", &sig) == 0) {
		snprintf(d->sig, sizeof(d->sig), "%s", sig.hash);
		snprintf(what, sizeof(what), "%s%s%s", sig.cause, sig.function[0] ? " in " : "", sig.function);
		kc_escape(what, d->sig_what, sizeof(d->sig_what));
	}
	free(t);
}

static void load_json(struct dump *d)
{
	struct json_object *j = NULL;
	char err[256];
	size_t len;
	int r;
	char *t = dd_read_file(d->fd, "kcatch.json", DD_JSON_MAX, &len, &r);
	if (!t) {
		if (r != -ENOENT)
			note(d, "kcatch.json", r);
		return;
	}
	r = dd_json_parse(t, len, &j, err, sizeof(err));
	free(t);
	if (r < 0) {
		size_t n = strlen(d->note);
		snprintf(d->note + n, sizeof(d->note) - n, "%skcatch.json: %s", n ? "; " : "", err);
		return;
	}
	d->has_json = true;
#define GET(field, key) \
	if (!dd_json_get(j, key, d->field, sizeof(d->field))) \
		d->field[0] = 0
	GET(state, "status");
	GET(time, "crash_time");
	GET(kernel, "kernel_release");
	GET(panic, "panic_message");
	GET(error, "error");
	GET(hostname, "hostname");
	GET(memory, "bytes.memory");
	GET(dump_file, "dump.file");
	GET(level, "dump.dump_level");
	GET(compressor, "dump.compressor");
	GET(pages, "pages.in_memory");
	GET(sig, "signature.hash");
	GET(sig_what, "signature.summary");
#undef GET
	if (!valid_hash(d->sig))
		d->sig[0] = d->sig_what[0] = 0;
	json_object_put(j);
}

/* Fills d from the directory name at base (an fd); d->fd is left open (close_dump). */
static void load_dump(struct dump *d, int base, const char *base_esc, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	kc_escape(name, d->id, sizeof(d->id));
	snprintf(d->dir, sizeof(d->dir), "%s/%s", base_esc, d->id);
	d->fd = dd_open_dir(base, name);
	if (d->fd < 0) {
		note(d, "the entry", d->fd);
		snprintf(d->state, sizeof(d->state), "not-a-dump");
		kc_escape(name, d->time, sizeof(d->time));
		snprintf(d->kernel, sizeof(d->kernel), "?");
		return;
	}
	d->has_vmcore = regular(d, "vmcore");
	d->has_incomplete = regular(d, "vmcore.incomplete");
	d->has_dmesg = regular(d, "vmcore-dmesg.txt");
	/* only a regular file counts; anything else there is never replaced (dd_mark says so) */
	d->reported = dd_regular(d->fd, "reported", NULL) > 0;
	load_json(d);
	if (d->has_incomplete && !d->has_vmcore)
		snprintf(d->state, sizeof(d->state), "incomplete");
	else if (!d->state[0])
		snprintf(d->state, sizeof(d->state), "%s", d->has_vmcore ? "unknown" : "no-dump");
	if (!d->time[0])
		kc_escape(name, d->time, sizeof(d->time));
	if (!d->kernel[0])
		snprintf(d->kernel, sizeof(d->kernel), "?");
	if ((!d->panic[0] || !d->sig[0]) && d->has_dmesg)
		from_dmesg(d);
}

static void close_dump(struct dump *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A dump directory's name: starts with YYYY-MM-DD-. */
static bool is_dump(const char *n)
{
	return strlen(n) >= 19 && n[4] == '-' && n[7] == '-' && n[10] == '-' && n[0] >= '0' && n[0] <= '9';
}

struct scan {
	int fd;              /* the dump directory; -1 when it does not exist */
	char path[4096];     /* as configured (trusted: root's config) */
	char esc[4096 * 4];
	char **names;        /* sorted oldest first */
	size_t n;
};

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	if (s->fd >= 0)
		close(s->fd);
}

/* 0, or -1 with the message printed. */
static int scan(const struct opts *o, struct scan *s)
{
	struct kc_config c;
	struct dirent *e;
	DIR *dir;
	size_t cap = 0;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (load_config(o, &c, false) < 0) {
		kc_config_free(&c);
		return -1;
	}
	dump_dir(o, &c, s->path, sizeof(s->path));
	kc_config_free(&c);
	kc_escape(s->path, s->esc, sizeof(s->esc));
	/* the configured path may be a symbolic link (the admin's); what is inside it is not followed */
	s->fd = open(s->path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0)
		return errno == ENOENT ? 0 : kc_error("cannot read the dump directory %s: %s; check the path "
						      "in the configuration", s->esc, strerror(errno));
	int dfd = dup(s->fd);
	if (dfd < 0 || !(dir = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return kc_error("cannot read the dump directory %s: %s", s->esc, strerror(errno));
	}
	while ((e = readdir(dir))) {
		if (!is_dump(e->d_name))
			continue;
		if (s->n == DD_MAX_DUMPS) {
			kc_error("more than %d entries in %s look like dumps; only the first %d read are shown: "
				 "remove old ones", DD_MAX_DUMPS, s->esc, DD_MAX_DUMPS);
			break;
		}
		if (s->n == cap) {
			char **g = realloc(s->names, (cap = cap ? cap * 2 : 64) * sizeof(*g));
			if (!g)
				break;
			s->names = g;
		}
		if (!(s->names[s->n] = strdup(e->d_name)))
			break;
		s->n++;
	}
	closedir(dir);
	if (s->n)
		qsort(s->names, s->n, sizeof(*s->names), by_name);
	return 0;
}

/*
 * Dumps grouped by signature: on a collector's directory (many hosts'
 * dumps, ssh:// or nfs://) the same bug shows as one line with its count,
 * first and last crash time and the hosts it hit.
 */
struct group {
	char sig[KC_SIG_HASH_LEN + 1];
	char what[1024];
	char first[512], last[512];
	char hosts[1024];        /* "a, b, c", cut with "..." */
	unsigned count, nhosts;
};
struct groups {
	struct group *g;
	size_t n, signed_dumps;
};

static void add_host(struct group *gr, const char *host)
{
	size_t hl = strlen(host), n = strlen(gr->hosts);
	/* whole-name match in the ", "-separated list */
	for (const char *p = gr->hosts; (p = strstr(p, host)); p++)
		if ((p == gr->hosts || p[-1] == ' ') && (p[hl] == ',' || !p[hl]))
			return;
	if (n + hl + 6 < sizeof(gr->hosts))
		snprintf(gr->hosts + n, sizeof(gr->hosts) - n, "%s%s", n ? ", " : "", host);
	else if (n + 5 < sizeof(gr->hosts) && !strstr(gr->hosts, "..."))
		snprintf(gr->hosts + n, sizeof(gr->hosts) - n, ", ...");
	gr->nhosts++;
}

static void groups_add(struct groups *gs, const struct dump *d)
{
	struct group *gr = NULL;
	if (!d->sig[0])
		return;
	gs->signed_dumps++;
	for (size_t i = 0; i < gs->n && !gr; i++)
		if (!strcmp(gs->g[i].sig, d->sig))
			gr = &gs->g[i];
	if (!gr) {
		struct group *ng = realloc(gs->g, (gs->n + 1) * sizeof(*ng));
		if (!ng)
			return;
		gs->g = ng;
		gr = &gs->g[gs->n++];
		memset(gr, 0, sizeof(*gr));
		snprintf(gr->sig, sizeof(gr->sig), "%s", d->sig);
		snprintf(gr->what, sizeof(gr->what), "%.*s", (int)sizeof(gr->what) - 1, d->sig_what[0] ? d->sig_what : d->panic);
		snprintf(gr->first, sizeof(gr->first), "%s", d->time);
		snprintf(gr->last, sizeof(gr->last), "%s", d->time);
	}
	gr->count++;
	/* crash times are ISO 8601 (UTC): they order as strings */
	if (strcmp(d->time, gr->first) < 0)
		snprintf(gr->first, sizeof(gr->first), "%s", d->time);
	if (strcmp(d->time, gr->last) > 0)
		snprintf(gr->last, sizeof(gr->last), "%s", d->time);
	add_host(gr, d->hostname[0] ? d->hostname : "?");
}

static int by_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->first, y->first);
}

/* Printed when two or more dumps carry a signature: one line per bug. */
static void groups_print(struct groups *gs)
{
	if (gs->signed_dumps < 2)
		return;
	qsort(gs->g, gs->n, sizeof(*gs->g), by_count);
	printf("\n%zu crash%s by signature (kcatch report ID shows one; common/SIGNATURE.md says what a signature is)\n",
	       gs->n, gs->n == 1 ? "" : "es");
	printf("%-16s %5s %-20s %-20s %-24s %s\n", "SIGNATURE", "DUMPS", "FIRST", "LAST", "HOSTS", "CRASH");
	for (size_t i = 0; i < gs->n; i++) {
		const struct group *gr = &gs->g[i];
		printf("%-16s %5u %-20s %-20s %-24s %s\n", gr->sig, gr->count, gr->first, gr->last, gr->hosts,
		       gr->what[0] ? gr->what : "-");
	}
}

static void groups_free(struct groups *gs)
{
	free(gs->g);
}

int cmd_list(const struct opts *o)
{
	char sz[32];
	struct scan s;
	if (scan(o, &s) < 0)
		return 1;
	if (s.n == 0) {
		printf("no dumps in %s\n", s.esc);
		scan_free(&s);
		return 0;
	}
	struct groups g = { 0 };
	printf("%-32s %-20s %-22s %10s %-10s %-16s %s\n", "ID", "CRASH TIME", "KERNEL", "SIZE", "STATE", "SIGNATURE",
	       "PANIC");
	for (size_t i = 0; i < s.n; i++) {
		struct dump d;
		load_dump(&d, s.fd, s.esc, s.names[i]);
		printf("%-32s %-20s %-22s %10s %-10s %-16s %s\n", d.id, d.time, d.kernel,
		       kc_format_bytes(d.bytes, sz, sizeof(sz)), d.state, d.sig[0] ? d.sig : "-",
		       d.panic[0] ? d.panic : "-");
		if (d.note[0])
			kc_error("%s: %s", d.dir, d.note);
		groups_add(&g, &d);
		close_dump(&d);
	}
	groups_print(&g);
	groups_free(&g);
	scan_free(&s);
	return 0;
}

/* The last lines of the log, escaped. */
static void tail(FILE *out, FILE *in)
{
	char *lines[TAIL_LINES] = { 0 }, line[1024], e[4200];
	size_t n = 0;
	while (fgets(line, sizeof(line), in)) {
		free(lines[n % TAIL_LINES]);
		line[strcspn(line, "\n")] = 0;
		lines[n % TAIL_LINES] = strdup(line);
		n++;
	}
	fprintf(out, "  last lines of vmcore-dmesg.txt:\n");
	for (size_t i = n > TAIL_LINES ? n - TAIL_LINES : 0; i < n; i++)
		fprintf(out, "    %s\n", lines[i % TAIL_LINES] ? kc_escape(lines[i % TAIL_LINES], e, sizeof(e)) : "");
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(lines[i]);
}

/* Summary of one dump into a malloc'ed string. */
static char *summary(struct dump *d)
{
	char *buf = NULL, sz[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
#define J(k) (d->k[0] ? d->k : "?")
	fprintf(f, "kcatch: crash dump %s\n", d->id);
	fprintf(f, "  directory    %s\n", d->dir);
	fprintf(f, "  state        %s%s\n", d->state, d->has_json ? "" : " (no kcatch.json)");
	if (d->note[0])
		fprintf(f, "  not read     %s\n", d->note);
	if (d->error[0])
		fprintf(f, "  error        %s\n", d->error);
	fprintf(f, "  kernel       %s\n", d->kernel);
	fprintf(f, "  host         %s\n", J(hostname));
	fprintf(f, "  crash time   %s\n", d->time);
	fprintf(f, "  panic        %s\n", d->panic[0] ? d->panic : "?");
	if (d->sig[0])
		fprintf(f, "  signature    %s (%s)\n", d->sig, d->sig_what[0] ? d->sig_what : "?");
	fprintf(f, "  size         %s on disk", kc_format_bytes(d->bytes, sz, sizeof(sz)));
	if (d->memory[0])
		fprintf(f, " for %s of memory", kc_format_bytes(strtoull(d->memory, NULL, 10), sz, sizeof(sz)));
	fputc('\n', f);
	if (d->has_json)
		fprintf(f, "  dump         %s, level %s, %s, %s pages in memory\n", J(dump_file), J(level),
			J(compressor), J(pages));
#undef J
	if (d->has_dmesg && d->fd >= 0) {
		FILE *in = open_dmesg(d);
		if (in) {
			crash_summary(f, in, "vmcore-dmesg.txt");
			rewind(in);
			tail(f, in);
			fclose(in);
		} else {
			fprintf(f, "  vmcore-dmesg.txt not read: %s\n", d->note);
		}
	}
	fclose(f);
	return buf;
}

/* One field per value (sd_journal_send writes a value with a newline
 * binary-safe; ours are escaped anyway), the summary as MESSAGE. */
static int journal_send(const struct dump *d, const char *text)
{
	struct stat st;
	int r = -ENOENT;
	/* sd_journal_send succeeds silently when journald is absent (a
	 * capture guest, a container): then the summary goes to stderr */
	if (stat(JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode))
		r = sd_journal_send("MESSAGE=%s", text, "MESSAGE_ID=" REPORT_MESSAGE_ID, "PRIORITY=2",
				"SYSLOG_IDENTIFIER=kcatch", "KCATCH_DUMP_ID=%s", d->id, "KCATCH_DUMP_DIR=%s", d->dir,
				"KCATCH_KERNEL=%s", d->kernel, "KCATCH_PANIC=%s", d->panic,
				"KCATCH_SIGNATURE=%s", d->sig, NULL);
	if (r < 0)
		fputs(text, stderr);  /* no journald: the service's stderr goes to the journal when there is one */
	return r;
}

static int report_journal(struct scan *s)
{
	int sent = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct dump d;
		load_dump(&d, s->fd, s->esc, s->names[i]);
		if (d.fd < 0) {
			kc_error("%s: %s; not reported", d.dir, d.note);
		} else if (!d.reported) {
			char *t = summary(&d);
			int r;
			if (t) {
				journal_send(&d, t);
				printf("reported %s to the journal\n", d.id);
				free(t);
			}
			r = dd_mark(d.fd, "reported");
			if (r < 0)
				kc_error("cannot mark %s/reported: %s; remove what is there so that the dump is reported "
					 "once", d.dir, dd_strerror(r));
			sent++;
		}
		close_dump(&d);
	}
	if (!sent)
		printf("no new dumps in %s\n", s->esc);
	return 0;
}

int cmd_report(const struct opts *o)
{
	struct scan s;
	int r = 0;
	if (scan(o, &s) < 0)
		return 1;
	if (o->journal) {
		report_journal(&s);
		scan_free(&s);
		return 0;
	}
	size_t pick = s.n;
	for (size_t i = 0; i < s.n; i++) {
		struct stat st;
		/* the newest by default: a dump directory, not something planted under a later name */
		if (o->id ? strcmp(s.names[i], o->id) == 0 :
		    fstatat(s.fd, s.names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			pick = i;
	}
	if (pick == s.n) {
		char e[1024];
		if (o->id)
			r = kc_error("no dump %s in %s; 'kcatch list' shows the ids", kc_escape(o->id, e, sizeof(e)), s.esc);
		else
			r = kc_error("no dumps in %s", s.esc);
	} else {
		struct dump d;
		load_dump(&d, s.fd, s.esc, s.names[pick]);
		char *t = summary(&d);
		if (t)
			fputs(t, stdout);
		free(t);
		close_dump(&d);
	}
	scan_free(&s);
	return r ? 1 : 0;
}
