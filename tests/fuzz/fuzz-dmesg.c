/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The printk ring walkers (filter/lib/dmesg.c) on hostile rings: the fuzz
 * input becomes the ring's control words, descriptors, records and text
 * (layout: fuzz-dmesg.h) inside a tiny ELF vmcore whose VMCOREINFO is
 * fixed, so that executions are cheap and every byte reaches the walker.
 * Every record is formatted as --dump-dmesg would (kcf_format_record,
 * with the caller id field when the input asks for caller ids), into
 * nothing: kcf_dmesg_write's output buffer and file would cost more than
 * the walk.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-dmesg.h"
#include "kcf-internal.h"

#define PAGE_OFFSET 0xffff888000000000ULL
#define VARS_PA 0x1000u               /* the kernel variables */
#define PRB_PA 0x1100u                /* struct printk_ringbuffer */
#define BODY_PA 0x4000u               /* the buffer's memory */
#define MAX_BODY (256u << 10)
#define LAYOUT_MOD 4400u              /* a little above the walker's 4096 bound */

/* The VMCOREINFO numbers the walkers read, with Debian 6.1's values. */
static const struct {
	const char *key;
	unsigned real;
} lockless_layout[] = {
	{ "OFFSET(printk_ringbuffer.desc_ring)", 0 }, { "OFFSET(printk_ringbuffer.text_data_ring)", 48 },
	{ "OFFSET(prb_desc_ring.count_bits)", 0 }, { "OFFSET(prb_desc_ring.descs)", 8 },
	{ "OFFSET(prb_desc_ring.infos)", 16 }, { "OFFSET(prb_desc_ring.head_id)", 24 },
	{ "OFFSET(prb_desc_ring.tail_id)", 32 }, { "SIZE(prb_desc)", 24 },
	{ "OFFSET(prb_desc.state_var)", 0 }, { "OFFSET(prb_desc.text_blk_lpos)", 8 },
	{ "OFFSET(prb_data_blk_lpos.begin)", 0 }, { "OFFSET(prb_data_blk_lpos.next)", 8 },
	{ "SIZE(printk_info)", 88 }, { "OFFSET(printk_info.seq)", 0 },
	{ "OFFSET(printk_info.ts_nsec)", 8 }, { "OFFSET(printk_info.text_len)", 16 },
	{ "OFFSET(prb_data_ring.size_bits)", 0 }, { "OFFSET(prb_data_ring.data)", 8 },
	{ "OFFSET(atomic_long_t.counter)", 0 }, { "OFFSET(latched_seq.val)", 8 },
}, logbuf_layout[] = {
	{ "SIZE(printk_log)", 16 }, { "OFFSET(printk_log.ts_nsec)", 0 },
	{ "OFFSET(printk_log.len)", 8 }, { "OFFSET(printk_log.text_len)", 10 },
};
/* mode bit 3: the caller id offset (and log_buf's CONFIG_PRINTK_CALLER record size) */
static const struct {
	const char *key;
	unsigned real;
} caller_layout[2] = { { "OFFSET(printk_info.caller_id)", 20 }, { "OFFSET(printk_log.caller_id)", 16 } };
#define PRINTK_LOG_CALLER_SIZE 20
enum {
	DESC_RING, TEXT_RING, COUNT_BITS, DESCS, INFOS, HEAD, TAIL, SIZE_DESC, STATE, TEXT_LPOS,
	BEGIN, NEXT, SIZE_INFO, SEQ, TS, TEXT_LEN, SIZE_BITS, DATA, COUNTER, LATCHED_VAL, N_LOCKLESS
};

/* Memory-model facts VMCOREINFO must have for the dump to open at all. */
static const char fixed_vmcoreinfo[] =
	"OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff80000000\n"
	"NUMBER(phys_base)=0\nSYMBOL(mem_section)=ffff888000001f00\nLENGTH(mem_section)=2048\n"
	"SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\n"
	"NUMBER(MAX_PHYSMEM_BITS)=46\nSIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\nNUMBER(PG_lru)=4\n";

static uint64_t get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n);
	return v;
}

/*
 * A ring size exponent from a header byte: mostly below common (cheap,
 * the whole ring in the input), sometimes up to common + 15 (huge rings,
 * beyond the walker's limits), which cost the walker big allocations.
 */
static unsigned ring_bits(uint8_t b, unsigned common)
{
	return b < 240 ? b % common : common + (b - 240u);
}

/* Store n bytes of v at pa in the variables area, if it fits there. */
static void put(uint8_t *mem, uint64_t pa, uint64_t v, size_t n)
{
	if (pa >= VARS_PA && pa + n <= BODY_PA)
		memcpy(mem + pa, &v, n);
}

/* Add a "KEY=value\n" line to the text: hex (as SYMBOL()s are) or decimal. */
static int append(char **s, size_t *len, bool hex, unsigned long long v, const char *key)
{
	char line[160];
	int n = snprintf(line, sizeof(line), hex ? "%s=%llx\n" : "%s=%llu\n", key, v);
	char *t = realloc(*s, *len + (size_t)n + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t + *len, line, (size_t)n + 1);
	*s = t;
	*len += (size_t)n;
	return 0;
}

int fuzz_dmesg_vmcore(const uint8_t *data, size_t size, int fd)
{
	uint8_t hdr[FUZZ_DMESG_HDR] = { 0 };
	const uint8_t *body = data + (size < FUZZ_DMESG_HDR ? size : FUZZ_DMESG_HDR);
	size_t body_len = size > FUZZ_DMESG_HDR ? size - FUZZ_DMESG_HDR : 0;
	char *vi = NULL;
	size_t vi_len = 0;
	uint64_t need, lay[N_LOCKLESS];
	int r = -ENOMEM;

	memcpy(hdr, data, (size < FUZZ_DMESG_HDR ? size : FUZZ_DMESG_HDR));
	bool logbuf = hdr[0] & 1, own_layout = hdr[0] & 4, caller = hdr[0] & 8;
	size_t nlay = logbuf ? 4 : N_LOCKLESS;
	for (size_t i = 0; i < nlay; i++)
		lay[i] = own_layout ? get(hdr + 32 + 2 * i, 2) % LAYOUT_MOD
				    : (logbuf ? logbuf_layout[i].real : lockless_layout[i].real);
	uint64_t caller_off = own_layout ? get(hdr + 32 + 2 * nlay, 2) % LAYOUT_MOD : caller_layout[logbuf].real;
	if (logbuf && caller && !own_layout)
		lay[0] = PRINTK_LOG_CALLER_SIZE;

	unsigned count_bits = ring_bits(hdr[1], 13), size_bits = ring_bits(hdr[2], 17);
	uint64_t count = 1ULL << count_bits, ring = 1ULL << size_bits;
	if (logbuf)
		need = get(hdr + 8, 4);
	else
		need = count * (lay[SIZE_DESC] + lay[SIZE_INFO]) + ring;
	uint64_t mem_len = need > MAX_BODY ? MAX_BODY : need;
	if (mem_len < body_len)
		mem_len = body_len;
	mem_len = BODY_PA + ((mem_len + 4095) & ~4095ULL);
	uint8_t *mem = calloc(1, BODY_PA);
	if (!mem)
		return -ENOMEM;

	vi = strdup(fixed_vmcoreinfo);
	if (!vi)
		goto out;
	vi_len = strlen(vi);
	for (size_t i = 0; i < nlay; i++)
		if (append(&vi, &vi_len, false, (unsigned long long)lay[i],
			   logbuf ? logbuf_layout[i].key : lockless_layout[i].key) < 0)
			goto out;
	if (caller && append(&vi, &vi_len, false, (unsigned long long)caller_off, caller_layout[logbuf].key) < 0)
		goto out;
	if (logbuf) {
		static const char *const sym[] = { "log_buf", "log_buf_len", "log_first_idx",
						   "log_next_idx", "clear_idx" };
		for (unsigned i = 0; i < 5; i++) {
			char key[40];
			snprintf(key, sizeof(key), "SYMBOL(%s)", sym[i]);
			if (append(&vi, &vi_len, true, PAGE_OFFSET + VARS_PA + (i ? 4 + 4 * i : 0), key) < 0)
				goto out;
		}
		put(mem, VARS_PA, PAGE_OFFSET + BODY_PA, 8);
		for (unsigned i = 0; i < 4; i++)
			put(mem, VARS_PA + 8 + 4 * i, get(hdr + 8 + 4 * i, 4), 4);
	} else {
		if (append(&vi, &vi_len, true, PAGE_OFFSET + VARS_PA, "SYMBOL(prb)") < 0 ||
		    append(&vi, &vi_len, true, PAGE_OFFSET + VARS_PA + 0x80, "SYMBOL(clear_seq)") < 0)
			goto out;
		uint64_t dr = PRB_PA + lay[DESC_RING], tr = PRB_PA + lay[TEXT_RING];
		uint64_t descs = BODY_PA, infos = descs + count * lay[SIZE_DESC], text = infos + count * lay[SIZE_INFO];
		put(mem, VARS_PA, PAGE_OFFSET + PRB_PA, 8);
		put(mem, VARS_PA + 0x80 + lay[LATCHED_VAL], get(hdr + 24, 8), 8);
		put(mem, dr + lay[COUNT_BITS], count_bits, 4);
		put(mem, dr + lay[DESCS], PAGE_OFFSET + descs, 8);
		put(mem, dr + lay[INFOS], PAGE_OFFSET + infos, 8);
		put(mem, dr + lay[HEAD] + lay[COUNTER], get(hdr + 8, 8), 8);
		put(mem, dr + lay[TAIL] + lay[COUNTER], get(hdr + 16, 8), 8);
		put(mem, tr + lay[SIZE_BITS], size_bits, 4);
		put(mem, tr + lay[DATA], PAGE_OFFSET + text, 8);
	}

	/* ELF: header, PT_NOTE, PT_LOAD of [0, mem_len) in the direct map; then the data. */
	uint8_t note[12 + 12 + 4096];
	size_t desc_len = vi_len, note_len = 24 + ((desc_len + 3) & ~(size_t)3);
	if (note_len > sizeof(note))
		goto out;
	memset(note, 0, sizeof(note));
	uint32_t nh[3] = { 11, (uint32_t)desc_len, 0 };
	memcpy(note, nh, 12);
	memcpy(note + 12, "VMCOREINFO", 11);
	memcpy(note + 24, vi, desc_len);
	uint64_t data_off = 4096;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2,
	};
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_NOTE, .p_offset = sizeof(eh) + sizeof(ph), .p_filesz = note_len },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = data_off,
		  .p_vaddr = PAGE_OFFSET, .p_paddr = 0, .p_filesz = mem_len, .p_memsz = mem_len },
	};
	if (sizeof(eh) + sizeof(ph) + note_len > data_off)
		goto out;
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)(data_off + mem_len)) < 0 ||
	    pwrite(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    pwrite(fd, ph, sizeof(ph), sizeof(eh)) != sizeof(ph) ||
	    pwrite(fd, note, note_len, sizeof(eh) + sizeof(ph)) != (ssize_t)note_len ||
	    pwrite(fd, mem, BODY_PA, (off_t)data_off) != BODY_PA ||
	    (body_len && pwrite(fd, body, body_len, (off_t)(data_off + BODY_PA)) != (ssize_t)body_len)) {
		r = -EIO;
		goto out;
	}
	r = 0;
out:
	free(vi);
	free(mem);
	return r;
}

static int discard(void *arg, const char *s, size_t n)
{
	size_t *total = arg;
	if (n && !s)
		abort();
	*total += n;
	return 0;
}

static int format_record(void *arg, const struct kcf_log_record *rec)
{
	const unsigned *flags = arg;
	size_t total = 0;
	if (rec->len > 0xffff)
		abort();            /* the walkers promise u16 lengths */
	int r = kcf_format_record(rec, *flags, discard, &total);
	/* prefix (timestamp, caller id) and at most a prefix per byte, plus the newline */
	if (r < 0 || total > 64 + (size_t)rec->len * 64 + 1)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct kcf_ctx *ctx;
	struct kcf_vmcore *vm;
	int fd = memfd_create("fuzz-dmesg", MFD_CLOEXEC);

	if (fd >= 0 && size <= MAX_BODY && fuzz_dmesg_vmcore(data, size, fd) == 0 &&
	    kcf_ctx_new(&ctx) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (kcf_vmcore_open(ctx, path, &vm) == 0) {
			unsigned flags = (size && (data[0] & 2) ? KCF_DMESG_PARTIAL : 0) |
					 (size && (data[0] & 8) ? KCF_DMESG_CALLER_ID : 0);
			kcf_dmesg_foreach(vm, flags, format_record, &flags);
			kcf_vmcore_close(vm);
		}
		kcf_ctx_free(ctx);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}
