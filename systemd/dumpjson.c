/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kcatch.json as the host reads it back: json-c parses the bytes (of a
 * known length: no NUL needed, none trusted), the values kcatch list and
 * report show come out escaped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "dumpdir.h"

/* Deeper than kcatch.json ever is (3 levels), shallow enough to bound the parser. */
#define JSON_DEPTH 16

int dd_json_parse(const char *text, size_t len, struct json_object **out, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;

	*out = NULL;
	if (len > DD_JSON_MAX || len > (size_t)0x7fffffff) {
		snprintf(err, errlen, "larger than %d bytes", DD_JSON_MAX);
		return -EINVAL;
	}
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		snprintf(err, errlen, "not valid JSON (%s at byte %zu)",
			 e == json_tokener_continue ? "ends early" : json_tokener_error_desc(e),
			 json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < len && (text[end] == ' ' || text[end] == '\t' || text[end] == '\r' || text[end] == '\n'))
		end++;
	if (end < len || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, end < len ? "not valid JSON (bytes after the object at byte %zu)" :
			 "not a JSON object", end);
		json_object_put(o);
		return -EINVAL;
	}
	*out = o;
	return 0;
}

const char *dd_json_get(struct json_object *root, const char *path, char *buf, size_t len)
{
	struct json_object *o = root;
	char key[128];

	for (const char *p = path; o;) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, p, n);
		key[n] = 0;
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		if (!p[n])
			break;
		p += n + 1;
	}
	switch (o ? json_object_get_type(o) : json_type_null) {
	case json_type_string:
		/* the length json-c keeps: a \u0000 inside shows as \x00, not as the end */
		return kc_escape_n(json_object_get_string(o), (size_t)json_object_get_string_len(o), buf, len);
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return kc_escape(json_object_get_string(o), buf, len);
	default:
		return NULL;
	}
}
