/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capture agent's network messages and settings: NETLINK_ROUTE
 * builders and parser, DHCPv4 builder and parser (answers are untrusted
 * bytes: truncations, foreign transactions, overloaded options), and the
 * "net" line and ssh:// targets of kcatch.conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcatch-config.h"
#include "net.h"
#include "tap.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* The payload of attribute type in message h after a family header of hdr bytes, or NULL. */
static const void *find_attr(const struct nlmsghdr *h, size_t hdr, unsigned short type, size_t *len)
{
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(hdr));
	while (off + sizeof(struct rtattr) <= h->nlmsg_len) {
		const struct rtattr *a = (const void *)((const char *)h + off);
		if (a->rta_len < sizeof(*a))
			return NULL;
		if (a->rta_type == type) {
			*len = a->rta_len - RTA_LENGTH(0);
			return RTA_DATA(a);
		}
		off += RTA_ALIGN(a->rta_len);
	}
	return NULL;
}

static void test_netlink_builders(void)
{
	uint8_t buf[256];
	size_t n, alen;
	const struct nlmsghdr *h = (const void *)buf;
	const void *v;

	n = kc_nl_getlink(buf, sizeof(buf), 7);
	ok(n == NLMSG_LENGTH(sizeof(struct ifinfomsg)) && h->nlmsg_len == n && h->nlmsg_type == RTM_GETLINK &&
	   h->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP) && h->nlmsg_seq == 7, "RTM_GETLINK dump request");

	n = kc_nl_link_up(buf, sizeof(buf), 8, 3);
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	ok(n == h->nlmsg_len && h->nlmsg_type == RTM_NEWLINK && (h->nlmsg_flags & NLM_F_ACK) &&
	   ifi->ifi_index == 3 && ifi->ifi_flags == IFF_UP && ifi->ifi_change == IFF_UP,
	   "link up: RTM_NEWLINK, index 3, IFF_UP in flags and change mask, ack requested");

	n = kc_nl_addr_add(buf, sizeof(buf), 9, 2, ip("10.0.2.15"), 24);
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	uint32_t local = 0, brd = 0;
	v = find_attr(h, sizeof(*ifa), IFA_LOCAL, &alen);
	if (v && alen == 4)
		memcpy(&local, v, 4);
	v = find_attr(h, sizeof(*ifa), IFA_BROADCAST, &alen);
	if (v && alen == 4)
		memcpy(&brd, v, 4);
	ok(n == h->nlmsg_len && h->nlmsg_type == RTM_NEWADDR && ifa->ifa_family == AF_INET &&
	   ifa->ifa_prefixlen == 24 && ifa->ifa_index == 2 && local == ip("10.0.2.15") && brd == ip("10.0.2.255"),
	   "address: 10.0.2.15/24 on index 2, broadcast 10.0.2.255");
	n = kc_nl_addr_add(buf, sizeof(buf), 9, 2, ip("192.168.7.9"), 20);
	v = find_attr(h, sizeof(*ifa), IFA_BROADCAST, &alen);
	memcpy(&brd, v ? v : &brd, 4);
	ok(n && brd == ip("192.168.15.255"), "address: /20 broadcast 192.168.15.255");

	n = kc_nl_route_add(buf, sizeof(buf), 10, 2, ip("10.0.2.2"));
	const struct rtmsg *rt = NLMSG_DATA(h);
	uint32_t gw = 0, oif = 0;
	v = find_attr(h, sizeof(*rt), RTA_GATEWAY, &alen);
	if (v && alen == 4)
		memcpy(&gw, v, 4);
	v = find_attr(h, sizeof(*rt), RTA_OIF, &alen);
	if (v && alen == 4)
		memcpy(&oif, v, 4);
	ok(n == h->nlmsg_len && h->nlmsg_type == RTM_NEWROUTE && rt->rtm_dst_len == 0 &&
	   rt->rtm_table == RT_TABLE_MAIN && rt->rtm_type == RTN_UNICAST && gw == ip("10.0.2.2") && oif == 2,
	   "default route via 10.0.2.2 out of index 2 in the main table");

	ok(kc_nl_getlink(buf, 16, 1) == 0 && kc_nl_addr_add(buf, 40, 1, 2, ip("10.0.2.15"), 24) == 0 &&
	   kc_nl_route_add(buf, 30, 1, 2, ip("10.0.2.2")) == 0, "builders return 0 when the buffer is too small");
}

/* A RTM_NEWLINK answer: name, MAC and carrier attributes, appended to buf at *off. */
static void put_link(uint8_t *buf, size_t *off, uint32_t seq, int index, const char *name, int carrier)
{
	struct nlmsghdr *h = (void *)(buf + *off);
	size_t o = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg)));
	memset(h, 0, 256);
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_seq = seq;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	ifi->ifi_index = index;
	ifi->ifi_type = 1;
	ifi->ifi_flags = IFF_UP;
	struct rtattr *a = (void *)((uint8_t *)h + o);
	a->rta_type = IFLA_IFNAME;
	a->rta_len = (unsigned short)RTA_LENGTH(strlen(name) + 1);
	memcpy(RTA_DATA(a), name, strlen(name) + 1);
	o += RTA_ALIGN(a->rta_len);
	a = (void *)((uint8_t *)h + o);
	a->rta_type = IFLA_ADDRESS;
	a->rta_len = RTA_LENGTH(6);
	memcpy(RTA_DATA(a), "\x52\x54\x00\x4b\x43\x01", 6);
	o += RTA_ALIGN(a->rta_len);
	if (carrier >= 0) {
		a = (void *)((uint8_t *)h + o);
		a->rta_type = IFLA_CARRIER;
		a->rta_len = RTA_LENGTH(1);
		*(uint8_t *)RTA_DATA(a) = (uint8_t)carrier;
		o += RTA_ALIGN(a->rta_len);
	}
	h->nlmsg_len = (uint32_t)o;
	*off += NLMSG_ALIGN(o);
}

static void put_ctl(uint8_t *buf, size_t *off, uint32_t seq, uint16_t type, int error)
{
	struct nlmsghdr *h = (void *)(buf + *off);
	memset(h, 0, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	h->nlmsg_type = type;
	h->nlmsg_seq = seq;
	h->nlmsg_len = NLMSG_LENGTH(type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : sizeof(int));
	((struct nlmsgerr *)NLMSG_DATA(h))->error = error;
	*off += NLMSG_ALIGN(h->nlmsg_len);
}

struct seen {
	int n;
	struct kc_link last;
};
static void on_link(void *arg, const struct kc_link *l)
{
	struct seen *s = arg;
	s->n++;
	s->last = *l;
}

static void test_netlink_parser(void)
{
	static uint8_t buf[4096];
	struct seen s = { 0 };
	size_t off = 0;
	int r;

	put_link(buf, &off, 5, 1, "lo", -1);
	put_link(buf, &off, 5, 2, "eth0", 1);
	put_link(buf, &off, 4, 3, "stale", 1);   /* another request's answer */
	r = kc_nl_parse(buf, off, 5, on_link, &s);
	ok(r == 0 && s.n == 2 && !strcmp(s.last.name, "eth0") && s.last.index == 2 && s.last.carrier == 1 &&
	   s.last.has_mac && !memcmp(s.last.mac, "\x52\x54\x00\x4b\x43\x01", 6) && s.last.type == 1,
	   "two links of sequence 5 (the other sequence ignored); more to come (r=%d n=%d)", r, s.n);
	off = 0;
	put_ctl(buf, &off, 5, NLMSG_DONE, 0);
	ok(kc_nl_parse(buf, off, 5, on_link, &s) == 1, "NLMSG_DONE ends a dump");
	off = 0;
	put_ctl(buf, &off, 6, NLMSG_ERROR, 0);
	ok(kc_nl_parse(buf, off, 6, NULL, NULL) == 1, "an ack (error 0) completes a request");
	off = 0;
	put_ctl(buf, &off, 6, NLMSG_ERROR, -EEXIST);
	ok(kc_nl_parse(buf, off, 6, NULL, NULL) == -EEXIST, "an NLMSG_ERROR gives its errno");

	off = 0;
	put_link(buf, &off, 5, 2, "eth0", 1);
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)off + 64;
	ok(kc_nl_parse(buf, off, 5, on_link, &s) == -EBADMSG, "a message longer than the datagram is refused");
	off = 0;
	put_link(buf, &off, 5, 2, "eth0", 1);
	struct rtattr *a = (void *)(buf + NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg))));
	a->rta_len = 4000;
	ok(kc_nl_parse(buf, off, 5, on_link, &s) == -EBADMSG, "an attribute past its message is refused");
	off = 0;
	put_link(buf, &off, 5, 2, "eth0", 1);
	a->rta_len = 2;
	ok(kc_nl_parse(buf, off, 5, on_link, &s) == -EBADMSG, "an attribute shorter than its header is refused");
	memset(buf, 0xff, 64);
	ok(kc_nl_parse(buf, 3, 5, on_link, &s) == 0, "a fragment shorter than a header is ignored");
}

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x4b, 0x43, 0x01 };

/* A server answer: BOOTREPLY for xid/MAC offering addr, then the given options. */
static size_t answer(uint8_t *p, uint32_t xid, const uint8_t *mac, const char *addr, const uint8_t *opts, size_t olen)
{
	memset(p, 0, 576);
	p[0] = 2;
	p[1] = 1;
	p[2] = 6;
	p[4] = (uint8_t)(xid >> 24), p[5] = (uint8_t)(xid >> 16), p[6] = (uint8_t)(xid >> 8), p[7] = (uint8_t)xid;
	uint32_t a = ip(addr);
	memcpy(p + 16, &a, 4);
	memcpy(p + 28, mac, 6);
	memcpy(p + 236, "\x63\x82\x53\x63", 4);
	memcpy(p + 240, opts, olen);
	return 240 + olen;
}

static const uint8_t *option(const uint8_t *p, size_t len, uint8_t code)
{
	for (size_t o = 240; o + 1 < len && p[o] != 255;) {
		if (p[o] == 0) {
			o++;
			continue;
		}
		if (p[o] == code)
			return p + o;
		o += 2 + p[o + 1];
	}
	return NULL;
}

static void test_dhcp(void)
{
	uint8_t p[576];
	struct kc_dhcp_lease l;
	size_t n;
	const uint8_t *o;

	n = kc_dhcp_build(p, sizeof(p), KC_DHCP_DISCOVER, 0x01020304, MAC, 3, 0, 0);
	o = option(p, n, 53);
	ok(n == 300 && p[0] == 1 && p[1] == 1 && p[2] == 6 && !memcmp(p + 4, "\x01\x02\x03\x04", 4) &&
	   p[8] == 0 && p[9] == 3 && p[10] == 0x80 && !memcmp(p + 28, MAC, 6) && !memcmp(p + 236, "\x63\x82\x53\x63", 4) &&
	   o && o[1] == 1 && o[2] == KC_DHCP_DISCOVER && !option(p, n, 50) && option(p, n, 55) && option(p, n, 61),
	   "DISCOVER: 300 bytes, xid, secs, broadcast flag, chaddr, cookie, type 1, client id, parameter list");
	n = kc_dhcp_build(p, sizeof(p), KC_DHCP_REQUEST, 7, MAC, 0, ip("10.0.2.15"), ip("10.0.2.2"));
	const uint8_t *req = option(p, n, 50), *sid = option(p, n, 54);
	o = option(p, n, 53);
	ok(o && o[2] == KC_DHCP_REQUEST && req && req[1] == 4 && !memcmp(req + 2, "\x0a\x00\x02\x0f", 4) &&
	   sid && !memcmp(sid + 2, "\x0a\x00\x02\x02", 4), "REQUEST: type 3, requested 10.0.2.15 from server 10.0.2.2");
	ok(kc_dhcp_build(p, 200, KC_DHCP_DISCOVER, 1, MAC, 0, 0, 0) == 0, "builder: 0 when the buffer is too small");

	static const uint8_t offer[] = { 53, 1, 2, 54, 4, 10, 0, 2, 2, 1, 4, 255, 255, 255, 0, 3, 8, 10, 0, 2, 2, 9, 9, 9, 9,
					 6, 16, 10, 0, 2, 3, 1, 1, 1, 1, 8, 8, 8, 8, 9, 9, 9, 9, 51, 4, 0, 1, 81, 128, 0, 255 };
	n = answer(p, 42, MAC, "10.0.2.15", offer, sizeof(offer));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == 0 && l.type == KC_DHCP_OFFER && l.addr == ip("10.0.2.15") &&
	   l.server_id == ip("10.0.2.2") && l.mask == ip("255.255.255.0") && l.router == ip("10.0.2.2") &&
	   l.n_dns == 3 && l.dns[0] == ip("10.0.2.3") && l.dns[2] == ip("8.8.8.8") && l.lease_secs == 86400,
	   "OFFER: address, server, mask, first router, at most 3 DNS servers, lease time");
	ok(kc_dhcp_parse(p, n, 43, MAC, &l) == -ENOMSG, "another transaction's answer is not ours");
	static const uint8_t other[6] = { 0x52, 0x54, 0, 0, 0, 9 };
	ok(kc_dhcp_parse(p, n, 42, other, &l) == -ENOMSG, "another MAC's answer is not ours");
	ok(kc_dhcp_parse(p, 239, 42, MAC, &l) == -EBADMSG, "shorter than the fixed part and cookie: malformed");
	p[236] = 0;
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "a wrong magic cookie: malformed");
	static const uint8_t overrun[] = { 53, 1, 2, 6, 200, 1, 2, 3 };
	n = answer(p, 42, MAC, "10.0.2.15", overrun, sizeof(overrun));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "an option longer than the datagram: malformed");
	static const uint8_t no_len[] = { 53, 1, 2, 6 };
	n = answer(p, 42, MAC, "10.0.2.15", no_len, sizeof(no_len));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "an option code without its length: malformed");
	static const uint8_t nak[] = { 53, 1, 6, 54, 4, 10, 0, 2, 2, 255 };
	n = answer(p, 42, MAC, "0.0.0.0", nak, sizeof(nak));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == 0 && l.type == KC_DHCP_NAK, "NAK accepted without an address");
	static const uint8_t nak_anon[] = { 53, 1, 6, 255 };
	n = answer(p, 42, MAC, "0.0.0.0", nak_anon, sizeof(nak_anon));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "an answer without a server identifier is refused");
	static const uint8_t two_types[] = { 53, 1, 2, 54, 4, 10, 0, 2, 2, 53, 1, 5, 255 };
	n = answer(p, 42, MAC, "10.0.2.15", two_types, sizeof(two_types));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "OFFER and ACK in one message: malformed");
	static const uint8_t short_sid[] = { 53, 1, 2, 54, 3, 10, 0, 2, 255 };
	n = answer(p, 42, MAC, "10.0.2.15", short_sid, sizeof(short_sid));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "a 3-byte server identifier: malformed");
	static const uint8_t ack[] = { 53, 1, 5, 54, 4, 10, 0, 2, 2, 255 };
	n = answer(p, 42, MAC, "0.0.0.0", ack, sizeof(ack));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "an ACK of 0.0.0.0 is refused");
	n = answer(p, 42, MAC, "224.0.0.1", ack, sizeof(ack));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "an ACK of a multicast address is refused");
	n = answer(p, 42, MAC, "0.1.2.3", ack, sizeof(ack));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "an ACK of an address in 0/8 is refused");

	/* which answer the client takes: after its REQUEST to 10.0.2.2 for 10.0.2.15 */
	struct kc_dhcp_lease a = { .type = KC_DHCP_ACK, .addr = ip("10.0.2.15"), .server_id = ip("10.0.2.2") };
	uint32_t sid2 = ip("10.0.2.2"), want = ip("10.0.2.15");
	ok(kc_dhcp_accept(&a, KC_DHCP_ACK, sid2, want), "the chosen server's ACK of the offered address is taken");
	a.server_id = ip("10.0.2.66");
	ok(!kc_dhcp_accept(&a, KC_DHCP_ACK, sid2, want), "another server's ACK is ignored");
	a.server_id = sid2;
	a.addr = ip("10.0.2.99");
	ok(!kc_dhcp_accept(&a, KC_DHCP_ACK, sid2, want), "an ACK of another address than the offered one is ignored");
	a.type = KC_DHCP_NAK;
	ok(kc_dhcp_accept(&a, KC_DHCP_ACK, sid2, want), "the chosen server's NAK is taken (start over)");
	a.server_id = ip("10.0.2.66");
	ok(!kc_dhcp_accept(&a, KC_DHCP_ACK, sid2, want), "another server's NAK is ignored");
	a.type = KC_DHCP_OFFER;
	a.server_id = sid2;
	ok(!kc_dhcp_accept(&a, KC_DHCP_ACK, sid2, want) && kc_dhcp_accept(&a, KC_DHCP_OFFER, 0, 0),
	   "an OFFER is taken while discovering only");
	static const uint8_t discover_echo[] = { 53, 1, 1, 255 };
	n = answer(p, 42, MAC, "10.0.2.15", discover_echo, sizeof(discover_echo));
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -ENOMSG, "a DISCOVER (our own broadcast) is no answer");
	/* option 52 = 1: the rest of the options are in the 128-byte file field at offset 108 */
	static const uint8_t overload[] = { 52, 1, 1, 54, 4, 10, 0, 2, 2, 255 };
	n = answer(p, 42, MAC, "10.0.2.16", overload, sizeof(overload));
	memcpy(p + 108, "\x35\x01\x05\x03\x04\x0a\x00\x02\x01\xff", 10);
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == 0 && l.type == KC_DHCP_ACK && l.router == ip("10.0.2.1"),
	   "overloaded options in the file field are read");
	p[108 + 4] = 200;  /* router option length runs past the 128-byte field */
	ok(kc_dhcp_parse(p, n, 42, MAC, &l) == -EBADMSG, "an overloaded option past its field: malformed");

	ok(kc_mask_prefix(ip("255.255.255.0")) == 24 && kc_mask_prefix(ip("255.255.240.0")) == 20 &&
	   kc_mask_prefix(ip("255.255.255.255")) == 32 && kc_mask_prefix(0) == 0 &&
	   kc_mask_prefix(ip("255.0.255.0")) == -1, "netmask to prefix length; holes refused");
}

static int parse(struct kc_config *c, const char *text, char *err, size_t len)
{
	kc_config_free(c);
	kc_config_init(c);
	return kc_config_parse(c, "test.conf", text, err, len);
}

static void test_config(void)
{
	struct kc_config c;
	struct kc_ssh_url u;
	char err[512], *dump = NULL;
	size_t dlen = 0;
	int r;

	kc_config_init(&c);
	r = parse(&c, "target ssh://root@10.0.2.2:2222/srv/crash\nnet eth0 10.0.2.15/24 gw 10.0.2.2\nnet_timeout 20\n",
		  err, sizeof(err));
	ok(r == 0 && c.target.kind == KC_TARGET_SSH && !strcmp(c.target.value, "root@10.0.2.2:2222/srv/crash") &&
	   c.net.set && !strcmp(c.net.iface, "eth0") && !c.net.dhcp && c.net.addr == ip("10.0.2.15") &&
	   c.net.prefix == 24 && c.net.gw == ip("10.0.2.2") && c.net_timeout == 20,
	   "ssh target, static net line by name, net_timeout (%s)", err);
	FILE *f = open_memstream(&dump, &dlen);
	kc_config_dump(&c, f);
	fclose(f);
	ok(dump && strstr(dump, "target ssh://root@10.0.2.2:2222/srv/crash\n") &&
	   strstr(dump, "net eth0 10.0.2.15/24 gw 10.0.2.2\nnet_timeout 20\n"), "--check-config prints them back");
	free(dump);
	ok(kc_ssh_url_parse(c.target.value, &u) == 0 && !strcmp(u.user, "root") && !strcmp(u.host, "10.0.2.2") &&
	   u.port == 2222 && !strcmp(u.path, "/srv/crash"), "URL parts: user, host, port, path");
	ok(kc_ssh_url_parse("kd-ump@[fd00::1]", &u) == 0 && !strcmp(u.host, "fd00::1") && u.port == 22 && !u.path[0],
	   "URL: bracketed IPv6 host, default port 22, no path");
	r = parse(&c, "target ssh://kc@collector.example\nnet 52:54:00:4B:43:01 dhcp\n", err, sizeof(err));
	ok(r == 0 && c.net.by_mac && !memcmp(c.net.mac, MAC, 6) && c.net.dhcp && !c.net.iface[0],
	   "net by MAC (upper case accepted) with DHCP (%s)", err);
	r = parse(&c, "target ssh://kc@collector\nnet auto dhcp\n", err, sizeof(err));
	ok(r == 0 && !c.net.by_mac && !c.net.iface[0] && c.net.dhcp, "net auto dhcp");
	r = parse(&c, "target ssh://kc@collector/var/crash\n", err, sizeof(err));
	ok(r < 0 && strstr(err, "test.conf:1:") && strstr(err, "needs a net line"), "ssh target without net: %s", err);
	r = parse(&c, "target UUID=1\nfailure_action fallback\nfallback_target ssh://kc@h/d\n", err, sizeof(err));
	ok(r < 0 && strstr(err, "test.conf:3:") && strstr(err, "needs a net line"), "ssh fallback without net: %s", err);

	static const char *const bad_net[] = {
		"eth0 10.0.2.15", "eth0 10.0.2.15/33", "eth0 10.0.2.15/0", "eth0 10.0.2.256/24", "eth0 10.0.2.15/24 gw",
		"eth0 10.0.2.15/24 via 10.0.2.2", "eth0 dhcp gw 10.0.2.2", "eth0", "52:54:00:4b:43 dhcp",
		"averyveryverylongname dhcp", "eth0 10.0.2.15/24 gw 10.0.2.2 x", "et;h0 dhcp",
	};
	for (size_t i = 0; i < sizeof(bad_net) / sizeof(bad_net[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "net %s\n", bad_net[i]);
		r = parse(&c, text, err, sizeof(err));
		ok(r == -EINVAL && strstr(err, "test.conf:1: net \""), "refused: net %s", bad_net[i]);
	}
	static const char *const bad_url[] = {
		"ssh://10.0.2.2/x", "ssh://@h/x", "ssh://r@h:0/x", "ssh://r@h:70000/x", "ssh://r@h:22x/x",
		"ssh://r@h/a/../b", "ssh://r@h/a;rm", "ssh://r@h/$(id)", "ssh://r@-oProxyCommand=x/d",
		"ssh://r@[fd00::1/x", "ssh://r@h/x y", "ssh://r;x@h/d", "ssh://r@h:22:23/d",
	};
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "net eth0 dhcp\ntarget %s\n", bad_url[i]);
		r = parse(&c, text, err, sizeof(err));
		ok(r == -EINVAL && strstr(err, "test.conf:2: target") && strstr(err, "ssh://user@host"),
		   "refused: target %s", bad_url[i]);
	}
	r = parse(&c, "net eth0 dhcp\nnet_timeout 0\n", err, sizeof(err));
	ok(r < 0 && strstr(err, "test.conf:2: net_timeout \"0\" is not a number from 1 to 3600"),
	   "net_timeout 0 refused, with the file, line and range");
	kc_config_free(&c);
}

static void test_nfs_config(void)
{
	struct kc_config c;
	struct kc_nfs_url u;
	char err[512], *dump = NULL;
	size_t dlen = 0;
	int r;

	kc_config_init(&c);
	r = parse(&c, "target nfs://10.0.2.2:20490/srv/crash\nnet eth0 dhcp\nnfs_options vers=3,timeo=100\n",
		  err, sizeof(err));
	ok(r == 0 && c.target.kind == KC_TARGET_NFS && !strcmp(c.target.value, "10.0.2.2:20490/srv/crash") &&
	   c.nfs_options && !strcmp(c.nfs_options, "vers=3,timeo=100"), "nfs target with nfs_options (%s)", err);
	FILE *f = open_memstream(&dump, &dlen);
	kc_config_dump(&c, f);
	fclose(f);
	ok(dump && strstr(dump, "target nfs://10.0.2.2:20490/srv/crash\n") && strstr(dump, "nfs_options vers=3,timeo=100\n"),
	   "--check-config prints the nfs target and options back");
	free(dump);
	ok(kc_nfs_url_parse(c.target.value, &u) == 0 && !strcmp(u.host, "10.0.2.2") && !u.ipv6 && u.port == 20490 &&
	   !strcmp(u.path, "/srv/crash"), "nfs URL parts: address, port, export path");
	ok(kc_nfs_url_parse("[fd00::2]/exports/dumps", &u) == 0 && !strcmp(u.host, "fd00::2") && u.ipv6 &&
	   u.port == 2049 && !strcmp(u.path, "/exports/dumps"), "nfs URL: bracketed IPv6, default port 2049");
	r = parse(&c, "target nfs://10.0.2.2/srv\n", err, sizeof(err));
	ok(r < 0 && strstr(err, "test.conf:1:") && strstr(err, "nfs:// target needs a net line"),
	   "nfs target without net: %s", err);
	r = parse(&c, "target UUID=1\nfailure_action fallback\nfallback_target nfs://10.1.2.3/d\n", err, sizeof(err));
	ok(r < 0 && strstr(err, "test.conf:3:") && strstr(err, "needs a net line"), "nfs fallback without net: %s", err);
	r = parse(&c, "net eth0 dhcp\ntarget nfs://10.0.2.2/srv\nnfs_options vers=3, soft\n", err, sizeof(err));
	ok(r < 0 && strstr(err, "test.conf:3: nfs_options"), "nfs_options with a space refused: %s", err);
	static const char *const bad_url[] = {
		"nfs://collector.example/srv", "nfs://10.0.2.2", "nfs://10.0.2.2:/srv", "nfs://10.0.2.2:0/srv",
		"nfs://10.0.2.2:2049", "nfs://10.0.2.2/a/../b", "nfs://10.0.2.2/a,port=1", "nfs://[fd00::1/x",
		"nfs://[zz::1]/x", "nfs://10.0.2/x", "nfs://10.0.2.2/x;y",
		/* octets that overflow, or are too long */
		"nfs://4294967306.0.2.2/x", "nfs://10.0.2.256/x", "nfs://10.0.2.0002/x",
	};
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "net eth0 dhcp\ntarget %s\n", bad_url[i]);
		r = parse(&c, text, err, sizeof(err));
		ok(r == -EINVAL && strstr(err, "test.conf:2: target") && strstr(err, "nfs://ADDRESS"),
		   "refused: target %s", bad_url[i]);
	}
	r = parse(&c, "net eth0 dhcp\nnet eth1 dhcp\n", err, sizeof(err));
	ok(r < 0 && strstr(err, "net is set twice"), "a second net line refused");
	kc_config_free(&c);
}

int main(void)
{
	plan(6 + 8 + 27 + 8 + 12 + 13 + 2 + 7 + 14);
	test_netlink_builders();
	test_netlink_parser();
	test_dhcp();
	test_config();
	test_nfs_config();
	return done_testing();
}
