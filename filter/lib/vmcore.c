/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A crash dump opened for reading, whatever its format: format
 * detection, the notes and VMCOREINFO, the architecture and its
 * address translation set up, the RAM ranges sorted, utsname. The
 * formats themselves (input-elf.c, input-kdump.c) describe the file and
 * turn a physical address into bytes; phys.c is how the layers above
 * read physical memory, arch.c how they read virtual memory.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "kcf-internal.h"
#include "format-flat.h"
#include "format-kdump.h"

/* Walk the note list; remember VMCOREINFO and count CPUs. */
int kcf_parse_notes(struct kcf_vmcore *vm, const char **vi_text, size_t *vi_len)
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

static int cmp_load(const void *a, const void *b)
{
	const struct kcf_load *x = a, *y = b;
	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/*
 * The kernel image mapping repeats RAM that other PT_LOADs cover: set
 * it aside for writers that copy segments, and sort the rest.
 */
static int sort_loads(struct kcf_vmcore *vm)
{
	size_t n = 0;
	for (size_t i = 0; i < vm->nr_loads; i++) {
		const struct kcf_load *l = &vm->loads[i];
		if (vm->arch->is_kernel_text(vm, l)) {
			if (!vm->has_text_load)
				vm->text_load = *l;
			vm->has_text_load = true;
			continue;
		}
		vm->loads[n++] = *l;
	}
	vm->nr_loads = n;
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

static int find_arch(struct kcf_vmcore *vm)
{
	char names[128];

	if (vm->elf_machine)
		vm->arch = kcf_arch_by_elf_machine(vm->elf_machine);
	else
		vm->arch = kcf_arch_by_name(vm->utsname[4]);
	if (vm->arch)
		return 0;
	kcf_arch_names(names, sizeof(names));
	if (vm->elf_machine)
		return kcf_err(vm->ctx, ENOTSUP, "%s: ELF machine %u is not supported (only %s are)",
			       vm->path, vm->elf_machine, names);
	return kcf_err(vm->ctx, ENOTSUP, "%s: machine \"%s\" is not supported (only %s are)",
		       vm->path, vm->utsname[4], names);
}

static void read_utsname(struct kcf_vmcore *vm)
{
	const struct kcf_layout *l = &vm->lay;
	if (vm->utsname_from_input && !strcmp(vm->utsname[0], "Linux")) {
		vm->utsname_from_memory = true;
		return;
	}
	memset(vm->utsname, 0, sizeof(vm->utsname));
	if (l->sym_init_uts_ns != KCF_UNSET && l->off_uts_name != KCF_UNSET &&
	    kcf_virt_read(vm, (uint64_t)(l->sym_init_uts_ns + l->off_uts_name),
			  vm->utsname, sizeof(vm->utsname)) == 0) {
		for (int i = 0; i < 6; i++)
			vm->utsname[i][64] = 0;
		if (!strcmp(vm->utsname[0], "Linux")) {
			vm->utsname_from_memory = true;
			return;
		}
	}
	/* Not readable: what VMCOREINFO tells is enough for crash. */
	memset(vm->utsname, 0, sizeof(vm->utsname));
	snprintf(vm->utsname[0], 65, "Linux");
	snprintf(vm->utsname[2], 65, "%s", l->osrelease);
	snprintf(vm->utsname[4], 65, "%s", vm->arch->name);
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
	/*
	 * mmap only /proc/vmcore: its read() copies old memory a page at a
	 * time through a fresh mapping, which big mmap windows amortise. A
	 * vmcore in the page cache is the other way round: a fault per few
	 * pages costs more than pread's copy (4 GiB vmcore, -d 31 -l: 0.29 s
	 * mapped, 0.22 s read; -d 1 -l user time 2.85 s -> 0.78 s).
	 */
	struct statfs sfs;
	vm->can_mmap = S_ISREG(st.st_mode) && fstatfs(vm->fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
	vm->file_size = (uint64_t)st.st_size;

	uint8_t magic[16] = { 0 };
	if (vm->file_size >= sizeof(magic))
		kcf_pread_all(vm->fd, magic, sizeof(magic), 0);
	if (!memcmp(magic, ELFMAG, SELFMAG)) {
		vm->in = &kcf_input_elf;
	} else if (!memcmp(magic, KDUMP_SIGNATURE, KDUMP_SIGNATURE_LEN)) {
		vm->in = &kcf_input_kdump;
	} else if (flat_is_signature(magic)) {
		r = kcf_err(ctx, EINVAL, "%s is a flattened stream: rebuild it first with `kcatch-filter -R DUMPFILE < %s`",
			    path, path);
		goto fail;
	} else {
		r = kcf_err(ctx, EINVAL, "%s is neither an ELF vmcore nor a kdump-compressed dump (%llu bytes)",
			    path, (unsigned long long)vm->file_size);
		goto fail;
	}
	r = vm->in->open(vm);
	if (r == 0)
		r = find_arch(vm);
	if (r == 0)
		r = kcf_parse_notes(vm, &vi_text, &vi_len);
	if (r < 0)
		goto fail;
	r = kcf_vmcoreinfo_parse(ctx, vi_text, vi_len, &vm->vi, &vm->lay);
	if (r < 0) {
		kcf_err_prefix(ctx, r, path);
		goto fail;
	}
	if ((r = sort_loads(vm)) < 0)
		goto fail;
	uint64_t page = (uint64_t)vm->lay.page_size;
	for (size_t i = 0; i < vm->nr_loads; i++) {
		const struct kcf_load *l = &vm->loads[i];
		uint64_t end = (l->paddr + l->memsz + page - 1) / page;
		if (end > vm->max_pfn)
			vm->max_pfn = end;
		if (!vm->page_offset && l->vaddr)
			vm->page_offset = l->vaddr - l->paddr;
	}
	r = vm->arch->init(vm);
	if (r < 0)
		goto fail;
	if (vm->in->no_vaddrs && vm->arch->direct_map_base &&
	    (vm->page_offset = vm->arch->direct_map_base(vm)) != 0) {
		for (size_t i = 0; i < vm->nr_loads; i++)
			vm->loads[i].vaddr = vm->page_offset + vm->loads[i].paddr;
	}
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
	if (vm->in && vm->in->close)
		vm->in->close(vm);
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

KCF_EXPORT uint64_t kcf_vmcore_ram_bytes(const struct kcf_vmcore *vm)
{
	uint64_t total = 0;
	for (size_t i = 0; i < vm->nr_loads; i++)
		total += vm->loads[i].memsz;
	return total;
}

KCF_EXPORT int kcf_vmcore_utsname(const struct kcf_vmcore *vm, struct kcf_utsname *uts)
{
	char *f[6] = { uts->sysname, uts->nodename, uts->release, uts->version, uts->machine, uts->domainname };
	for (int i = 0; i < 6; i++)
		memcpy(f[i], vm->utsname[i], 65);
	return vm->utsname_from_memory ? 0 : -ENODATA;
}
