/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DHCPv4 messages (RFC 2131/2132): the DISCOVER and REQUEST a client
 * without an address sends, and the parser for OFFER/ACK/NAK. Answers
 * come from the network (anyone on the segment may send one): every
 * option length is checked against its field, the message type must be
 * given once, a server identifier is required (RFC 2131 4.3.1), and an
 * answer for another transaction or MAC is ignored. kc_dhcp_accept()
 * then takes only the answer the client waits for: an OFFER while it
 * discovers, and after its REQUEST only the ACK of the offered address
 * from the server it chose, or that server's NAK.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "net.h"

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define FIXED_LEN 236          /* op .. file, before the magic cookie */
#define COOKIE 0x63825363u
#define FLAG_BROADCAST 0x8000

enum {
	OPT_PAD = 0, OPT_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_HOSTNAME = 12, OPT_REQUESTED = 50,
	OPT_LEASE = 51, OPT_OVERLOAD = 52, OPT_TYPE = 53, OPT_SERVER = 54, OPT_PARAMS = 55,
	OPT_MAX_SIZE = 57, OPT_CLIENT_ID = 61, OPT_END = 255,
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t kc_dhcp_build(uint8_t *buf, size_t len, uint8_t type, uint32_t xid, const uint8_t mac[6],
		     uint16_t secs, uint32_t requested_addr, uint32_t server_id)
{
	static const uint8_t params[] = { OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_LEASE, OPT_SERVER };
	size_t o;

	/* fixed part + cookie + the options below, padded to the 300 bytes BOOTP relays expect */
	if (len < 300)
		return 0;
	memset(buf, 0, 300);
	buf[0] = BOOTREQUEST;
	buf[1] = 1;  /* htype Ethernet */
	buf[2] = 6;  /* hlen */
	put32(buf + 4, xid);
	put16(buf + 8, secs);
	put16(buf + 10, FLAG_BROADCAST);  /* no address yet: the answer must be broadcast */
	memcpy(buf + 28, mac, 6);         /* chaddr */
	put32(buf + FIXED_LEN, COOKIE);
	o = FIXED_LEN + 4;
	buf[o++] = OPT_TYPE;
	buf[o++] = 1;
	buf[o++] = type;
	buf[o++] = OPT_CLIENT_ID;
	buf[o++] = 7;
	buf[o++] = 1;  /* hardware type, then the MAC */
	memcpy(buf + o, mac, 6);
	o += 6;
	buf[o++] = OPT_MAX_SIZE;
	buf[o++] = 2;
	put16(buf + o, KC_DHCP_PACKET_MAX);
	o += 2;
	if (type == KC_DHCP_REQUEST) {
		buf[o++] = OPT_REQUESTED;
		buf[o++] = 4;
		memcpy(buf + o, &requested_addr, 4);
		o += 4;
		buf[o++] = OPT_SERVER;
		buf[o++] = 4;
		memcpy(buf + o, &server_id, 4);
		o += 4;
	}
	buf[o++] = OPT_PARAMS;
	buf[o++] = sizeof(params);
	memcpy(buf + o, params, sizeof(params));
	o += sizeof(params);
	buf[o++] = OPT_END;
	return o < 300 ? 300 : o;
}

/* What a message must say once: a second, different value makes it malformed. */
static int set_once(uint32_t *field, bool *seen, uint32_t v)
{
	if (*seen && *field != v)
		return -EBADMSG;
	*field = v;
	*seen = true;
	return 0;
}

struct seen {
	bool type, server;
};

static int options(const uint8_t *p, size_t len, struct kc_dhcp_lease *l, unsigned *overload, struct seen *seen)
{
	size_t o = 0;
	uint32_t v;

	while (o < len) {
		uint8_t code = p[o++], n;
		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			return 0;
		if (o >= len)
			return -EBADMSG;
		n = p[o++];
		if (n > len - o)
			return -EBADMSG;
		const uint8_t *d = p + o;
		switch (code) {
		case OPT_TYPE:
			if (n != 1)
				return -EBADMSG;
			v = l->type;
			if (set_once(&v, &seen->type, d[0]) < 0)
				return -EBADMSG;
			l->type = (uint8_t)v;
			break;
		case OPT_MASK:
			if (n == 4)
				memcpy(&l->mask, d, 4);
			break;
		case OPT_ROUTER:
			if (n >= 4 && n % 4 == 0)
				memcpy(&l->router, d, 4);
			break;
		case OPT_DNS:
			for (unsigned i = 0; i + 4 <= n && l->n_dns < KC_DHCP_MAX_DNS; i += 4)
				memcpy(&l->dns[l->n_dns++], d + i, 4);
			break;
		case OPT_SERVER:
			if (n != 4)
				return -EBADMSG;
			memcpy(&v, d, 4);
			if (set_once(&l->server_id, &seen->server, v) < 0)
				return -EBADMSG;
			break;
		case OPT_LEASE:
			if (n == 4)
				l->lease_secs = get32(d);
			break;
		case OPT_OVERLOAD:
			if (n == 1 && overload)
				*overload = d[0];
			break;
		}
		o += n;
	}
	return 0;  /* no END: accepted, as many servers pad short packets */
}

int kc_dhcp_parse(const uint8_t *buf, size_t len, uint32_t xid, const uint8_t mac[6],
		  struct kc_dhcp_lease *lease)
{
	struct kc_dhcp_lease l = { 0 };
	struct seen seen = { 0 };
	unsigned overload = 0;
	int r;

	if (len < FIXED_LEN + 4 || buf[0] != BOOTREPLY || buf[1] != 1 || buf[2] != 6)
		return len < FIXED_LEN + 4 ? -EBADMSG : -ENOMSG;
	if (get32(buf + FIXED_LEN) != COOKIE)
		return -EBADMSG;
	if (get32(buf + 4) != xid || memcmp(buf + 28, mac, 6))
		return -ENOMSG;
	memcpy(&l.addr, buf + 16, 4);
	/* the datagram is at most what recv() gave; options never go past it */
	r = options(buf + FIXED_LEN + 4, len - FIXED_LEN - 4, &l, &overload, &seen);
	/* option 52: more options in the file (128 bytes at 108) and/or sname (64 at 44) fields */
	if (r == 0 && (overload & 1))
		r = options(buf + 108, 128, &l, NULL, &seen);
	if (r == 0 && (overload & 2))
		r = options(buf + 44, 64, &l, NULL, &seen);
	if (r < 0)
		return r;
	if (l.type != KC_DHCP_OFFER && l.type != KC_DHCP_ACK && l.type != KC_DHCP_NAK)
		return -ENOMSG;
	if (!seen.server || !l.server_id)
		return -EBADMSG;
	if (l.type != KC_DHCP_NAK) {
		uint32_t a = ntohl(l.addr);
		/* 0/8, 127/8, multicast and broadcast are no address for a host */
		if (a >> 24 == 0 || a >> 24 == 127 || a >= 0xe0000000u)
			return -EBADMSG;
		if (l.mask && kc_mask_prefix(l.mask) < 0)
			l.mask = 0;
	}
	*lease = l;
	return 0;
}

bool kc_dhcp_accept(const struct kc_dhcp_lease *l, uint8_t want, uint32_t server_id, uint32_t offered)
{
	if (want == KC_DHCP_OFFER)
		return l->type == KC_DHCP_OFFER;
	if (want != KC_DHCP_ACK || l->server_id != server_id)
		return false;  /* another server's ACK or NAK is for another client's choice */
	return l->type == KC_DHCP_NAK || (l->type == KC_DHCP_ACK && l->addr == offered);
}

int kc_mask_prefix(uint32_t mask)
{
	uint32_t m = ntohl(mask);
	int n = 0;
	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	if (n < 32 && (m << n))
		return -1;
	return n;
}
