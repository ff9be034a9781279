// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdump-verify: ELF note lists and VMCOREINFO text.
 *
 * A file of its own, apart from kv-util.c's diagnostics and decompressors,
 * so that tests/synth/check-synth (another independent dump reader) can
 * link these two parsers without zlib, zstd or kdump-verify's globals.
 */
#include "kv.h"

#include <string.h>

/* Elf64_Nhdr: namesz, descsz, type; name, desc 4-aligned */
#define ALIGN4(x) (((x) + 3) & ~(uint64_t)3)

int kv_parse_notes(const unsigned char *buf, size_t len, struct kv_notes *n,
		   char *why, size_t whylen)
{
	uint64_t off = 0;

	memset(n, 0, sizeof(*n));
	while (off < len) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, end;

		if (len - off < 12) {
			if (kv_is_zero(buf + off, len - off)) {
				n->zero_tail = len - off;
				return 0;
			}
			snprintf(why, whylen, "%zu stray bytes at note offset %llu",
				 len - (size_t)off, (unsigned long long)off);
			return -1;
		}
		namesz = kv_le32(buf + off);
		descsz = kv_le32(buf + off + 4);
		type = kv_le32(buf + off + 8);
		if (namesz == 0 && descsz == 0 && type == 0 &&
		    kv_is_zero(buf + off, len - off)) {
			n->zero_tail = len - off;
			return 0;
		}
		name_off = off + 12;
		desc_off = name_off + ALIGN4((uint64_t)namesz);
		end = desc_off + ALIGN4((uint64_t)descsz);
		if (end > len) {
			snprintf(why, whylen,
				 "note %u at offset %llu (namesz %u descsz %u) overruns the %zu-byte note area",
				 n->count, (unsigned long long)off, namesz, descsz, len);
			return -1;
		}
		if (namesz && buf[name_off + namesz - 1] != '\0') {
			snprintf(why, whylen, "note %u at offset %llu: name not NUL-terminated",
				 n->count, (unsigned long long)off);
			return -1;
		}
		if (namesz == 5 && !memcmp(buf + name_off, "CORE", 5) && type == 1)
			n->nr_prstatus++;
		if (namesz == 11 && !memcmp(buf + name_off, "VMCOREINFO", 11) &&
		    type == 0 && !n->have_vmcoreinfo) {
			n->have_vmcoreinfo = 1;
			n->vmci_off = desc_off;
			n->vmci_size = descsz;
		}
		n->count++;
		off = end;
	}
	return 0;
}

int kv_vmci_get(const char *text, size_t len, const char *key, char *out,
		size_t outlen)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;

		if (llen > klen && !memcmp(line, key, klen) && line[klen] == '=') {
			size_t vlen = llen - klen - 1;

			if (vlen >= outlen)
				vlen = outlen - 1;
			memcpy(out, line + klen + 1, vlen);
			out[vlen] = '\0';
			return 1;
		}
		i += llen + 1;
	}
	return 0;
}
