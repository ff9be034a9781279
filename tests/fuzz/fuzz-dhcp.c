/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any bytes as a DHCP answer. The transaction id and MAC are taken from
 * the input itself (when it is long enough), so that the option parser
 * is reached; then the checks the client makes before taking a lease.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac0[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct kc_dhcp_lease l;
	uint8_t mac[6];
	uint32_t xid = 0x01020304;

	memcpy(mac, mac0, 6);
	if (size >= 34) {
		xid = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 | data[7];
		memcpy(mac, data + 28, 6);
	}
	if (kc_dhcp_parse(data, size, xid, mac, &l) == 0) {
		if (l.n_dns > KC_DHCP_MAX_DNS || !l.server_id)
			abort();
		kc_dhcp_accept(&l, KC_DHCP_OFFER, 0, 0);
		kc_dhcp_accept(&l, KC_DHCP_ACK, l.server_id, l.addr);
		kc_mask_prefix(l.mask);
	}
	kc_dhcp_parse(data, size, xid ^ 1, mac0, &l);
	return 0;
}
