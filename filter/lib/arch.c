/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The architectures the filter knows, found by what the input names:
 * an ELF vmcore's e_machine (input-elf.c), a kdump file's utsname
 * machine (input-kdump.c). A new architecture is one arch-*.c file
 * with its kcf_arch_ops, and one row here.
 */
#include <string.h>

#include "kcf-internal.h"

extern const struct kcf_arch_ops kcf_arch_x86_64;

static const struct kcf_arch_ops *const arches[] = {
	&kcf_arch_x86_64,
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
