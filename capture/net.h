/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Network for the capture kernel, without a shell, libnl or a DHCP daemon:
 * NETLINK_ROUTE messages (netlink.c) and DHCPv4 messages (dhcp.c) built
 * into and parsed from caller buffers, so both are unit-tested on a normal
 * host; net.c does the socket work with them. All IPv4 addresses are in
 * network byte order.
 */
#ifndef KCATCH_NET_H
#define KCATCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- netlink.c ---- */

/* Builders return the message length, or 0 when buf is too small. */
size_t kc_nl_getlink(void *buf, size_t len, uint32_t seq);       /* dump every link */
size_t kc_nl_link_up(void *buf, size_t len, uint32_t seq, int ifindex);
size_t kc_nl_addr_add(void *buf, size_t len, uint32_t seq, int ifindex, uint32_t addr, unsigned prefix);
size_t kc_nl_route_add(void *buf, size_t len, uint32_t seq, int ifindex, uint32_t gw);  /* default via gw */

struct kc_link {
	int index;
	char name[16];
	unsigned type;          /* ARPHRD_*: 1 for Ethernet */
	unsigned flags;         /* IFF_* (IFF_UP, IFF_LOWER_UP...) */
	bool has_mac;
	uint8_t mac[6];
	int carrier;            /* IFLA_CARRIER, -1 when absent */
};
typedef void (*kc_nl_link_fn)(void *arg, const struct kc_link *link);

/*
 * One datagram received on a NETLINK_ROUTE socket: call fn for every
 * RTM_NEWLINK of sequence seq. Returns 1 when the answer is complete
 * (NLMSG_DONE, or an ack), 0 when more datagrams follow, a negative errno
 * from an NLMSG_ERROR, or -EBADMSG when a length does not fit.
 */
int kc_nl_parse(const void *buf, size_t len, uint32_t seq, kc_nl_link_fn fn, void *arg);

/* ---- dhcp.c ---- */

enum { KC_DHCP_DISCOVER = 1, KC_DHCP_OFFER = 2, KC_DHCP_REQUEST = 3, KC_DHCP_ACK = 5, KC_DHCP_NAK = 6 };
#define KC_DHCP_MAX_DNS 3
#define KC_DHCP_PACKET_MAX 576    /* what every server must accept */

struct kc_dhcp_lease {
	uint8_t type;           /* KC_DHCP_OFFER, _ACK or _NAK */
	uint32_t addr;          /* yiaddr */
	uint32_t server_id;     /* option 54 */
	uint32_t mask;          /* option 1, 0 when absent */
	uint32_t router;        /* first of option 3, 0 when absent */
	uint32_t dns[KC_DHCP_MAX_DNS];
	unsigned n_dns;
	uint32_t lease_secs;    /* option 51 */
};

/*
 * A DISCOVER, or a REQUEST for requested_addr from server_id (both 0 for
 * a DISCOVER), with the broadcast flag: the client has no address yet.
 * Returns the length, or 0 when buf is too small.
 */
size_t kc_dhcp_build(uint8_t *buf, size_t len, uint8_t type, uint32_t xid, const uint8_t mac[6],
		     uint16_t secs, uint32_t requested_addr, uint32_t server_id);
/*
 * A server's answer: 0 and *lease filled; -ENOMSG when it is well formed
 * but not an answer to xid/mac; -EBADMSG when it is malformed (an option
 * past its field, the type or server given twice differently, no server
 * identifier, an OFFER/ACK of no host address).
 */
int kc_dhcp_parse(const uint8_t *buf, size_t len, uint32_t xid, const uint8_t mac[6],
		  struct kc_dhcp_lease *lease);
/*
 * Whether a parsed answer is the one the client waits for: want
 * KC_DHCP_OFFER takes any OFFER; want KC_DHCP_ACK takes, from server_id
 * only, its ACK of the offered address or its NAK.
 */
bool kc_dhcp_accept(const struct kc_dhcp_lease *l, uint8_t want, uint32_t server_id, uint32_t offered);
/* Prefix length of a netmask, or -1 when the mask is not contiguous. */
int kc_mask_prefix(uint32_t mask);

#endif
