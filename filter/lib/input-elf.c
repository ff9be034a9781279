/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ELF vmcore input: /proc/vmcore or a copy of it. Parses the
 * program headers and notes, and serves physical memory through
 * windows into the file. Every offset and length from the file is
 * checked against the file size before use.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kcf-internal.h"

#define MAX_NOTES_SIZE (64u << 20)
#define WINDOW_SIZE (4u << 20)          /* as makedumpfile: big enough to amortise mmap */
#define META_READ_SIZE (64u << 10)      /* read() refills of the metadata window */

static void window_drop(struct kcf_window *w)
{
	if (w->mapped && w->map)
		munmap(w->map, w->cap);
	else
		free(w->map);
	memset(w, 0, sizeof(*w));
}

/* Make the window cover [off, off + len) of the file. */
static int window_cover(struct kcf_vmcore *vm, struct kcf_window *w, uint64_t off, size_t len)
{
	if (w->map && off >= w->file_off && off + len <= w->file_off + w->len)
		return 0;

	/*
	 * Read buffers of the metadata window stay small: its reads (page
	 * tables, mem_section, symbols) are scattered, and a 4 MiB refill
	 * for each of them was most of what -d 31 read.
	 */
	uint64_t wsize = !vm->can_mmap && w == &vm->win[KCF_WIN_META] ? META_READ_SIZE : WINDOW_SIZE;
	uint64_t start = off & ~(wsize - 1);
	uint64_t want = wsize;
	if (!vm->can_mmap && w->hint) {
		/* Read just the run the caller will use: excluded pages are never copied. */
		start = off & ~(uint64_t)4095;
		want = w->hint > len ? w->hint : len;
		want = (want + 4095) & ~(uint64_t)4095;
		w->hint = 0;
	} else if (off + len > start + want) {
		start = off & ~(uint64_t)4095;
		want = ((off + len - start) + wsize - 1) & ~(wsize - 1);
	}
	if (start + want > vm->file_size)
		want = vm->file_size - start;

	if (vm->can_mmap) {
		size_t cap = (want + 4095) & ~(size_t)4095;
		if (w->map)
			munmap(w->map, w->cap);
		w->map = mmap(NULL, cap, PROT_READ, MAP_SHARED, vm->fd, (off_t)start);
		if (w->map != MAP_FAILED) {
			w->mapped = true;
			w->cap = cap;
			w->file_off = start;
			w->len = want;
			return 0;
		}
		/* /proc/vmcore of old kernels, or a pipe-like file: read() it is. */
		memset(w, 0, sizeof(*w));
		vm->can_mmap = false;
	}
	if (w->cap < want) {
		void *b = realloc(w->mapped ? NULL : w->map, want);
		if (!b)
			return -ENOMEM;
		w->map = b;
		w->cap = want;
	}
	w->mapped = false;
	int r = kcf_pread_all(vm->fd, w->map, want, start);
	if (r < 0) {
		w->len = 0;
		return kcf_err(vm->ctx, r, "%s: read error at offset %#llx: %s", vm->path,
			       (unsigned long long)start, strerror(-r));
	}
	w->file_off = start;
	w->len = want;
	return 0;
}

static int elf_open(struct kcf_vmcore *vm)
{
	Elf64_Ehdr eh;
	int r;

	if (vm->file_size < sizeof(eh))
		return kcf_err(vm->ctx, EINVAL, "%s: file is too short to be an ELF vmcore (%llu bytes)",
			       vm->path, (unsigned long long)vm->file_size);
	r = kcf_pread_all(vm->fd, &eh, sizeof(eh), 0);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read the ELF header: %s", vm->path, strerror(-r));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return kcf_err(vm->ctx, EINVAL, "%s: not an ELF file (no ELF magic)", vm->path);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return kcf_err(vm->ctx, EINVAL, "%s: not a 64-bit little-endian ELF vmcore", vm->path);
	if (eh.e_type != ET_CORE)
		return kcf_err(vm->ctx, EINVAL, "%s: ELF type %u is not a core file", vm->path, eh.e_type);
	vm->elf_machine = eh.e_machine;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
		return kcf_err(vm->ctx, EINVAL, "%s: bad program header table (entsize %u, count %u)",
			       vm->path, eh.e_phentsize, eh.e_phnum);
	uint64_t ph_len = (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (eh.e_phoff > vm->file_size || ph_len > vm->file_size - eh.e_phoff)
		return kcf_err(vm->ctx, EINVAL, "%s: program headers lie past the end of the file (truncated?)",
			       vm->path);

	Elf64_Phdr *ph = malloc(ph_len);
	vm->loads = calloc(eh.e_phnum, sizeof(*vm->loads));
	if (!ph || !vm->loads) {
		free(ph);
		return -ENOMEM;
	}
	r = kcf_pread_all(vm->fd, ph, ph_len, eh.e_phoff);
	if (r < 0) {
		free(ph);
		return kcf_err(vm->ctx, r, "%s: cannot read program headers: %s", vm->path, strerror(-r));
	}
	for (unsigned i = 0; i < eh.e_phnum && r == 0; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD && p->p_type != PT_NOTE)
			continue;
		if (p->p_offset > vm->file_size || p->p_filesz > vm->file_size - p->p_offset) {
			r = kcf_err(vm->ctx, EINVAL,
				    "%s: segment %u (offset %#llx, size %#llx) points past the end of the file (%llu bytes): the vmcore is truncated",
				    vm->path, i, (unsigned long long)p->p_offset,
				    (unsigned long long)p->p_filesz, (unsigned long long)vm->file_size);
			break;
		}
		if (p->p_type == PT_NOTE) {
			if (p->p_filesz > MAX_NOTES_SIZE - vm->notes_len) {
				r = kcf_err(vm->ctx, EINVAL, "%s: PT_NOTE segments are implausibly large", vm->path);
				break;
			}
			uint8_t *n = realloc(vm->notes, vm->notes_len + p->p_filesz + 1);
			if (!n) {
				r = -ENOMEM;
				break;
			}
			vm->notes = n;
			r = kcf_pread_all(vm->fd, n + vm->notes_len, p->p_filesz, p->p_offset);
			if (r < 0)
				r = kcf_err(vm->ctx, r, "%s: cannot read notes: %s", vm->path, strerror(-r));
			vm->notes_len += p->p_filesz;
			continue;
		}
		if (p->p_filesz > p->p_memsz || p->p_paddr + p->p_memsz < p->p_paddr) {
			r = kcf_err(vm->ctx, EINVAL, "%s: PT_LOAD %u has inconsistent sizes", vm->path, i);
			break;
		}
		if (p->p_memsz == 0)
			continue;
		vm->loads[vm->nr_loads++] = (struct kcf_load){
			.paddr = p->p_paddr, .vaddr = p->p_vaddr, .offset = p->p_offset,
			.filesz = p->p_filesz, .memsz = p->p_memsz,
		};
	}
	free(ph);
	if (r < 0)
		return r;
	if (!vm->notes_len)
		return kcf_err(vm->ctx, ENODATA, "%s: no PT_NOTE segment: not a kernel crash dump", vm->path);
	return 0;
}

static const void *elf_map(struct kcf_vmcore *vm, int win, uint64_t paddr, size_t len)
{
	const struct kcf_load *l = kcf_load_find(vm, paddr);
	struct kcf_window *w = &vm->win[win];

	if (!l || len > l->memsz - (paddr - l->paddr)) {
		kcf_err(vm->ctx, EFAULT, "%s: physical address %#llx is not in the dump", vm->path,
			(unsigned long long)paddr);
		return NULL;
	}
	uint64_t rel = paddr - l->paddr;
	if (rel + len <= l->filesz) {
		if (window_cover(vm, w, l->offset + rel, len) < 0)
			return NULL;
		return w->map + (l->offset + rel - w->file_off);
	}
	/* Memory the kernel described but did not save (memsz > filesz) reads as zeros. */
	static const uint8_t zeros[65536];
	if (rel >= l->filesz && len <= sizeof(zeros))
		return zeros;
	kcf_err(vm->ctx, EFAULT, "%s: physical range %#llx+%zu straddles the saved part of a segment",
		vm->path, (unsigned long long)paddr, len);
	return NULL;
}

static int elf_copy(struct kcf_vmcore *vm, uint64_t paddr, void *buf, size_t len)
{
	const struct kcf_load *l = kcf_load_find(vm, paddr);
	if (!vm->can_mmap && l && len <= l->memsz - (paddr - l->paddr) &&
	    paddr - l->paddr + len <= l->filesz) {
		int r = kcf_pread_all(vm->fd, buf, len, l->offset + (paddr - l->paddr));
		if (r < 0)
			return kcf_err(vm->ctx, r, "%s: read error at offset %#llx: %s", vm->path,
				       (unsigned long long)(l->offset + (paddr - l->paddr)), strerror(-r));
		return 0;
	}
	/*
	 * Mapped input, a range that crosses segments or the unsaved zeros
	 * past filesz, or an error to report: page by page through map.
	 */
	return 1;
}

static void elf_hint(struct kcf_vmcore *vm, int win, uint64_t bytes)
{
	vm->win[win].hint = bytes < WINDOW_SIZE ? bytes : WINDOW_SIZE;
}

static void elf_close(struct kcf_vmcore *vm)
{
	for (int i = 0; i < KCF_WIN_COUNT; i++)
		window_drop(&vm->win[i]);
}

const struct kcf_input_ops kcf_input_elf = {
	.name = "ELF",
	.open = elf_open, .close = elf_close,
	.map = elf_map, .copy = elf_copy, .hint = elf_hint,
};
