/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small JSON reader for kcatch.json (written by kcatch-agent): objects
 * are flattened to "a.b" keys, array elements to "a[]".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcatch.h"

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

