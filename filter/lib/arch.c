/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The architectures the filter knows, found by what the input names:
 * an ELF vmcore's e_machine (input-elf.c), a kdump file's utsname
 * machine (input-kdump.c). A new architecture is one arch-*.c file
 * with its kcf_arch_ops, and one row here (and in filter/meson.build). Virtual memory is read here
 * too: the arch translates, phys.c reads.
 */
#include <stdio.h>
#include <string.h>

#include "kcf-internal.h"

extern const struct kcf_arch_ops kcf_arch_x86_64;
extern const struct kcf_arch_ops kcf_arch_arm64;

static const struct kcf_arch_ops *const arches[] = {
	&kcf_arch_x86_64,
	&kcf_arch_arm64,
};

const struct kcf_arch_ops *kcf_arch_by_elf_machine(unsigned machine)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (arches[i]->elf_machine == machine)
			return arches[i];
	return NULL;
}

const struct kcf_arch_ops *kcf_arch_by_name(const char *uts_machine)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (!strcmp(arches[i]->name, uts_machine))
			return arches[i];
	return NULL;
}

void kcf_arch_names(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(arches) && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", arches[i]->name);
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

int kcf_tlb_vtop(struct kcf_vmcore *vm, struct kcf_tlb *t, uint64_t va, uint64_t *pa, uint64_t *span,
		 int (*walk)(struct kcf_vmcore *vm, uint64_t va, uint64_t *base, uint64_t *size))
{
	uint64_t base = 0, size = 0, off;
	unsigned i;
	int r;

	for (i = 0; i < KCF_TLB_SIZE; i++) {
		off = va - t->e[i].va;
		if (t->e[i].size && off < t->e[i].size) {
			*pa = t->e[i].pa + off;
			*span = t->e[i].size - off;
			return 0;
		}
	}
	r = walk(vm, va, &base, &size);
	if (r < 0)
		return r;
	i = t->next++ % KCF_TLB_SIZE;
	t->e[i].va = va & ~(size - 1);
	t->e[i].pa = base;
	t->e[i].size = size;
	*pa = base + (va - t->e[i].va);
	*span = size - (va - t->e[i].va);
	return 0;
}
