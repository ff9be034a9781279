/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-synth SPEC... : self-check of the synthetic vmcore generator (TAP).
 *
 * For every spec: build it with the library, write the vmcore and the
 * expectation file (to memory files, or to $TMPDIR and kept when KEEP=1),
 * then read the vmcore back with check-synth's own reader
 * (check-synth-reader.c, check-synth-kernel.c), which knows nothing of
 * the generator, and check:
 *  - ELF64 ET_CORE EM_X86_64 or EM_AARCH64, PT_NOTE first, NT_PRSTATUS notes, VMCOREINFO
 *    note identical to what the generator meant;
 *  - init_uts_ns read through the page tables holds OSRELEASE;
 *  - for every PFN with a struct page, the page-table walk of its vmemmap
 *    (or mem_map) address lands on the physical address the generator
 *    allocated for it;
 *  - every RAM page's bytes in the file equal the generator's;
 *  - the printk ring, read through the page tables, gives the expected log;
 *  - classifying every page from the dump alone, with the rule in
 *    synth-vmcore.h, gives exactly the expectation file.
 * This file holds the checks; exit 0 when all pass, 1 when one fails, 2
 * on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check-synth.h"
#include "kv.h"
#include "synth-vmcore.h"
#include "tap.h"

static void diag(const char *msg)
{
	printf("# %s\n", msg);
}

/* init_uts_ns, read through the page tables, holds VMCOREINFO's OSRELEASE. */
static void check_utsname(const struct dump *d, const char *name)
{
	uint64_t uts = vmci_hex(d, "SYMBOL(init_uts_ns)") +
		       (uint64_t)vmci_num(d, "OFFSET(uts_namespace.name)");
	const uint8_t *release = dump_va(d, uts + 2 * 65, 65);
	char want[65];
	bool have = kv_vmci_get(d->vmci, d->vmci_len, "OSRELEASE", want, sizeof(want));

	ok(release && have && !strncmp((const char *)release, want, sizeof(want)),
	   "%s: init_uts_ns release read through the page tables", name);
}

/* Every struct page address walks to the PA the generator allocated for it. */
static void check_struct_pages(struct synth *s, const struct dump *d,
			       const struct classifier *c, const char *name)
{
	uint64_t bad = 0, checked = 0;
	char msg[512];

	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++) {
		uint64_t va, pa, wpa;

		if (synth_struct_page(s, pfn, &va, &pa) != 0)
			continue;
		checked++;
		if (struct_page_va(c, pfn) != va || dump_vtop(d, va, &wpa) < 0 || wpa != pa) {
			if (bad++ < 3) {
				snprintf(msg, sizeof(msg), "PFN %#llx: struct page %#llx -> %#llx, expected %#llx",
					 (unsigned long long)pfn, (unsigned long long)va,
					 (unsigned long long)wpa, (unsigned long long)pa);
				diag(msg);
			}
		}
	}
	ok(!bad && checked, "%s: page walk of %llu struct page addresses hits the allocated PA",
	   name, (unsigned long long)checked);
}

/* Every page of every PT_LOAD has the generator's bytes; a hole is a zero page. */
static void check_page_bytes(struct synth *s, const struct dump *d, const char *name)
{
	uint8_t *buf = malloc(d->page_size);
	uint64_t bad = 0;

	if (synth_page_size(s) != d->page_size)
		bad++;
	for (int i = 0; buf && !bad && i < d->nload; i++)
		for (uint64_t off = 0; off < d->load[i].len; off += d->page_size) {
			uint64_t pfn = (d->load[i].pa + off) >> d->page_shift;

			/* a hole is a zero page: the generator must mean zero there */
			if (dump_pa_hole(d, d->load[i].pa + off)) {
				if (synth_class(s, pfn) != SYNTH_ZERO)
					bad++;
				continue;
			}
			if (synth_page_read(s, pfn, buf) < 0 ||
			    memcmp(buf, d->map + d->load[i].off + off, d->page_size))
				bad++;
		}
	ok(buf && !bad, "%s: every page in every PT_LOAD has the generator's bytes (%llu differ)",
	   name, (unsigned long long)bad);
	free(buf);
}

static void check_dmesg(struct synth *s, const struct dump *d, const char *name)
{
	char *log = read_dmesg(d);
	size_t elen, nrec;
	const char *exp = synth_dmesg(s, &elen, &nrec);

	ok(log && strlen(log) == elen && !memcmp(log, exp, elen),
	   "%s: printk ring read through the page tables gives the expected log (%zu records)",
	   name, nrec);
	free(log);
}

/* The classes from the dump alone cover RAM exactly as the expectation file says. */
static void check_classes(const struct dump *d, const struct classifier *c,
			  const char *expect, const char *name)
{
	struct synth_expect_run *runs = NULL;
	size_t nruns = 0;
	uint64_t bad = 0, covered = 0, ram = 0;
	uint8_t *cls;
	char msg[512];

	if (synth_expect_read(expect, &runs, &nruns, msg, sizeof(msg)) < 0) {
		ok(false, "%s: %s", name, msg);
		return;
	}
	cls = malloc(d->max_pfn);
	if (!cls) {
		ok(false, "%s: out of memory", name);
		free(runs);
		return;
	}
	classify_dump(c, cls);
	for (size_t i = 0; i < nruns; i++) {
		for (uint64_t p = runs[i].first; p <= runs[i].last; p++) {
			covered++;
			if (p >= d->max_pfn || cls[p] != runs[i].cls) {
				if (bad++ < 5) {
					snprintf(msg, sizeof(msg), "PFN %#llx: dump says %s, "
						 "expectation says %s", (unsigned long long)p,
						 p < d->max_pfn ? synth_class_name(cls[p]) : "beyond",
						 synth_class_name(runs[i].cls));
					diag(msg);
				}
			}
		}
	}
	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++)
		ram += cls[pfn] != CLASS_NOT_RAM;
	ok(!bad && covered == ram,
	   "%s: classes from the dump match the expectation (%llu pages, %llu differ)",
	   name, (unsigned long long)covered, (unsigned long long)bad);
	free(cls);
	free(runs);
}

static void check_one(const char *spec, const char *dir)
{
	char vmcore[4096], expect[4096], err[512], name[256];
	const char *base = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
	struct synth *s = NULL;
	struct dump d;
	struct classifier c = { 0 };
	size_t vilen;
	const char *vi;
	int mfd[2] = { -1, -1 };

	snprintf(name, sizeof(name), "%s", base);
	if (getenv("KEEP")) {
		snprintf(vmcore, sizeof(vmcore), "%s/%s.vmcore", dir, base);
		snprintf(expect, sizeof(expect), "%s/%s.expect", dir, base);
	} else {
		/* memory files: no disk traffic */
		mfd[0] = memfd_create("vmcore", MFD_CLOEXEC);
		mfd[1] = memfd_create("expect", MFD_CLOEXEC);
		snprintf(vmcore, sizeof(vmcore), "/proc/self/fd/%d", mfd[0]);
		snprintf(expect, sizeof(expect), "/proc/self/fd/%d", mfd[1]);
	}
	if (synth_new(&s) < 0 || synth_spec_file(s, spec) < 0 || synth_build(s) < 0 ||
	    synth_write_vmcore(s, vmcore) < 0 || synth_write_expect(s, expect) < 0) {
		ok(false, "%s: generate: %s", name, s ? synth_error(s) : "out of memory");
		goto out_fds;
	}
	ok(true, "%s: generated (%llu RAM pages)", name, (unsigned long long)synth_ram_pages(s));
	if (dump_open(&d, vmcore, err, sizeof(err)) < 0) {
		ok(false, "%s: read back: %s", name, err);
		goto out;
	}
	vi = synth_vmcoreinfo(s, &vilen);
	ok(d.nprstatus >= 1 && d.vmci_len == vilen && !memcmp(d.vmci, vi, vilen),
	   "%s: ELF core, %d NT_PRSTATUS, VMCOREINFO note intact", name, d.nprstatus);
	check_utsname(&d, name);
	if (classifier_setup(&c, &d, err, sizeof(err)) < 0) {
		ok(false, "%s: sections: %s", name, err);
		goto out;
	}
	check_struct_pages(s, &d, &c, name);
	check_page_bytes(s, &d, name);
	check_dmesg(s, &d, name);
	check_classes(&d, &c, expect, name);
out:
	classifier_free(&c);
	dump_close(&d);
out_fds:
	for (int i = 0; i < 2; i++)
		if (mfd[i] >= 0)
			close(mfd[i]);
	synth_free(s);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (argc < 2) {
		fprintf(stderr, "usage: %s SPEC...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		check_one(argv[i], dir);
	/* how many tests ran depends on how far each spec got: plan at the end */
	return plan_at_end();
}
