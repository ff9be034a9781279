/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bounded reader for the kcatch.json files retention reads back. The
 * agent is a static PID 1 with no json-c (nor any shared library) in its
 * image, and it needs five scalar fields: a validating recursive-descent
 * parser over a buffer of at most 64 KiB, nesting at most 16 deep, that
 * copies only those fields into fixed arrays and skips the rest. Strings
 * are checked byte by byte (no raw control characters, valid escapes);
 * a wanted string may not hold \u0000 or a character above \u00ff (the
 * agent's writer emits \u00XX only), nor be longer than its field.
 */
#include <errno.h>
#include <string.h>

#include "dumpinfo.h"

#define MAX_DEPTH 16
#define BAD (-EBADMSG)

struct rd {
	const unsigned char *p, *end;
};

enum ftype { F_STR, F_U64 };

struct field {
	const char *key;
	enum ftype type;
	char *str;           /* F_STR: out, len bytes with the NUL */
	size_t len;
	uint64_t *u;         /* F_U64 */
	bool *has;
};

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool eat(struct rd *r, unsigned char c)
{
	ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

static int hex4(struct rd *r, unsigned *v)
{
	*v = 0;
	if (r->end - r->p < 4)
		return BAD;
	for (int i = 0; i < 4; i++) {
		unsigned c = *r->p++, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return BAD;
		*v = *v << 4 | d;
	}
	return 0;
}

/*
 * The string at r->p. With out, its bytes go there (len with the NUL);
 * when they do not fit, *too_long is set if given, else it is an error.
 */
static int string(struct rd *r, char *out, size_t len, bool *too_long)
{
	size_t n = 0;

	if (r->p >= r->end || *r->p != '"')
		return BAD;
	r->p++;
	while (r->p < r->end) {
		unsigned c = *r->p++;
		if (c == '"') {
			if (out)
				out[n] = 0;
			return 0;
		}
		if (c < 0x20)
			return BAD;
		if (c == '\\') {
			if (r->p >= r->end)
				return BAD;
			switch (c = *r->p++) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (hex4(r, &c) < 0 || (out && (c == 0 || c > 0xff)))
					return BAD;
				break;
			default:
				return BAD;
			}
		}
		if (!out)
			continue;
		if (n + 1 < len)
			out[n++] = (char)c;
		else if (too_long)
			*too_long = true;
		else
			return BAD;
	}
	return BAD;
}

/* A JSON number; *u and *is_u64 tell whether it is an unsigned integer that fits. */
static int number(struct rd *r, uint64_t *u, bool *is_u64)
{
	const unsigned char *p = r->p, *e = r->end;
	bool neg = false, fits = true;
	uint64_t v = 0;

	if (p < e && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= e || *p < '0' || *p > '9')
		return BAD;
	if (*p == '0') {
		p++;
	} else {
		for (; p < e && *p >= '0' && *p <= '9'; p++) {
			unsigned d = *p - '0';
			if (v > (UINT64_MAX - d) / 10)
				fits = false;
			else
				v = v * 10 + d;
		}
	}
	if (p < e && *p == '.') {
		fits = false;
		if (++p >= e || *p < '0' || *p > '9')
			return BAD;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		fits = false;
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return BAD;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	r->p = p;
	*u = v;
	*is_u64 = fits && !neg;
	return 0;
}

static int literal(struct rd *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return BAD;
	r->p += n;
	return 0;
}

static int value(struct rd *r, int depth, const struct field *f);

static int object(struct rd *r, int depth, const struct field *fields, size_t nfields)
{
	unsigned seen = 0;

	r->p++;  /* '{' */
	if (eat(r, '}'))
		return 0;
	for (;;) {
		char key[40];
		bool long_key = false;
		const struct field *f = NULL;

		ws(r);
		if (string(r, key, sizeof(key), &long_key) < 0 || !eat(r, ':'))
			return BAD;
		for (size_t i = 0; i < nfields && !long_key; i++)
			if (!strcmp(key, fields[i].key)) {
				if (seen & (1u << i))
					return BAD;  /* which of the two would count? */
				seen |= 1u << i;
				f = &fields[i];
			}
		if (value(r, depth + 1, f) < 0)
			return BAD;
		if (eat(r, ','))
			continue;
		return eat(r, '}') ? 0 : BAD;
	}
}

static int array(struct rd *r, int depth)
{
	r->p++;  /* '[' */
	if (eat(r, ']'))
		return 0;
	for (;;) {
		if (value(r, depth + 1, NULL) < 0)
			return BAD;
		if (eat(r, ','))
			continue;
		return eat(r, ']') ? 0 : BAD;
	}
}

/* One value; f, when not NULL, is the wanted field it is for. */
static int value(struct rd *r, int depth, const struct field *f)
{
	uint64_t u;
	bool is_u64;

	if (depth > MAX_DEPTH)
		return BAD;
	ws(r);
	if (r->p >= r->end)
		return BAD;
	switch (*r->p) {
	case '{':
		return f ? BAD : object(r, depth, NULL, 0);
	case '[':
		return f ? BAD : array(r, depth);
	case '"':
		if (f && f->type != F_STR)
			return BAD;
		return string(r, f ? f->str : NULL, f ? f->len : 0, NULL);
	case 't':
		return f ? BAD : literal(r, "true");
	case 'f':
		return f ? BAD : literal(r, "false");
	case 'n':
		return literal(r, "null");  /* a wanted field left empty */
	}
	if (number(r, &u, &is_u64) < 0)
		return BAD;
	if (f && (f->type != F_U64 || !is_u64))
		return BAD;
	if (f) {
		*f->u = u;
		*f->has = true;
	}
	return 0;
}

int kc_dumpinfo_parse(const char *buf, size_t len, struct kc_dumpinfo *out)
{
	struct rd r = { (const unsigned char *)buf, (const unsigned char *)buf + len };
	struct kc_dumpinfo d = { 0 };
	const struct field fields[] = {
		{ "kcatch_version", F_STR, d.version, sizeof(d.version), NULL, NULL },
		{ "status", F_STR, d.status, sizeof(d.status), NULL, NULL },
		{ "id", F_STR, d.id, sizeof(d.id), NULL, NULL },
		{ "hostname", F_STR, d.hostname, sizeof(d.hostname), NULL, NULL },
		{ "machine_id", F_STR, d.machine_id, sizeof(d.machine_id), NULL, NULL },
		{ "crash_time_epoch", F_U64, NULL, 0, &d.crash_time, &d.has_crash_time },
	};

	if (len > KC_DUMPINFO_MAX)
		return BAD;
	ws(&r);
	if (r.p >= r.end || *r.p != '{' || object(&r, 1, fields, sizeof(fields) / sizeof(fields[0])) < 0)
		return BAD;
	ws(&r);
	if (r.p != r.end)
		return BAD;
	*out = d;
	return 0;
}
