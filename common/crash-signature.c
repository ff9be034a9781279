/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash signature (crash-signature.h; the rules are SIGNATURE.md).
 *
 * One pass over the log's lines: find the first line that starts a crash
 * (the anchor), then in the lines after it the faulting function (a
 * kernel-mode RIP/pc line before the call trace) and the first reliable
 * frames of the first call trace. Every step looks only at the current
 * line and copies at most a field's buffer, so hostile logs (NULs, lines
 * of megabytes, no trace) cost time linear in their length and nothing
 * else. The hash is FNV-1a 64: the agent is linked statically and carries
 * no hash library, and a signature needs stability, not secrecy.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crash-signature.h"

/* After the anchor: how many lines may pass before the call trace
 * starts (an x86 Oops prints ~30 lines of registers and code first). */
#define SIG_WINDOW 256

struct span { const char *p, *e; };

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool is_word(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static bool starts(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(s.e - s.p) >= n && memcmp(s.p, lit, n) == 0;
}

static struct span trim(struct span s)
{
	while (s.p < s.e && is_space(*s.p))
		s.p++;
	while (s.e > s.p && is_space(s.e[-1]))
		s.e--;
	return s;
}

/* Skip "[   12.345678] " and a caller id "[    T1] " / "[  C0] " (and a
 * "<4>" level, for logs taken from the console): the message alone. */
static struct span strip_prefix(struct span s)
{
	const char *q = s.p;

	if (q < s.e && *q == '<') {
		const char *r = q + 1;
		while (r < s.e && is_digit(*r))
			r++;
		if (r > q + 1 && r < s.e && *r == '>')
			q = r + 1;
	}
	if (q < s.e && *q == '[') {
		const char *r = q + 1;
		while (r < s.e && (*r == ' ' || is_digit(*r) || *r == '.'))
			r++;
		if (r < s.e && *r == ']') {
			q = r + 1;
			if (q < s.e && *q == ' ')
				q++;
			r = q;
			if (r < s.e && *r == '[') {
				r++;
				while (r < s.e && *r == ' ')
					r++;
				if (r < s.e && (*r == 'T' || *r == 'C')) {
					const char *d = ++r;
					while (r < s.e && is_digit(*r))
						r++;
					if (r > d && r < s.e && *r == ']') {
						q = r + 1;
						if (q < s.e && *q == ' ')
							q++;
					}
				}
			}
		}
	}
	s.p = q;
	return s;
}

/* Append c to out (cap bytes with its NUL) unless full. */
static void put(char *out, size_t cap, size_t *n, char c)
{
	if (*n + 1 < cap)
		out[(*n)++] = c;
	out[*n < cap ? *n : cap - 1] = '\0';
}

/*
 * The cause: the anchor line's text from what names it, cut before
 * " [#" (the oops counter and the kernel's config flags that follow it),
 * every number-like word (0x..., a word of hex digits holding a digit or
 * of 8 or more hex digits) as "#", an absolute path as its last component
 * (an out-of-tree module's BUG_ON names its source by the directory it was
 * built in: a DKMS tree, a home directory; not the bug), blanks as one
 * space, other bytes outside printable ASCII as "?".
 */
static void normalise_cause(struct span s, char *out, size_t cap)
{
	const char *cut = NULL;
	size_t n = 0;

	for (const char *q = s.p; q + 2 < s.e; q++)
		if (q[0] == ' ' && q[1] == '[' && q[2] == '#') {
			cut = q;
			break;
		}
	if (cut)
		s.e = cut;
	s = trim(s);
	out[0] = '\0';
	for (const char *q = s.p; q < s.e && n + 1 < cap;) {
		if (is_word(*q)) {
			const char *w = q;
			bool digit = false, hex = true;
			while (q < s.e && is_word(*q)) {
				digit |= is_digit(*q);
				hex &= is_hex(*q);
				q++;
			}
			bool num = (hex && (digit || q - w >= 8)) ||
				   (q - w > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X'));
			if (num && n > 0 && out[n - 1] == '#')
				continue; /* "0x1f#" and "#" read alike */
			if (num)
				put(out, cap, &n, '#');
			else
				for (; w < q; w++)
					put(out, cap, &n, *w);
		} else if (is_space(*q) || *q == '\0') {
			while (q < s.e && (is_space(*q) || *q == '\0'))
				q++;
			put(out, cap, &n, ' ');
		} else if (*q == '/' && (q == s.p || is_space(q[-1]) || q[-1] == '\0')) {
			/* to after the path's last '/': it ends at a blank or ':' (file:line) */
			const char *last = q;
			for (const char *p = q; p < s.e && !is_space(*p) && *p != ':' && *p != '\0'; p++)
				if (*p == '/')
					last = p;
			q = last + 1;
		} else {
			unsigned char c = (unsigned char)*q++;
			put(out, cap, &n, c >= 0x20 && c < 0x7f ? (char)c : '?');
		}
	}
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

/* The crash this line starts, as the span the cause is taken from; or
 * false. Order matters only for speed: each test is a prefix test but
 * "BUG: ", which watchdog lines carry after their own prefix. */
static bool anchor(struct span m, struct span *cause)
{
	static const char *const prefixes[] = {
		"Kernel panic - not syncing: ", "kernel BUG at ", "Oops", "general protection fault",
		"Unable to handle kernel ", "Internal error: ", "BUG: ",
	};
	m = trim(m);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (starts(m, prefixes[i])) {
			*cause = m;
			return true;
		}
	/* "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [a:1]": from "BUG: " */
	for (const char *q = m.p; q + 7 <= m.e && q < m.p + 24; q++)
		if (q[0] == ':' && memcmp(q + 1, " BUG: ", 6) == 0) {
			cause->p = q + 2;
			cause->e = m.e;
			return true;
		}
	return false;
}

/*
 * "func+0x1a/0x30", "func.cold+0x9f/0xe6 [mod 0123abcd]", with an optional
 * "[<ffffffff81234567>] " in front (older kernels): "func" or "func [mod]"
 * into out. Compiler suffixes (.cold, .isra.0, .constprop.0, .part.0,
 * .llvm.123) go: a C name has no dot, and they change between builds of
 * one source. False for anything else (an address alone, a marker).
 */
static bool parse_symbol(struct span s, char *out, size_t cap)
{
	const char *q = trim(s).p, *e = s.e, *name, *dot = NULL, *mod = NULL, *mod_e = NULL;
	size_t n = 0;

	if (q + 2 < e && q[0] == '[' && q[1] == '<') {
		while (q < e && *q != ']')
			q++;
		if (q < e)
			q++;
		while (q < e && is_space(*q))
			q++;
	}
	name = q;
	while (q < e && (is_word(*q) || *q == '.' || *q == '$')) {
		if (*q == '.' && !dot)
			dot = q;
		q++;
	}
	if (q == name || (dot ? dot : q) == name || e - q < 3 || memcmp(q, "+0x", 3) != 0)
		return false;
	const char *name_e = dot ? dot : q;
	/* skip the offset/size, then a module: " [mod]" or " [mod buildid]" */
	while (q < e && !is_space(*q))
		q++;
	while (q < e && is_space(*q))
		q++;
	if (q < e && *q == '[') {
		mod = ++q;
		while (q < e && (is_word(*q) || *q == '-'))
			q++;
		mod_e = q;
		if (mod_e == mod)
			mod = NULL;
	}
	out[0] = '\0';
	for (const char *c = name; c < name_e; c++)
		put(out, cap, &n, *c);
	if (mod) {
		put(out, cap, &n, ' ');
		put(out, cap, &n, '[');
		for (const char *c = mod; c < mod_e; c++)
			put(out, cap, &n, *c);
		put(out, cap, &n, ']');
	}
	return true;
}

/* Frames that only report the crash (how the trace was printed, the
 * panic call itself), dropped while they lead the trace. */
static bool reporter(const char *f)
{
	static const char *const names[] = {
		"dump_backtrace", "show_stack", "dump_stack_lvl", "dump_stack", "__dump_stack",
		"panic", "vpanic", "nmi_panic",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(f, names[i]) == 0)
			return true;
	return false;
}

/* "RIP: 0010:func+0x1a/0x30": x86 in kernel mode. The selector is 0010
 * on bare metal and KVM, e030 under Xen PV; "RIP: 0033:" and "0023:" are
 * the user program (64-bit, compat), which never names a kernel function. */
static bool kernel_rip(struct span t)
{
	if (!starts(t, "RIP: ") || t.e - t.p < 10 || t.p[9] != ':')
		return false;
	for (int i = 5; i < 9; i++)
		if (!is_hex(t.p[i]))
			return false;
	return memcmp(t.p + 5, "0033", 4) != 0 && memcmp(t.p + 5, "0023", 4) != 0;
}

/* "6.12" from "6.12.117+deb13-amd64": the first two numbers. */
static void family(const char *release, char *out, size_t cap)
{
	const char *q = release;
	size_t n = 0;

	out[0] = '\0';
	if (!q || !is_digit(*q))
		return;
	for (int part = 0; part < 2; part++) {
		const char *d = q;
		while (is_digit(*q) && q - d < 5)
			put(out, cap, &n, *q++);
		if (q == d || is_digit(*q)) {
			out[0] = '\0';
			return;
		}
		if (part == 0) {
			if (*q != '.') {
				out[0] = '\0';
				return;
			}
			put(out, cap, &n, *q++);
		}
	}
}

size_t kc_signature_canonical(const struct kc_signature *sig, char *buf, size_t len)
{
	size_t n = 0;
	int r = snprintf(buf, len, "kcatch-signature %d\ncause %s\nfunction %s\n", KC_SIG_VERSION,
			 sig->cause, sig->function);

	n = r > 0 ? (size_t)r : 0;
	for (unsigned i = 0; i < sig->nframes && i < KC_SIG_FRAMES; i++) {
		r = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "frame %s\n", sig->frames[i]);
		n += r > 0 ? (size_t)r : 0;
	}
	r = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "family %s\n", sig->family);
	n += r > 0 ? (size_t)r : 0;
	return n;
}

static void hash(struct kc_signature *sig)
{
	/* cause + function + frames + family, each bounded: fits */
	char buf[64 + KC_SIG_CAUSE_MAX + (KC_SIG_FRAMES + 1) * (KC_SIG_FUNC_MAX + 16) + KC_SIG_FAMILY_MAX];
	size_t n = kc_signature_canonical(sig, buf, sizeof(buf));
	uint64_t h = 0xcbf29ce484222325ull;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)buf[i];
		h *= 0x100000001b3ull;
	}
	snprintf(sig->hash, sizeof(sig->hash), "%016llx", (unsigned long long)h);
}

int kc_signature(const char *log, size_t len, const char *release, struct kc_signature *sig)
{
	enum { SEEK, AFTER, TRACE } state = SEEK;
	unsigned window = 0;
	const char *p = log, *end;

	if (!sig || (!log && len))
		return -EINVAL;
	end = log ? log + len : log; /* NULL + 0 is undefined */
	memset(sig, 0, sizeof(*sig));
	family(release, sig->family, sizeof(sig->family));
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct span line = { p, nl ? nl : end }, m = strip_prefix(line), c;
		p = nl ? nl + 1 : end;

		if (state == SEEK) {
			if (anchor(m, &c)) {
				normalise_cause(c, sig->cause, sizeof(sig->cause));
				state = AFTER;
			}
			continue;
		}
		struct span t = trim(m);
		if (state == AFTER) {
			if (starts(t, "Call Trace:") || starts(t, "Call trace:")) {
				state = TRACE;
			} else if (!sig->function[0] && (kernel_rip(t) || starts(t, "pc : ") ||
							 starts(t, "PC is at "))) {
				t.p += starts(t, "RIP: ") ? 10 : starts(t, "pc : ") ? 5 : 9;
				parse_symbol(t, sig->function, sizeof(sig->function));
			} else if (++window > SIG_WINDOW) {
				break;
			}
			continue;
		}
		/* TRACE */
		if (starts(t, "? "))
			continue;
		if (t.e - t.p >= 3 && t.e - t.p <= 8 && t.p[0] == '<' && t.e[-1] == '>')
			continue; /* <IRQ> </IRQ> <TASK> </TASK> <NMI> <EOI> */
		char f[KC_SIG_FUNC_MAX];
		if (!parse_symbol(t, f, sizeof(f)))
			break;
		if (sig->nframes == 0 && reporter(f))
			continue;
		/* only up to the NUL: the rest stays zero, so equal signatures are equal bytes */
		memcpy(sig->frames[sig->nframes++], f, strlen(f) + 1);
		if (sig->nframes == KC_SIG_FRAMES)
			break;
	}
	if (state == SEEK)
		return -ENODATA;
	/* a panic has no kernel-mode RIP: the function that called panic() */
	if (!sig->function[0] && sig->nframes)
		memcpy(sig->function, sig->frames[0], strlen(sig->frames[0]) + 1);
	hash(sig);
	return 0;
}
