/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network parts of kcatch.conf: ssh:// and nfs:// target URLs and the
 * net line. Every field ends up in a mount option string, an ssh argument
 * or a remote shell command: only characters those take literally pass.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcatch-config.h"

/* ---- ssh:// targets and the net line ---- */

static bool all_of(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return false;
	return true;
}

int kc_ssh_url_parse(const char *v, struct kc_ssh_url *u)
{
	const char *at = strchr(v, '@'), *h, *hend, *rest, *slash;
	size_t hl;

	memset(u, 0, sizeof(*u));
	u->port = 22;
	if (!at || at == v || (size_t)(at - v) >= sizeof(u->user) || !all_of(v, (size_t)(at - v), "._-"))
		return -EINVAL;
	memcpy(u->user, v, (size_t)(at - v));
	h = at + 1;
	if (*h == '[') {  /* [IPv6] */
		hend = strchr(h, ']');
		if (!hend)
			return -EINVAL;
		h++;
		rest = hend + 1;
		if (!all_of(h, (size_t)(hend - h), ":."))
			return -EINVAL;
	} else {
		hend = h + strcspn(h, ":/");
		rest = hend;
		if (!all_of(h, (size_t)(hend - h), ".-"))
			return -EINVAL;
	}
	hl = (size_t)(hend - h);
	if (!hl || hl >= sizeof(u->host) || *h == '-')
		return -EINVAL;
	memcpy(u->host, h, hl);
	if (*rest == ':') {
		char *end;
		unsigned long port;
		errno = 0;
		port = strtoul(rest + 1, &end, 10);
		if (!isdigit((unsigned char)rest[1]) || errno || port == 0 || port > 65535 || (*end && *end != '/'))
			return -EINVAL;
		u->port = (unsigned)port;
		rest = end;
	}
	if (!*rest)
		return 0;
	if (*rest != '/')
		return -EINVAL;
	slash = rest;
	/* Only characters a shell takes literally inside single quotes, and no "..". */
	if (strlen(slash) >= sizeof(u->path) || !all_of(slash, strlen(slash), "/._-+,:@%~") ||
	    strstr(slash, "/../") || (strlen(slash) >= 3 && !strcmp(slash + strlen(slash) - 3, "/..")))
		return -EINVAL;
	snprintf(u->path, sizeof(u->path), "%s", slash);
	if (!strcmp(u->path, "/"))
		u->path[0] = 0;
	return 0;
}

/* Four decimal octets of one to three digits, each at most 255. */
static int parse_ipv4(const char *s, size_t n, uint32_t *out)
{
	uint8_t bytes[4];
	size_t i = 0;

	for (int b = 0; b < 4; b++) {
		unsigned v = 0, digits = 0;
		if (b && (i >= n || s[i++] != '.'))
			return -EINVAL;
		while (i < n && isdigit((unsigned char)s[i]) && digits < 3)
			v = v * 10 + (unsigned)(s[i++] - '0'), digits++;
		if (!digits || v > 255)
			return -EINVAL;
		bytes[b] = (uint8_t)v;
	}
	if (i != n)
		return -EINVAL;
	memcpy(out, bytes, 4);
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	char tail;
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

int kc_net_spec_parse(struct kc_net_spec *n, const char *text)
{
	struct kc_net_spec t = { .set = true };
	char *copy = strdup(text), *save = NULL, *words[5];
	int nw = 0, r = -EINVAL;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (nw == 5)
			goto out;
		words[nw++] = w;
	}
	if (nw != 2 && nw != 4)
		goto out;
	if (parse_mac(words[0], t.mac) == 0)
		t.by_mac = true;
	else if (!strcmp(words[0], "auto"))
		;
	else if (strlen(words[0]) < sizeof(t.iface) && all_of(words[0], strlen(words[0]), "._-@"))
		snprintf(t.iface, sizeof(t.iface), "%s", words[0]);
	else
		goto out;
	if (!strcmp(words[1], "dhcp")) {
		if (nw != 2)
			goto out;
		t.dhcp = true;
	} else {
		char *slash = strchr(words[1], '/'), *end;
		unsigned long pl;
		if (!slash || parse_ipv4(words[1], (size_t)(slash - words[1]), &t.addr) < 0)
			goto out;
		errno = 0;
		pl = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || errno || pl < 1 || pl > 32)
			goto out;
		t.prefix = (unsigned)pl;
		if (nw == 4 && (strcmp(words[2], "gw") || parse_ipv4(words[3], strlen(words[3]), &t.gw) < 0))
			goto out;
	}
	t.text = strdup(text);
	if (!t.text) {
		r = -ENOMEM;
		goto out;
	}
	kc_net_spec_free(n);
	*n = t;
	r = 0;
out:
	free(copy);
	return r;
}

void kc_net_spec_free(struct kc_net_spec *n)
{
	free(n->text);
	memset(n, 0, sizeof(*n));
}

int kc_nfs_url_parse(const char *v, struct kc_nfs_url *u)
{
	const char *h = v, *hend, *rest;
	struct in6_addr a6;
	uint32_t a4;
	size_t hl;

	memset(u, 0, sizeof(*u));
	u->port = 2049;
	if (*h == '[') {  /* [IPv6] */
		hend = strchr(++h, ']');
		if (!hend)
			return -EINVAL;
		rest = hend + 1;
		u->ipv6 = true;
	} else {
		hend = h + strcspn(h, ":/");
		rest = hend;
	}
	hl = (size_t)(hend - h);
	if (!hl || hl >= sizeof(u->host))
		return -EINVAL;
	memcpy(u->host, h, hl);
	if (u->ipv6 ? inet_pton(AF_INET6, u->host, &a6) != 1 : parse_ipv4(h, hl, &a4) < 0)
		return -EINVAL;
	if (*rest == ':') {
		char *end;
		unsigned long port;
		errno = 0;
		port = strtoul(rest + 1, &end, 10);
		if (!isdigit((unsigned char)rest[1]) || errno || port == 0 || port > 65535 || *end != '/')
			return -EINVAL;
		u->port = (unsigned)port;
		rest = end;
	}
	/* An export path is needed; nothing a mount option string would split on, no "..". */
	if (*rest != '/' || strlen(rest) >= sizeof(u->path) || !all_of(rest, strlen(rest), "/._-+:@%~") ||
	    strstr(rest, "/../") || (strlen(rest) >= 3 && !strcmp(rest + strlen(rest) - 3, "/..")))
		return -EINVAL;
	snprintf(u->path, sizeof(u->path), "%s", rest);
	return 0;
}
