/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bring up the network the "net" line describes, once per run, within
 * net_timeout seconds: find the interface (by name, by MAC, or the first
 * Ethernet link: drivers probe asynchronously after their module loads),
 * set it up, wait for carrier, then give it the static address or the one
 * a DHCP server offers, and the default route. The DHCP client is a UDP
 * socket bound to the interface (SO_BINDTODEVICE) on port 68 that asks
 * for broadcast answers; retries back off 1, 2, 4, 4... seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "net.h"

#ifndef IFF_LOWER_UP  /* <linux/if.h> has it, but clashes with <net/if.h> */
#define IFF_LOWER_UP 0x10000
#endif

struct rtnl {
	int fd;
	uint32_t seq;
};

static int rtnl_open(struct rtnl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { 2, 0 };

	nl->seq = (uint32_t)time(NULL);
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -errno;
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(nl->fd);
		return r;
	}
	return 0;
}

/* Send one request and read until its answer is complete; links go to fn. */
static int rtnl_talk(struct rtnl *nl, const void *msg, size_t len, kc_nl_link_fn fn, void *arg)
{
	static uint8_t buf[32768];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int r = 0;

	if (!len)
		return -ENOBUFS;
	if (sendto(nl->fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	while (r == 0) {
		ssize_t n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		r = kc_nl_parse(buf, (size_t)n, nl->seq, fn, arg);
	}
	return r < 0 ? r : 0;
}

struct pick {
	const struct kc_net_spec *want;
	struct kc_link found;
	bool ok;
	char seen[256];
};

static void pick_link(void *arg, const struct kc_link *l)
{
	struct pick *p = arg;
	const struct kc_net_spec *w = p->want;
	size_t n = strlen(p->seen);

	if (l->type == 772 /* ARPHRD_LOOPBACK */)
		return;
	if (l->has_mac)
		snprintf(p->seen + n, sizeof(p->seen) - n, " %s(%02x:%02x:%02x:%02x:%02x:%02x)", l->name,
			 l->mac[0], l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
	else
		snprintf(p->seen + n, sizeof(p->seen) - n, " %s", l->name);
	if (p->ok)
		return;
	if (w->iface[0] ? !strcmp(l->name, w->iface) :
	    w->by_mac ? l->has_mac && !memcmp(l->mac, w->mac, 6) : l->type == 1 /* ARPHRD_ETHER */) {
		p->found = *l;
		p->ok = true;
	}
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int find_link(struct agent *a, struct rtnl *nl, double deadline, struct kc_link *out)
{
	uint8_t msg[64];
	struct pick p = { .want = &a->cfg.net };
	double next_note = kc_now() + 5;

	for (;;) {
		p.seen[0] = 0;
		p.ok = false;
		int r = rtnl_talk(nl, msg, kc_nl_getlink(msg, sizeof(msg), ++nl->seq), pick_link, &p);
		if (r < 0)
			return kc_log_errno(r, "net: cannot list the network links: %m");
		if (p.ok) {
			*out = p.found;
			return 0;
		}
		if (kc_now() >= deadline)
			return kc_log_errno(-ENODEV, "net: no interface matches \"%s\" after %u s (links:%s); "
					    "is its driver in the image (extra_modules)?", a->cfg.net.text,
					    a->cfg.net_timeout, p.seen[0] ? p.seen : " none");
		if (kc_now() >= next_note) {
			kc_log("net: still waiting for an interface matching \"%s\" (links:%s)", a->cfg.net.text,
			       p.seen[0] ? p.seen : " none");
			next_note = kc_now() + 5;
		}
		nap_ms(200);
	}
}

static int wait_carrier(struct agent *a, struct rtnl *nl, double deadline, struct kc_link *l)
{
	uint8_t msg[64];

	for (;;) {
		struct kc_net_spec by_name = { .set = true };
		struct pick p = { .want = &by_name };
		snprintf(by_name.iface, sizeof(by_name.iface), "%s", l->name);
		int r = rtnl_talk(nl, msg, kc_nl_getlink(msg, sizeof(msg), ++nl->seq), pick_link, &p);
		if (r < 0)
			return kc_log_errno(r, "net: cannot read the state of %s: %m", l->name);
		if (p.ok && (p.found.carrier == 1 || (p.found.flags & IFF_LOWER_UP)))
			return 0;
		if (kc_now() >= deadline)
			return kc_log_errno(-ENOLINK, "net: %s has no carrier after %u s (cable, switch port?)",
					    l->name, a->cfg.net_timeout);
		nap_ms(100);
	}
}

static const char *ip(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/*
 * Wait for the answer to xid that kc_dhcp_accept() takes (want, and for
 * an ACK the server and address of the offer) until the deadline; 0, or
 * -ETIMEDOUT. Anything else is dropped.
 */
static int dhcp_wait(int fd, uint32_t xid, const uint8_t mac[6], double until, uint8_t want,
		     uint32_t server_id, uint32_t offered, struct kc_dhcp_lease *lease)
{
	uint8_t buf[1500];

	for (;;) {
		double left = until - kc_now();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0)
			continue;
		if (kc_dhcp_parse(buf, (size_t)got, xid, mac, lease) == 0 &&
		    kc_dhcp_accept(lease, want, server_id, offered))
			return 0;
	}
}

static int dhcp(struct agent *a, const struct kc_link *l, double deadline, struct kc_dhcp_lease *lease)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(68) };
	struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons(67),
				      .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
	uint8_t pkt[KC_DHCP_PACKET_MAX];
	double t0 = kc_now(), wait = 1;
	uint32_t xid;
	int one = 1, fd, r = -ETIMEDOUT;
	char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];

	if (getrandom(&xid, sizeof(xid), GRND_NONBLOCK) != sizeof(xid))
		xid = (uint32_t)time(NULL) ^ (uint32_t)l->index << 24;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kc_log_errno(-errno, "net: DHCP socket: %m");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, l->name, (socklen_t)strlen(l->name) + 1) < 0 ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		r = kc_log_errno(-errno, "net: DHCP socket on %s port 68: %m", l->name);
		close(fd);
		return r;
	}
	for (unsigned attempt = 1; kc_now() < deadline; attempt++, xid++) {
		double until = kc_now() + wait;
		uint16_t secs = (uint16_t)(kc_now() - t0);
		if (until > deadline)
			until = deadline;
		size_t n = kc_dhcp_build(pkt, sizeof(pkt), KC_DHCP_DISCOVER, xid, l->mac, secs, 0, 0);
		if (sendto(fd, pkt, n, 0, (struct sockaddr *)&server, sizeof(server)) < 0) {
			r = kc_log_errno(-errno, "net: DHCP DISCOVER on %s: %m", l->name);
		} else if ((r = dhcp_wait(fd, xid, l->mac, until, KC_DHCP_OFFER, 0, 0, lease)) == 0 &&
			   lease->type == KC_DHCP_OFFER) {
			uint32_t offered = lease->addr, sid = lease->server_id;
			kc_log("net: DHCP offer of %s from %s (attempt %u)", ip(offered, b1), ip(sid, b2), attempt);
			n = kc_dhcp_build(pkt, sizeof(pkt), KC_DHCP_REQUEST, xid, l->mac, secs, offered, sid);
			if (sendto(fd, pkt, n, 0, (struct sockaddr *)&server, sizeof(server)) < 0)
				r = -errno;
			else
				r = dhcp_wait(fd, xid, l->mac, kc_now() + 4 > deadline ? deadline : kc_now() + 4,
					      KC_DHCP_ACK, sid, offered, lease);
			if (r == 0 && lease->type == KC_DHCP_ACK && lease->addr == offered)
				break;
			if (r == 0)
				kc_log("net: DHCP server %s refused the request (NAK); starting over", ip(sid, b1));
			r = -ETIMEDOUT;
		}
		if (kc_now() < deadline)
			kc_log("net: no DHCP answer on %s yet (attempt %u, %.0f s left)", l->name, attempt,
			       deadline - kc_now());
		if (wait < 4)
			wait *= 2;
	}
	close(fd);
	if (r < 0)
		return kc_log_errno(r, "net: no DHCP lease on %s within net_timeout %u s", l->name, a->cfg.net_timeout);
	return 0;
}

static void write_resolv_conf(const struct kc_dhcp_lease *lease)
{
	char b[INET_ADDRSTRLEN];
	FILE *f;

	if (!lease->n_dns || !(f = fopen("/etc/resolv.conf", "we")))
		return;
	for (unsigned i = 0; i < lease->n_dns; i++)
		fprintf(f, "nameserver %s\n", ip(lease->dns[i], b));
	fclose(f);
}

static int configure(struct agent *a)
{
	const struct kc_net_spec *n = &a->cfg.net;
	double t0 = kc_now(), deadline = t0 + a->cfg.net_timeout;
	struct rtnl nl;
	struct kc_link l;
	struct kc_dhcp_lease lease = { 0 };
	uint8_t msg[256];
	uint32_t addr = n->addr, gw = n->gw;
	unsigned prefix = n->prefix;
	char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
	int r;

	kc_watchdog_phase(a, "bringing up the network");
	r = rtnl_open(&nl);
	if (r < 0)
		return kc_log_errno(r, "net: netlink socket: %m");
	r = find_link(a, &nl, deadline, &l);
	if (r == 0 && (r = rtnl_talk(&nl, msg, kc_nl_link_up(msg, sizeof(msg), ++nl.seq, l.index), NULL, NULL)) < 0)
		kc_log_errno(r, "net: cannot set %s up: %m", l.name);
	if (r == 0)
		r = wait_carrier(a, &nl, deadline, &l);
	if (r == 0)
		kc_log("net: %s is up with carrier (%.1f s)", l.name, kc_now() - t0);
	if (r == 0 && n->dhcp) {
		r = dhcp(a, &l, deadline, &lease);
		addr = lease.addr;
		prefix = lease.mask ? (unsigned)kc_mask_prefix(lease.mask) : 24;
		gw = lease.router;
	}
	if (r == 0 && (r = rtnl_talk(&nl, msg, kc_nl_addr_add(msg, sizeof(msg), ++nl.seq, l.index, addr, prefix),
				     NULL, NULL)) < 0)
		kc_log_errno(r, "net: cannot add %s/%u to %s: %m", ip(addr, b1), prefix, l.name);
	if (r == 0 && gw && (r = rtnl_talk(&nl, msg, kc_nl_route_add(msg, sizeof(msg), ++nl.seq, l.index, gw),
					   NULL, NULL)) < 0)
		kc_log_errno(r, "net: cannot add the default route via %s: %m", ip(gw, b1));
	close(nl.fd);
	if (r < 0)
		return r;
	if (n->dhcp)
		write_resolv_conf(&lease);
	snprintf(a->net_iface, sizeof(a->net_iface), "%s", l.name);
	a->net_secs = kc_now() - t0;
	kc_log("net: %s %s/%u%s%s (%s, %.1f s)", l.name, ip(addr, b1), prefix, gw ? " gw " : "", gw ? ip(gw, b2) : "",
	       n->dhcp ? "DHCP" : "static", a->net_secs);
	return 0;
}

int kc_net_up(struct agent *a)
{
	if (a->net_state)
		return a->net_state > 0 ? 0 : a->net_state;
	if (!a->cfg.net.set) {
		a->net_state = kc_log_errno(-ENETUNREACH, "no net line in %s: the network target is out of reach",
					    a->config_path);
		return a->net_state;
	}
	if (a->test_mode) {
		kc_log("test mode: not configuring the network (net %s); using the host's", a->cfg.net.text);
		a->net_state = 1;
		return 0;
	}
	int r = configure(a);
	a->net_state = r < 0 ? r : 1;
	return r;
}
