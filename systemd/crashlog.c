/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash summary of kcatch report, from the kernel log saved with a
 * dump (vmcore-dmesg.txt): the panic line, what caused it (the oops or
 * BUG header before it), the task (the "CPU: N PID: N Comm: X" line),
 * the taint flags, the call trace and the modules loaded at the time.
 * The log is hostile input (anyone may have planted it): the caller
 * bounds its size and opens it (dumpdir.h); every piece printed here is
 * escaped (kc_escape).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpdir.h"

#define MAX_LINES 200000
#define MAX_TRACE 40

struct log {
	char **line;  /* without the "[   12.345678] " time stamp (and caller id) */
	size_t n;
};

/* "[   12.345678] ", and the "[    T123] " or "[      C1] " caller id that
 * kcatch-filter --dump-dmesg and makedumpfile 1.7.5+ print after it. */
static const char *strip_time(const char *s)
{
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e && e - s < 24)
			s = e[1] == ' ' ? e + 2 : e + 1;
		else
			return s;
		size_t sp = strspn(s + 1, " "), d = strspn(s + 2 + sp, "0123456789");
		if (s[0] == '[' && (s[1 + sp] == 'T' || s[1 + sp] == 'C') && d && s[2 + sp + d] == ']')
			s += 3 + sp + d + (s[3 + sp + d] == ' ');
	}
	return s;
}

/* Prints n bytes of s escaped. */
static void put_esc(FILE *out, const char *s, size_t n)
{
	char e[4 * 1024 + 16];
	if (n > 1024)
		n = 1024;
	fputs(kc_escape_n(s, n, e, sizeof(e)), out);
}

static void put_line(FILE *out, const char *label, const char *s)
{
	fputs(label, out);
	put_esc(out, s, strlen(s));
	fputc('\n', out);
}

static void read_log(FILE *f, struct log *l)
{
	char buf[1024];
	l->line = NULL;
	l->n = 0;
	while (l->n < MAX_LINES && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = 0;
		if (l->n % 1024 == 0) {
			char **g = realloc(l->line, (l->n + 1024) * sizeof(*g));
			if (!g)
				break;
			l->line = g;
		}
		if (!(l->line[l->n] = strdup(strip_time(buf))))
			break;
		l->n++;
	}
}

static void free_log(struct log *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The first line of an oops, BUG or warning report. */
static bool is_cause(const char *s)
{
	static const char *const heads[] = { "BUG:", "Oops:", "general protection fault", "kernel BUG at",
		"Unable to handle kernel", "WARNING:", "divide error", "stack segment", "invalid opcode", NULL };
	for (int i = 0; heads[i]; i++)
		if (starts(s, heads[i]))
			return true;
	return false;
}

static const char *taint_meaning(char c)
{
	switch (c) {
	case 'G': return "only GPL modules";
	case 'P': return "proprietary module";
	case 'F': return "module force-loaded";
	case 'S': return "out-of-spec system";
	case 'R': return "module force-unloaded";
	case 'M': return "machine check";
	case 'B': return "bad page";
	case 'U': return "tainted by the user";
	case 'D': return "an earlier oops";
	case 'A': return "ACPI table overridden";
	case 'W': return "an earlier warning";
	case 'C': return "staging driver";
	case 'I': return "firmware bug workaround";
	case 'O': return "out-of-tree module";
	case 'E': return "unsigned module";
	case 'L': return "soft lockup";
	case 'K': return "live patched";
	case 'X': return "distribution-defined";
	case 'T': return "struct randomization";
	case 'N': return "in-kernel test";
	default: return "?";
	}
}

static void print_taint(FILE *out, const char *cpu_line)
{
	const char *t = strstr(cpu_line, "Tainted: ");
	if (strstr(cpu_line, "Not tainted")) {
		fprintf(out, "  taint        not tainted\n");
		return;
	}
	if (!t)
		return;
	fprintf(out, "  taint       ");
	for (t += 9; *t;) {
		t += strspn(t, " ");
		size_t n = strcspn(t, " ");
		if (n != 1)  /* the flags are single letters; the release follows */
			break;
		fputc(' ', out);
		put_esc(out, t, 1);
		fprintf(out, " (%s)", taint_meaning(*t));
		t += 1;
	}
	fputc('\n', out);
}

/* The task: "CPU: 0 PID: 1 Comm: init", without the taint and release after it. */
static void print_task(FILE *out, const char *cpu_line)
{
	const char *cut = NULL, *const stops[] = { " Kdump:", " Tainted:", " Not tainted", NULL };
	for (int i = 0; stops[i]; i++) {
		const char *s = strstr(cpu_line, stops[i]);
		if (s && (!cut || s < cut))
			cut = s;
	}
	fputs("  task         ", out);
	put_esc(out, cpu_line, cut ? (size_t)(cut - cpu_line) : strlen(cpu_line));
	fputc('\n', out);
}

void crash_summary(FILE *out, FILE *log, const char *name)
{
	struct log l;
	size_t panic = SIZE_MAX, start, i;
	read_log(log, &l);
	for (i = l.n; i-- > 0;)
		if (strstr(l.line[i], "Kernel panic - not syncing")) {
			panic = i;
			break;
		}
	/* the report that led to the panic: the last one before it, from its first line */
	start = panic;
	for (i = panic == SIZE_MAX ? l.n : panic; i-- > 0 && (panic == SIZE_MAX || panic - i < 400);)
		if (is_cause(l.line[i])) {
			/* "BUG: ...", "#PF: ...", "PGD ...", then "Oops: ...": one report */
			start = i;
			while (start > 0 && i - start < 8 && (is_cause(l.line[start - 1]) ||
			       starts(l.line[start - 1], "#PF:") || starts(l.line[start - 1], "PGD ")))
				start--;
			break;
		}
	if (start == SIZE_MAX) {
		fprintf(out, "  crash summary: no panic, oops or BUG in %s\n", name);
		free_log(&l);
		return;
	}
	fprintf(out, "  crash summary (from vmcore-dmesg.txt):\n");
	if (start != panic)
		put_line(out, "  cause        ", l.line[start]);
	if (panic != SIZE_MAX)
		put_line(out, "  panic        ", strstr(l.line[panic], "Kernel panic"));
	for (i = start; i < l.n; i++)
		if (strstr(l.line[i], "CPU: ") && strstr(l.line[i], " PID: ") && strstr(l.line[i], " Comm: ")) {
			print_task(out, strstr(l.line[i], "CPU: "));
			print_taint(out, l.line[i]);
			break;
		}
	/* x86 prints the modules after the trace, others before: nearest after, else before */
	const char *mods = NULL;
	for (i = start; i < l.n && !mods; i++)
		if (starts(l.line[i], "Modules linked in:"))
			mods = l.line[i] + 18;
	for (i = start; !mods && i-- > 0 && start - i < 100;)
		if (starts(l.line[i], "Modules linked in:"))
			mods = l.line[i] + 18;
	if (mods)
		put_line(out, *mods ? "  modules     " : "  modules      ", *mods ? mods : "(none)");
	for (i = start; i < l.n; i++) {
		/* x86 "Call Trace:"; arm64 (and riscv) "Call trace:", frames up to the next unindented line */
		if (!starts(l.line[i], "Call Trace:") && !starts(l.line[i], "Call trace:"))
			continue;
		unsigned shown = 0, unreliable = 0;
		fprintf(out, "  backtrace\n");
		for (i++; i < l.n && l.line[i][0] == ' ' && !strstr(l.line[i], "</TASK>"); i++) {
			const char *fr = l.line[i] + strspn(l.line[i], " ");
			if (starts(fr, "<TASK>") || starts(fr, "<IRQ>") || starts(fr, "</IRQ>"))
				continue;
			if (starts(fr, "? ")) {  /* a return address left on the stack, not a frame */
				unreliable++;
				continue;
			}
			if (shown++ < MAX_TRACE)
				put_line(out, "               ", fr);
		}
		if (shown > MAX_TRACE)
			fprintf(out, "               ... %u more frames\n", shown - MAX_TRACE);
		if (unreliable)
			fprintf(out, "               (%u unreliable \"?\" entries left out)\n", unreliable);
		break;
	}
	free_log(&l);
}
