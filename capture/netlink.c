/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NETLINK_ROUTE messages for the few things the capture kernel needs:
 * list the links, set one up, give it an IPv4 address and a default
 * route. Built by hand (nlmsghdr + family header + rtattrs) into the
 * caller's buffer; the parser checks every length against the datagram
 * before it reads a byte, since it runs as PID 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"

struct builder {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};

static void *reserve(struct builder *b, size_t n)
{
	size_t aligned = NLMSG_ALIGN(n);
	if (b->overflow || aligned > b->cap - b->len) {
		b->overflow = true;
		return NULL;
	}
	void *p = b->buf + b->len;
	memset(p, 0, aligned);
	b->len += aligned;
	return p;
}

static struct nlmsghdr *start(struct builder *b, void *buf, size_t cap, uint16_t type, uint16_t flags,
			      uint32_t seq)
{
	*b = (struct builder){ .buf = buf, .cap = cap };
	struct nlmsghdr *h = reserve(b, sizeof(*h));
	if (h) {
		h->nlmsg_type = type;
		h->nlmsg_flags = NLM_F_REQUEST | flags;
		h->nlmsg_seq = seq;
	}
	return h;
}

static void attr(struct builder *b, uint16_t type, const void *data, size_t n)
{
	struct rtattr *a = reserve(b, RTA_LENGTH(n));
	if (!a)
		return;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	memcpy(RTA_DATA(a), data, n);
}

static size_t finish(struct builder *b, struct nlmsghdr *h)
{
	if (b->overflow || !h)
		return 0;
	h->nlmsg_len = (uint32_t)b->len;
	return b->len;
}

size_t kc_nl_getlink(void *buf, size_t len, uint32_t seq)
{
	struct builder b;
	struct nlmsghdr *h = start(&b, buf, len, RTM_GETLINK, NLM_F_DUMP, seq);
	struct ifinfomsg *ifi = reserve(&b, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	return finish(&b, h);
}

size_t kc_nl_link_up(void *buf, size_t len, uint32_t seq, int ifindex)
{
	struct builder b;
	struct nlmsghdr *h = start(&b, buf, len, RTM_NEWLINK, NLM_F_ACK, seq);
	struct ifinfomsg *ifi = reserve(&b, sizeof(*ifi));
	if (ifi) {
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = ifindex;
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	return finish(&b, h);
}

size_t kc_nl_addr_add(void *buf, size_t len, uint32_t seq, int ifindex, uint32_t addr, unsigned prefix)
{
	struct builder b;
	/* NLM_F_REPLACE: a second attempt (fallback target) finds the address there */
	struct nlmsghdr *h = start(&b, buf, len, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq);
	struct ifaddrmsg *ifa = reserve(&b, sizeof(*ifa));
	uint32_t host_mask = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
	uint32_t brd = addr | htonl(host_mask);

	if (ifa) {
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = (unsigned char)prefix;
		ifa->ifa_scope = RT_SCOPE_UNIVERSE;
		ifa->ifa_index = (unsigned)ifindex;
	}
	attr(&b, IFA_LOCAL, &addr, 4);
	attr(&b, IFA_ADDRESS, &addr, 4);
	if (prefix < 31)
		attr(&b, IFA_BROADCAST, &brd, 4);
	return finish(&b, h);
}

size_t kc_nl_route_add(void *buf, size_t len, uint32_t seq, int ifindex, uint32_t gw)
{
	struct builder b;
	struct nlmsghdr *h = start(&b, buf, len, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq);
	struct rtmsg *rt = reserve(&b, sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;

	if (rt) {
		rt->rtm_family = AF_INET;
		rt->rtm_dst_len = 0;  /* default route */
		rt->rtm_table = RT_TABLE_MAIN;
		rt->rtm_protocol = RTPROT_BOOT;
		rt->rtm_scope = RT_SCOPE_UNIVERSE;
		rt->rtm_type = RTN_UNICAST;
	}
	attr(&b, RTA_GATEWAY, &gw, 4);
	attr(&b, RTA_OIF, &oif, 4);
	return finish(&b, h);
}

static int parse_link(const struct nlmsghdr *h, kc_nl_link_fn fn, void *arg)
{
	const struct ifinfomsg *ifi;
	struct kc_link l = { .carrier = -1 };
	size_t off, end = h->nlmsg_len;

	if (end < NLMSG_LENGTH(sizeof(*ifi)))
		return -EBADMSG;
	ifi = NLMSG_DATA(h);
	l.index = ifi->ifi_index;
	l.type = ifi->ifi_type;
	l.flags = ifi->ifi_flags;
	for (off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*ifi))); off + sizeof(struct rtattr) <= end;) {
		const struct rtattr *a = (const void *)((const uint8_t *)h + off);
		size_t alen = a->rta_len, dlen;
		if (alen < sizeof(*a) || alen > end - off)
			return -EBADMSG;
		dlen = alen - RTA_LENGTH(0);
		const uint8_t *d = RTA_DATA(a);
		switch (a->rta_type) {
		case IFLA_IFNAME:
			if (dlen && dlen <= sizeof(l.name) && memchr(d, 0, dlen))
				memcpy(l.name, d, dlen);
			break;
		case IFLA_ADDRESS:
			if (dlen == 6) {
				memcpy(l.mac, d, 6);
				l.has_mac = true;
			}
			break;
		case IFLA_CARRIER:
			if (dlen >= 1)
				l.carrier = d[0];
			break;
		}
		off += RTA_ALIGN(alen);
	}
	if (l.name[0])
		fn(arg, &l);
	return 0;
}

int kc_nl_parse(const void *buf, size_t len, uint32_t seq, kc_nl_link_fn fn, void *arg)
{
	size_t off = 0;

	while (off + sizeof(struct nlmsghdr) <= len) {
		const struct nlmsghdr *h = (const void *)((const uint8_t *)buf + off);
		size_t mlen = h->nlmsg_len;
		if (mlen < sizeof(*h) || mlen > len - off)
			return -EBADMSG;
		if (h->nlmsg_seq == seq) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 1;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (mlen < NLMSG_LENGTH(sizeof(int)))
					return -EBADMSG;
				/* error 0 is the ack of a request; a negative errno its failure */
				return e->error < 0 && e->error > -4096 ? e->error : e->error == 0 ? 1 : -EBADMSG;
			}
			if (h->nlmsg_type == RTM_NEWLINK && fn) {
				int r = parse_link(h, fn, arg);
				if (r < 0)
					return r;
			}
		}
		off += NLMSG_ALIGN(mlen);
	}
	return 0;
}
