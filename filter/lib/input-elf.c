/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ELF vmcore reader: /proc/vmcore or a copy of it. Parses the
 * program headers and notes, and serves physical memory through
 * windows. Every offset and length from the file is checked against
 * the file size before use.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kcf-internal.h"

#define WINDOW_SIZE (4u << 20)          /* as makedumpfile: big enough to amortise mmap */
#define MAX_NOTES_SIZE (64u << 20)
#define START_KERNEL_MAP 0xffffffff80000000ULL

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int cmp_load(const void *a, const void *b)
{
	const struct kcf_load *x = a, *y = b;
	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Walk the note list; remember VMCOREINFO and count CPUs. */
static int parse_notes(struct kcf_vmcore *vm, const char **vi_text, size_t *vi_len)
{
	size_t off = 0;

	*vi_text = NULL;
	while (off + sizeof(Elf64_Nhdr) <= vm->notes_len) {
		Elf64_Nhdr nh;
		memcpy(&nh, vm->notes + off, sizeof(nh));
		size_t name_off = off + sizeof(nh);
		size_t namesz = ((size_t)nh.n_namesz + 3) & ~(size_t)3;
		size_t descsz = ((size_t)nh.n_descsz + 3) & ~(size_t)3;
		if (nh.n_namesz == 0 && nh.n_descsz == 0)
			break;  /* padding after the last note */
		if (namesz > vm->notes_len - name_off ||
		    descsz > vm->notes_len - name_off - namesz)
			return kcf_err(vm->ctx, EINVAL, "%s: an ELF note at offset %zu runs past the PT_NOTE segment",
				       vm->path, off);
		const char *name = (const char *)vm->notes + name_off;
		const uint8_t *desc = vm->notes + name_off + namesz;
		if (nh.n_namesz == 11 && !memcmp(name, "VMCOREINFO", 11)) {
			*vi_text = (const char *)desc;
			*vi_len = nh.n_descsz;
			vm->vi_note_off = (size_t)(desc - vm->notes);
		} else if (nh.n_type == NT_PRSTATUS && nh.n_namesz == 5 && !memcmp(name, "CORE", 5)) {
			vm->nr_cpus++;
		}
		off = name_off + namesz + descsz;
	}
	if (!*vi_text)
		return kcf_err(vm->ctx, ENODATA, "%s: no VMCOREINFO note: not a kernel crash dump, or the capture kernel could not describe it",
			       vm->path);
	return 0;
}

static int read_phdrs(struct kcf_vmcore *vm)
{
	Elf64_Ehdr eh;
	int r;

	if (vm->file_size < sizeof(eh))
		return kcf_err(vm->ctx, EINVAL, "%s: file is too short to be an ELF vmcore (%llu bytes)",
			       vm->path, (unsigned long long)vm->file_size);
	r = pread_all(vm->fd, &eh, sizeof(eh), 0);
	if (r < 0)
		return kcf_err(vm->ctx, r, "%s: cannot read the ELF header: %s", vm->path, strerror(-r));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return kcf_err(vm->ctx, EINVAL, "%s: not an ELF file (no ELF magic)", vm->path);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return kcf_err(vm->ctx, EINVAL, "%s: not a 64-bit little-endian ELF vmcore", vm->path);
	if (eh.e_type != ET_CORE)
		return kcf_err(vm->ctx, EINVAL, "%s: ELF type %u is not a core file", vm->path, eh.e_type);
	if (eh.e_machine != EM_X86_64)
		return kcf_err(vm->ctx, ENOTSUP, "%s: machine %u is not supported (x86_64 only for now)",
			       vm->path, eh.e_machine);
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
	r = pread_all(vm->fd, ph, ph_len, eh.e_phoff);
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
			r = pread_all(vm->fd, n + vm->notes_len, p->p_filesz, p->p_offset);
			if (r < 0)
				r = kcf_err(vm->ctx, r, "%s: cannot read notes: %s", vm->path, strerror(-r));
			vm->notes_len += p->p_filesz;
			continue;
		}
		if (p->p_filesz > p->p_memsz || p->p_paddr + p->p_memsz < p->p_paddr) {
			r = kcf_err(vm->ctx, EINVAL, "%s: PT_LOAD %u has inconsistent sizes", vm->path, i);
			break;
		}
		/*
		 * The kernel text mapping repeats RAM that other PT_LOADs
		 * cover; keep it aside for writers that copy segments.
		 */
		if (p->p_memsz == 0)
			continue;
		if (p->p_vaddr >= START_KERNEL_MAP) {
			if (!vm->has_text_load)
				vm->text_load = (struct kcf_load){
					.paddr = p->p_paddr, .vaddr = p->p_vaddr, .offset = p->p_offset,
					.filesz = p->p_filesz, .memsz = p->p_memsz,
				};
			vm->has_text_load = true;
			continue;
		}
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
	if (!vm->nr_loads)
		return kcf_err(vm->ctx, ENODATA, "%s: no PT_LOAD segment describes RAM", vm->path);
	qsort(vm->loads, vm->nr_loads, sizeof(*vm->loads), cmp_load);
	for (size_t i = 1; i < vm->nr_loads; i++) {
		if (vm->loads[i].paddr < vm->loads[i - 1].paddr + vm->loads[i - 1].memsz)
			return kcf_err(vm->ctx, EINVAL, "%s: PT_LOAD segments overlap at physical address %#llx",
				       vm->path, (unsigned long long)vm->loads[i].paddr);
	}
	return 0;
}

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

	uint64_t start = off & ~(uint64_t)(WINDOW_SIZE - 1);
	uint64_t want = WINDOW_SIZE;
	if (off + len > start + want) {
		start = off & ~(uint64_t)4095;
		want = ((off + len - start) + WINDOW_SIZE - 1) & ~(uint64_t)(WINDOW_SIZE - 1);
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
	int r = pread_all(vm->fd, w->map, want, start);
	if (r < 0) {
		w->len = 0;
		return kcf_err(vm->ctx, r, "%s: read error at offset %#llx: %s", vm->path,
			       (unsigned long long)start, strerror(-r));
	}
	w->file_off = start;
	w->len = want;
	return 0;
}

const struct kcf_load *kcf_load_find(const struct kcf_vmcore *vm, uint64_t paddr)
{
	size_t lo = 0, hi = vm->nr_loads;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct kcf_load *l = &vm->loads[mid];
		if (paddr < l->paddr)
			hi = mid;
		else if (paddr - l->paddr >= l->memsz)
			lo = mid + 1;
		else
			return l;
	}
	return NULL;
}

const void *kcf_phys_map(struct kcf_vmcore *vm, int win, uint64_t paddr, size_t len)
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

int kcf_phys_read(struct kcf_vmcore *vm, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len) {
		size_t chunk = 4096 - (paddr & 4095);
		if (chunk > len)
			chunk = len;
		const void *p = kcf_phys_map(vm, KCF_WIN_META, paddr, chunk);
		if (!p)
			return -EFAULT;
		memcpy(out, p, chunk);
		out += chunk;
		paddr += chunk;
		len -= chunk;
	}
	return 0;
}

int kcf_virt_read(struct kcf_vmcore *vm, uint64_t vaddr, void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len) {
		uint64_t pa, span;
		int r = vm->arch->vtop(vm, vaddr, &pa, &span);
		if (r < 0)
			return r;
		size_t chunk = KCF_MIN(len, span);
		r = kcf_phys_read(vm, pa, out, chunk);
		if (r < 0)
			return r;
		out += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return 0;
}

int kcf_read_u64_virt(struct kcf_vmcore *vm, uint64_t vaddr, uint64_t *val)
{
	return kcf_virt_read(vm, vaddr, val, sizeof(*val));
}

static void read_utsname(struct kcf_vmcore *vm)
{
	const struct kcf_layout *l = &vm->lay;
	memset(vm->utsname, 0, sizeof(vm->utsname));
	if (l->sym_init_uts_ns != KCF_UNSET && l->off_uts_name != KCF_UNSET &&
	    kcf_virt_read(vm, (uint64_t)(l->sym_init_uts_ns + l->off_uts_name),
			  vm->utsname, sizeof(vm->utsname)) == 0) {
		for (int i = 0; i < 6; i++)
			vm->utsname[i][64] = 0;
		if (!strcmp(vm->utsname[0], "Linux"))
			return;
	}
	/* Not readable: what VMCOREINFO tells is enough for crash. */
	memset(vm->utsname, 0, sizeof(vm->utsname));
	snprintf(vm->utsname[0], 65, "Linux");
	snprintf(vm->utsname[2], 65, "%s", l->osrelease);
	snprintf(vm->utsname[4], 65, "x86_64");
}

KCF_EXPORT int kcf_vmcore_open(struct kcf_ctx *ctx, const char *path, struct kcf_vmcore **ret)
{
	struct kcf_vmcore *vm = calloc(1, sizeof(*vm));
	struct stat st;
	const char *vi_text;
	size_t vi_len = 0;
	int r;

	if (!vm || !(vm->path = strdup(path))) {
		free(vm);
		return -ENOMEM;
	}
	vm->ctx = ctx;
	vm->fd = -1;
	vm->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vm->fd < 0) {
		r = kcf_err(ctx, errno, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(vm->fd, &st) < 0) {
		r = kcf_err(ctx, errno, "cannot stat %s: %s", path, strerror(errno));
		goto fail;
	}
	vm->can_mmap = S_ISREG(st.st_mode);
	vm->file_size = (uint64_t)st.st_size;

	r = read_phdrs(vm);
	if (r < 0)
		goto fail;
	r = parse_notes(vm, &vi_text, &vi_len);
	if (r < 0)
		goto fail;
	r = kcf_vmcoreinfo_parse(ctx, vi_text, vi_len, &vm->vi, &vm->lay);
	if (r < 0) {
		kcf_err(ctx, r, "%s: %s", path, kcf_ctx_error(ctx));
		goto fail;
	}
	uint64_t page = (uint64_t)vm->lay.page_size;
	for (size_t i = 0; i < vm->nr_loads; i++) {
		const struct kcf_load *l = &vm->loads[i];
		uint64_t end = (l->paddr + l->memsz + page - 1) / page;
		if (end > vm->max_pfn)
			vm->max_pfn = end;
		if (!vm->page_offset && l->vaddr)
			vm->page_offset = l->vaddr - l->paddr;
	}
	vm->arch = &kcf_arch_x86_64;
	r = vm->arch->init(vm);
	if (r < 0)
		goto fail;
	read_utsname(vm);
	*ret = vm;
	return 0;
fail:
	kcf_vmcore_close(vm);
	return r;
}

KCF_EXPORT void kcf_vmcore_close(struct kcf_vmcore *vm)
{
	if (!vm)
		return;
	if (vm->arch && vm->arch->fini)
		vm->arch->fini(vm);
	for (int i = 0; i < KCF_WIN_COUNT; i++)
		window_drop(&vm->win[i]);
	if (vm->fd >= 0)
		close(vm->fd);
	kcf_vmcoreinfo_free(&vm->vi);
	free(vm->loads);
	free(vm->notes);
	free(vm->path);
	free(vm);
}

KCF_EXPORT const char *kcf_vmcore_info(const struct kcf_vmcore *vm, const char *key)
{
	return kcf_vmcoreinfo_get(&vm->vi, key);
}

KCF_EXPORT const char *kcf_vmcore_info_text(const struct kcf_vmcore *vm, size_t *len)
{
	if (len)
		*len = vm->vi.len;
	return vm->vi.text;
}

KCF_EXPORT uint64_t kcf_vmcore_page_size(const struct kcf_vmcore *vm)
{
	return (uint64_t)vm->lay.page_size;
}

KCF_EXPORT uint64_t kcf_vmcore_max_pfn(const struct kcf_vmcore *vm)
{
	return vm->max_pfn;
}
