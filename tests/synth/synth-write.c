/* SPDX-License-Identifier: GPL-2.0-or-later */
/* synth: VMCOREINFO, ELF notes, the ELF vmcore and the expectation file. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synth-internal.h"

#define PRSTATUS_SIZE 336
#define PRSTATUS_SIZE_A64 392          /* pr_reg: x0..x30, sp, pc, pstate */
#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112

/* ---------------------------------------------------------- VMCOREINFO */

struct kvlist {
	struct kv { char *key, *val; } *v;
	size_t n, a;
	int err;
};

static void kv_set(struct kvlist *l, const char *key, const char *val)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key)) {
			char *nv = strdup(val);

			if (!nv) {
				l->err = -ENOMEM;
				return;
			}
			free(l->v[i].val);
			l->v[i].val = nv;
			return;
		}
	if (l->n == l->a) {
		size_t na = l->a ? l->a * 2 : 128;
		struct kv *p = realloc(l->v, na * sizeof(*p));

		if (!p) {
			l->err = -ENOMEM;
			return;
		}
		l->v = p;
		l->a = na;
	}
	l->v[l->n].key = strdup(key);
	l->v[l->n].val = strdup(val);
	if (!l->v[l->n].key || !l->v[l->n].val) {
		free(l->v[l->n].key);
		free(l->v[l->n].val);
		l->err = -ENOMEM;
		return;
	}
	l->n++;
}

static void kv_del(struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key)) {
			free(l->v[i].key);
			free(l->v[i].val);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return;
		}
}

static void kv_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
}

__attribute__((format(printf, 3, 4)))
static void kvf(struct kvlist *l, const char *key, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kv_set(l, key, buf);
}

static void sym(struct kvlist *l, const char *name, uint64_t va)
{
	char key[96];

	snprintf(key, sizeof(key), "SYMBOL(%s)", name);
	kvf(l, key, "%llx", (unsigned long long)va);
}

static void num(struct kvlist *l, const char *key, long long v)
{
	kvf(l, key, "%lld", v);
}

bool synth_vi_omitted(const struct synth *s, const char *key)
{
	bool omitted = false;

	for (size_t i = 0; i < s->nedits; i++)
		if (!strcmp(s->edits[i].key, key))
			omitted = !s->edits[i].value;
	return omitted;
}

/* The lockless printk ring buffer (5.10+), as Linux 6.1 and 6.12 export it, or log_buf (5.4). */
static void printk_vmcoreinfo(const struct synth *s, struct kvlist *l)
{
	static const struct { const char *key; int v; } nums[] = {
		{ "SIZE(printk_ringbuffer)", 88 }, { "OFFSET(printk_ringbuffer.desc_ring)", 0 },
		{ "OFFSET(printk_ringbuffer.text_data_ring)", 48 },
		{ "OFFSET(printk_ringbuffer.fail)", 80 }, { "SIZE(prb_desc_ring)", 48 },
		{ "OFFSET(prb_desc_ring.count_bits)", 0 }, { "OFFSET(prb_desc_ring.descs)", 8 },
		{ "OFFSET(prb_desc_ring.infos)", 16 }, { "OFFSET(prb_desc_ring.head_id)", 24 },
		{ "OFFSET(prb_desc_ring.tail_id)", 32 }, { "SIZE(prb_desc)", 24 },
		{ "OFFSET(prb_desc.state_var)", 0 }, { "OFFSET(prb_desc.text_blk_lpos)", 8 },
		{ "SIZE(prb_data_blk_lpos)", 16 }, { "OFFSET(prb_data_blk_lpos.begin)", 0 },
		{ "OFFSET(prb_data_blk_lpos.next)", 8 }, { "SIZE(printk_info)", 88 },
		{ "OFFSET(printk_info.seq)", 0 }, { "OFFSET(printk_info.ts_nsec)", 8 },
		{ "OFFSET(printk_info.text_len)", 16 }, { "OFFSET(printk_info.caller_id)", 20 },
		{ "OFFSET(printk_info.dev_info)", 24 }, { "SIZE(dev_printk_info)", 64 },
		{ "OFFSET(dev_printk_info.subsystem)", 0 }, { "LENGTH(printk_info_subsystem)", 16 },
		{ "OFFSET(dev_printk_info.device)", 16 }, { "LENGTH(printk_info_device)", 48 },
		{ "SIZE(prb_data_ring)", 32 }, { "OFFSET(prb_data_ring.size_bits)", 0 },
		{ "OFFSET(prb_data_ring.data)", 8 }, { "OFFSET(prb_data_ring.head_lpos)", 16 },
		{ "OFFSET(prb_data_ring.tail_lpos)", 24 }, { "SIZE(atomic_long_t)", 8 },
		{ "OFFSET(atomic_long_t.counter)", 0 }, { "SIZE(latched_seq)", 24 },
		{ "OFFSET(latched_seq.val)", 8 },
	};

	if (s->dmesg_format == 1) {
		/* 5.4's log_buf_vmcoreinfo_setup(), with or without CONFIG_PRINTK_CALLER */
		sym(l, "log_buf", s->sym_log_buf);
		sym(l, "log_buf_len", s->sym_log_buf_len);
		sym(l, "log_first_idx", s->sym_log_first_idx);
		sym(l, "clear_idx", s->sym_clear_idx);
		sym(l, "log_next_idx", s->sym_log_next_idx);
		num(l, "SIZE(printk_log)", s->dmesg_caller ? 20 : 16);
		num(l, "OFFSET(printk_log.ts_nsec)", 0);
		num(l, "OFFSET(printk_log.len)", 8);
		num(l, "OFFSET(printk_log.text_len)", 10);
		num(l, "OFFSET(printk_log.dict_len)", 12);
		if (s->dmesg_caller)
			num(l, "OFFSET(printk_log.caller_id)", 16);
		return;
	}
	sym(l, "prb", s->sym_prb);
	sym(l, "printk_rb_static", s->sym_printk_rb_static);
	sym(l, "clear_seq", s->sym_clear_seq);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		num(l, nums[i].key, nums[i].v);
}

/*
 * arm64's arch_crash_save_vmcoreinfo() (arch/arm64/kernel/crash_core.c,
 * vmcore_info.c from 6.10), in its order and formats: VA_BITS in decimal,
 * the rest 0x-hex; KERNELOFFSET bare hex.
 */
static void arm64_vmcoreinfo(const struct synth *s, struct kvlist *l)
{
	uint64_t page_end = ARM64_PAGE_END(s->va_bits);
	uint64_t vmemmap_start = ARM64_VMEMMAP_START(s->va_bits, PAGE_SHIFT);

	num(l, "NUMBER(VA_BITS)", s->va_bits);
	kvf(l, "NUMBER(MODULES_VADDR)", "0x%llx", (unsigned long long)page_end);
	kvf(l, "NUMBER(MODULES_END)", "0x%llx", (unsigned long long)(page_end + (2ull << 30)));
	kvf(l, "NUMBER(VMALLOC_START)", "0x%llx", (unsigned long long)(page_end + (2ull << 30)));
	kvf(l, "NUMBER(VMALLOC_END)", "0x%llx", (unsigned long long)(vmemmap_start - (8ull << 20)));
	kvf(l, "NUMBER(VMEMMAP_START)", "0x%llx", (unsigned long long)vmemmap_start);
	kvf(l, "NUMBER(VMEMMAP_END)", "0x%llx", (unsigned long long)ARM64_VMEMMAP_END);
	kvf(l, "NUMBER(kimage_voffset)", "0x%llx", (unsigned long long)(s->text_base - s->kernel_pa));
	kvf(l, "NUMBER(PHYS_OFFSET)", "0x%llx", (unsigned long long)s->phys_offset);
	kvf(l, "NUMBER(TCR_EL1_T1SZ)", "0x%llx", (unsigned long long)(64 - s->va_actual));
	kvf(l, "KERNELOFFSET", "%llx", (unsigned long long)s->kaslr);
	kvf(l, "NUMBER(KERNELPACMASK)", "0x%llx", 0ull);
}

/*
 * The order and the struct numbers follow a real Debian 6.1 / 6.12 kernel;
 * what each era adds or drops is in synth-eras.c.
 */
static void base_vmcoreinfo(const struct synth *s, struct kvlist *l)
{
	const struct era *e = s->e;
	uint64_t stext = s->text_base;
	uint64_t pgd = stext + (s->pgd_pa - s->kernel_pa);

	kv_set(l, "OSRELEASE", s->osrelease);
	kvf(l, "BUILD-ID", "%016llx%016llx%08x",
	    (unsigned long long)synth_hash(s->seed, 7, 1), (unsigned long long)synth_hash(s->seed, 7, 2),
	    (unsigned)synth_hash(s->seed, 7, 3));
	num(l, "PAGESIZE", (long long)PAGE_SIZE);
	sym(l, "init_uts_ns", s->sym_uts);
	num(l, "OFFSET(uts_namespace.name)", s->uts_offset);
	sym(l, "node_online_map", s->sym_node_online_map);
	sym(l, "swapper_pg_dir", pgd);
	sym(l, "_stext", stext);
	if (e->vi_vmap_area_list)
		sym(l, "vmap_area_list", s->sym_vmap_area_list);
	else if (!s->arm64)   /* arm64's own lines below say it */
		kvf(l, "NUMBER(VMALLOC_START)", "0x%llx",
		    (unsigned long long)(s->levels == 5 ? 0xffa0000000000000ull
						       : 0xffffb4c680000000ull));
	if (e->vi_vmemmap && s->vmemmap)
		sym(l, "vmemmap", s->vmemmap_base);
	sym(l, "mem_section", s->mem_section_sym);
	num(l, "LENGTH(mem_section)", (long long)(s->extreme ? s->nr_roots : s->nr_mem_sections));
	num(l, "SIZE(mem_section)", MEM_SECTION_SIZE);
	num(l, "OFFSET(mem_section.section_mem_map)", 0);
	num(l, "NUMBER(SECTION_SIZE_BITS)", s->section_bits);
	num(l, "NUMBER(MAX_PHYSMEM_BITS)", s->max_physmem_bits);
	num(l, "SIZE(page)", STRUCT_PAGE_SIZE);
	num(l, "SIZE(pglist_data)", e->size_pglist_data);
	num(l, "SIZE(zone)", 1536);
	num(l, "SIZE(free_area)", 88);
	num(l, "SIZE(list_head)", 16);
	num(l, "SIZE(nodemask_t)", 128);
	num(l, "OFFSET(page.flags)", 0);
	num(l, "OFFSET(page._refcount)", 52);
	num(l, "OFFSET(page.mapping)", 24);
	num(l, "OFFSET(page.lru)", 8);
	num(l, "OFFSET(page._mapcount)", 48);
	num(l, "OFFSET(page.private)", 40);
	if (e->order_in == ORD_PAGE) {
		num(l, "OFFSET(page.compound_dtor)", 16);
		num(l, "OFFSET(page.compound_order)", 17);
	} else if (e->order_in == ORD_FOLIO) {
		/* in page[1]: offsets inside struct folio, past SIZE(page) */
		num(l, "OFFSET(folio._folio_dtor)", STRUCT_PAGE_SIZE + 16);
		num(l, "OFFSET(folio._folio_order)", STRUCT_PAGE_SIZE + 17);
	}
	num(l, e->compound_info ? "OFFSET(page.compound_info)" : "OFFSET(page.compound_head)", 8);
	num(l, "OFFSET(pglist_data.node_zones)", 0);
	num(l, "OFFSET(pglist_data.nr_zones)", 171552);
	num(l, "OFFSET(pglist_data.node_start_pfn)", 171560);
	num(l, "OFFSET(pglist_data.node_spanned_pages)", 171576);
	num(l, "OFFSET(pglist_data.node_id)", 171584);
	num(l, "OFFSET(zone.free_area)", 256);
	num(l, "OFFSET(zone.vm_stat)", 1344);
	num(l, "OFFSET(zone.spanned_pages)", e->off_zone_spanned);
	num(l, "OFFSET(free_area.free_list)", 0);
	num(l, "OFFSET(list_head.next)", 0);
	num(l, "OFFSET(list_head.prev)", 8);
	if (e->vi_vmap_area_list) {
		num(l, "OFFSET(vmap_area.va_start)", 0);
		num(l, "OFFSET(vmap_area.list)", 40);
	}
	num(l, "LENGTH(zone.free_area)", s->max_order + 1);   /* NR_PAGE_ORDERS */
	printk_vmcoreinfo(s, l);
	num(l, "LENGTH(free_area.free_list)", 5);
	num(l, "NUMBER(NR_FREE_PAGES)", 0);
	num(l, "NUMBER(PG_lru)", e->pg_lru);
	num(l, "NUMBER(PG_private)", e->pg_private);
	num(l, "NUMBER(PG_swapcache)", e->pg_swapcache);
	num(l, "NUMBER(PG_swapbacked)", e->pg_swapbacked);
	if (e->slab)
		num(l, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)", e->slab);
	else
		num(l, "NUMBER(PG_slab)", e->pg_slab);
	num(l, "NUMBER(PG_hwpoison)", e->pg_hwpoison);
	num(l, "NUMBER(PG_head_mask)", 1ll << e->pg_head);
	num(l, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", e->buddy);
	if (e->hugetlb)
		num(l, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)", e->hugetlb);
	else if (e->pg_hugetlb >= 0)
		num(l, "NUMBER(PG_hugetlb)", e->pg_hugetlb);
	else
		num(l, "NUMBER(HUGETLB_PAGE_DTOR)", 2);
	num(l, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)", e->offline);
	if (s->vi_unaccepted)
		num(l, "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)", e->unaccepted);
	if (s->arm64) {
		arm64_vmcoreinfo(s, l);
	} else {
		num(l, "NUMBER(phys_base)", (long long)s->phys_base);
		sym(l, "init_top_pgt", pgd);
		num(l, "NUMBER(pgtable_l5_enabled)", s->levels == 5);
		kvf(l, "KERNELOFFSET", "%llx", (unsigned long long)s->kaslr);
		num(l, "NUMBER(KERNEL_IMAGE_SIZE)", 1ll << 30);
		num(l, "NUMBER(sme_mask)", 0);
	}
	num(l, "CRASHTIME", (long long)s->crashtime);
}

int synth_make_vmcoreinfo(struct synth *s)
{
	struct kvlist l = { 0 };
	size_t len = 0;
	char *p;

	base_vmcoreinfo(s, &l);
	for (size_t i = 0; i < s->nedits; i++) {
		if (s->edits[i].value)
			kv_set(&l, s->edits[i].key, s->edits[i].value);
		else
			kv_del(&l, s->edits[i].key);
	}
	if (l.err) {
		kv_free(&l);
		return synth_fail(s, l.err, "out of memory");
	}
	for (size_t i = 0; i < l.n; i++)
		len += strlen(l.v[i].key) + strlen(l.v[i].val) + 2;
	free(s->vi);
	s->vi = p = malloc(len + 1);
	if (!p) {
		kv_free(&l);
		return synth_fail(s, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < l.n; i++)
		p += sprintf(p, "%s=%s\n", l.v[i].key, l.v[i].val);
	s->vi_len = len;
	kv_free(&l);
	return 0;
}

/* -------------------------------------------------------------- notes */

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static unsigned char *put_note(unsigned char *p, const char *name, uint32_t type,
			       const void *desc, size_t descsz)
{
	Elf64_Nhdr nh = {
		.n_namesz = (Elf64_Word)strlen(name) + 1,
		.n_descsz = (Elf64_Word)descsz,
		.n_type = type,
	};

	memcpy(p, &nh, sizeof(nh));
	p += sizeof(nh);
	memcpy(p, name, nh.n_namesz);
	p += align4(nh.n_namesz);
	memcpy(p, desc, descsz);
	return p + align4(descsz);
}

int synth_make_notes(struct synth *s)
{
	size_t len = (size_t)s->cpus * (12 + 8 + PRSTATUS_SIZE_A64) + 12 + 12 + align4(s->vi_len);
	unsigned char *p;

	free(s->notes);
	s->notes = p = calloc(1, len);
	if (!p)
		return synth_fail(s, -ENOMEM, "out of memory");
	for (int cpu = 0; cpu < s->cpus && s->arm64; cpu++) {
		unsigned char st[PRSTATUS_SIZE_A64] = { 0 };
		uint64_t regs[34] = { 0 };
		uint32_t pid = cpu == 0 ? 1234 : 0;

		memcpy(st + PRSTATUS_PID, &pid, 4);
		regs[0] = 0x63;                                                      /* x0 */
		regs[31] = dva(s, (s->ram[0].start << PAGE_SHIFT) + 0x3f00 + 0x4000 * (uint64_t)cpu); /* sp */
		regs[32] = s->text_base + 0x1a2b30 + 0x40 * (uint64_t)cpu;        /* pc */
		regs[33] = 0x60400005;                                               /* pstate: EL1h */
		memcpy(st + PRSTATUS_REG, regs, sizeof(regs));
		p = put_note(p, "CORE", NT_PRSTATUS, st, sizeof(st));
	}
	for (int cpu = 0; cpu < s->cpus && !s->arm64; cpu++) {
		unsigned char st[PRSTATUS_SIZE] = { 0 };
		uint64_t regs[27] = { 0 };
		uint32_t pid = cpu == 0 ? 1234 : 0;

		memcpy(st + PRSTATUS_PID, &pid, 4);
		regs[10] = 0x63;                                            /* rax */
		regs[16] = s->text_base + 0x1a2b30 + 0x40 * (uint64_t)cpu; /* rip */
		regs[17] = 0x10;                                            /* cs */
		regs[18] = 0x46;                                            /* eflags */
		regs[19] = s->page_offset + (s->ram[0].start << PAGE_SHIFT) + 0x3f00 +
			   0x4000 * (uint64_t)cpu;                          /* rsp */
		regs[20] = 0x18;                                            /* ss */
		memcpy(st + PRSTATUS_REG, regs, sizeof(regs));
		p = put_note(p, "CORE", NT_PRSTATUS, st, sizeof(st));
	}
	p = put_note(p, "VMCOREINFO", 0, s->vi, s->vi_len);
	s->notes_len = (size_t)(p - s->notes);
	return 0;
}

/* ------------------------------------------------------------ the ELF */

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *b = buf;

	while (len) {
		ssize_t n = pwrite(fd, b, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

#define WRITE_CHUNK 256  /* pages per pwrite */

/* Write [pfn, pfn+n) of RAM at file offset off, leaving zero pages as holes. */
static int write_pages(struct synth *s, int fd, uint64_t pfn, uint64_t n, off_t off,
		       uint8_t *buf)
{
	uint64_t k = 0;

	while (k < n) {
		uint64_t run = 0;

		while (k < n && synth_class(s, pfn + k) == SYNTH_ZERO) {
			k++;
			off += (off_t)PAGE_SIZE;
		}
		while (k + run < n && run < WRITE_CHUNK && synth_class(s, pfn + k + run) != SYNTH_ZERO) {
			uint8_t *dst = buf + run * PAGE_SIZE;
			const uint8_t *src = synth_page_bytes(s, pfn + k + run, dst);

			if (!src)
				return synth_fail(s, -EFAULT, "internal: PFN %#llx is not RAM",
						  (unsigned long long)(pfn + k + run));
			if (src != dst)
				memcpy(dst, src, PAGE_SIZE);
			run++;
		}
		if (run) {
			int r = pwrite_all(fd, buf, run * PAGE_SIZE, off);

			if (r < 0)
				return synth_fail(s, r, "write: %s", strerror(-r));
			k += run;
			off += (off_t)(run * PAGE_SIZE);
		}
	}
	return 0;
}

int synth_write_vmcore_fd(struct synth *s, int fd)
{
	const int phnum = 2 + s->nram;
	const uint64_t note_off = 0x1000;
	unsigned char head[0x1000] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)head;
	Elf64_Phdr ph[2 + MAX_RAM_RANGES];
	uint8_t *buf;
	uint64_t off;
	int r;

	if (!s->built)
		return synth_fail(s, -EINVAL, "not built");
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = s->arm64 ? EM_AARCH64 : EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)phnum;

	memset(ph, 0, sizeof(ph));
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = note_off;
	ph[0].p_filesz = ph[0].p_memsz = s->notes_len;
	off = (note_off + s->notes_len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	ph[1].p_type = PT_LOAD;
	ph[1].p_flags = PF_R | PF_W | PF_X;
	ph[1].p_offset = off;
	ph[1].p_vaddr = s->text_base;
	ph[1].p_paddr = s->kernel_pa;
	ph[1].p_filesz = ph[1].p_memsz = s->kernel_size;
	off += s->kernel_size;
	for (int i = 0; i < s->nram; i++) {
		Elf64_Phdr *p = &ph[2 + i];

		p->p_type = PT_LOAD;
		p->p_flags = PF_R | PF_W | PF_X;
		p->p_offset = off;
		p->p_paddr = s->ram[i].start << PAGE_SHIFT;
		p->p_vaddr = s->page_offset + p->p_paddr;
		p->p_filesz = p->p_memsz = (s->ram[i].end - s->ram[i].start) << PAGE_SHIFT;
		off += p->p_filesz;
	}
	memcpy(head + sizeof(Elf64_Ehdr), ph, sizeof(Elf64_Phdr) * (size_t)phnum);

	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)off) < 0)
		return synth_fail(s, -errno, "truncate: %s", strerror(errno));
	if ((r = pwrite_all(fd, head, sizeof(head), 0)) < 0 ||
	    (r = pwrite_all(fd, s->notes, s->notes_len, (off_t)note_off)) < 0)
		return synth_fail(s, r, "write: %s", strerror(-r));
	buf = malloc(WRITE_CHUNK * PAGE_SIZE);
	if (!buf)
		return synth_fail(s, -ENOMEM, "out of memory");
	for (int i = 1; i < phnum && r >= 0; i++)
		r = write_pages(s, fd, ph[i].p_paddr >> PAGE_SHIFT, ph[i].p_filesz >> PAGE_SHIFT,
				(off_t)ph[i].p_offset, buf);
	free(buf);
	return r < 0 ? r : 0;
}

int synth_write_vmcore(struct synth *s, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return synth_fail(s, -errno, "%s: %s", path, strerror(errno));
	r = synth_write_vmcore_fd(s, fd);
	if (close(fd) < 0 && !r)
		r = synth_fail(s, -errno, "%s: %s", path, strerror(errno));
	return r;
}

/* -------------------------------------------------------- expectation */

int synth_write_expect(struct synth *s, const char *path)
{
	FILE *f;
	int r = 0;

	if (!s->built)
		return synth_fail(s, -EINVAL, "not built");
	f = fopen(path, "we");
	if (!f)
		return synth_fail(s, -errno, "%s: %s", path, strerror(errno));
	fprintf(f, "# kcatch synthetic vmcore expectation v1\n");
	fprintf(f, "# osrelease %s era %s paging %d memmodel %s extreme %s section_bits %d "
		"max_physmem_bits %d\n", s->osrelease, s->era_name, s->levels,
		s->vmemmap ? "vmemmap" : "sparse", s->extreme ? "yes" : "no", s->section_bits,
		s->max_physmem_bits);
	if (s->arm64)
		fprintf(f, "# arch arm64 va_bits %d va_actual %d\n", s->va_bits, s->va_actual);
	fprintf(f, "# rule: excluded at level L iff (zero && L&1) || (cache && L&6) || "
		"(cache_private && L&4) || (user && L&8) || (free && L&16) || hwpoison || offline\n");
	fprintf(f, "# max_pfn 0x%llx ram_pages %llu\n", (unsigned long long)s->max_pfn,
		(unsigned long long)s->ram_pages);
	for (int c = 0; c < SYNTH_CLASS_MAX; c++)
		fprintf(f, "# count %s %llu\n", synth_class_name((enum synth_class)c),
			(unsigned long long)s->counts[c]);
	for (unsigned l = 0; l <= 31; l++)
		fprintf(f, "# level %u excluded %llu\n", l,
			(unsigned long long)synth_expected_excluded(s, l));
	for (int i = 0; i < s->nram; i++) {
		uint64_t pfn = s->ram[i].start;

		while (pfn < s->ram[i].end) {
			int c = synth_class(s, pfn);
			uint64_t last = pfn;

			while (last + 1 < s->ram[i].end && synth_class(s, last + 1) == c)
				last++;
			if (last == pfn)
				fprintf(f, "0x%llx %s\n", (unsigned long long)pfn,
					synth_class_name((enum synth_class)c));
			else
				fprintf(f, "0x%llx-0x%llx %s\n", (unsigned long long)pfn,
					(unsigned long long)last, synth_class_name((enum synth_class)c));
			pfn = last + 1;
		}
	}
	if (ferror(f))
		r = synth_fail(s, -EIO, "%s: write error", path);
	if (fclose(f) != 0 && !r)
		r = synth_fail(s, -errno, "%s: %s", path, strerror(errno));
	return r;
}

static int write_text(struct synth *s, const char *path, const char *text, size_t len)
{
	FILE *f;
	int r = 0;

	if (!s->built)
		return synth_fail(s, -EINVAL, "not built");
	f = fopen(path, "we");
	if (!f)
		return synth_fail(s, -errno, "%s: %s", path, strerror(errno));
	if (fwrite(text, 1, len, f) != len)
		r = synth_fail(s, -EIO, "%s: write error", path);
	if (fclose(f) != 0 && !r)
		r = synth_fail(s, -errno, "%s: %s", path, strerror(errno));
	return r;
}

int synth_write_dmesg(struct synth *s, const char *path)
{
	return write_text(s, path, s->dmesg_text, s->dmesg_len);
}

int synth_write_dmesg_caller(struct synth *s, const char *path)
{
	return write_text(s, path, s->dmesg_caller_text, s->dmesg_caller_len);
}

const char *synth_dmesg_caller(const struct synth *s, size_t *len)
{
	if (len)
		*len = s->dmesg_caller_len;
	return s->dmesg_caller_text;
}

const char *synth_dmesg(const struct synth *s, size_t *len, size_t *records)
{
	if (len)
		*len = s->dmesg_len;
	if (records)
		*records = s->dmesg_records;
	return s->dmesg_text;
}

int synth_expect_read(const char *path, struct synth_expect_run **runs, size_t *n,
		      char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct synth_expect_run *v = NULL;
	size_t nv = 0, av = 0;
	char line[256];
	int lineno = 0, r = 0;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char cls[32], *p;
		int c, k;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		k = sscanf(line, "%llx-%llx %31s", &a, &b, cls);
		if (k != 3) {
			if (sscanf(line, "%llx %31s", &a, cls) != 2) {
				r = -EINVAL;
				break;
			}
			b = a;
		}
		if ((p = strchr(cls, '\n')))
			*p = '\0';
		c = synth_class_from_name(cls);
		if (c < 0 || b < a || (nv && a <= v[nv - 1].last)) {
			r = -EINVAL;
			break;
		}
		if (nv == av) {
			size_t na = av ? av * 2 : 256;
			struct synth_expect_run *q = realloc(v, na * sizeof(*q));

			if (!q) {
				r = -ENOMEM;
				break;
			}
			v = q;
			av = na;
		}
		v[nv++] = (struct synth_expect_run){ a, b, (enum synth_class)c };
	}
	fclose(f);
	if (r < 0) {
		snprintf(err, errlen, "%s: line %d: %s", path, lineno,
			 r == -ENOMEM ? "out of memory" : "expected FIRST[-LAST] CLASS, ascending");
		free(v);
		return r;
	}
	*runs = v;
	*n = nv;
	return 0;
}
