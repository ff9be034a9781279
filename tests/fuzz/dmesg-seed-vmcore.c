/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmesg-seed-vmcore INPUT VMCORE: write the tiny ELF vmcore fuzz-dmesg
 * builds around INPUT (a fuzz-dmesg input), so that its seeds also serve
 * as small seeds of fuzz-vmcore and, filtered, of fuzz-kdump.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-dmesg.h"

int main(int argc, char **argv)
{
	static uint8_t buf[1u << 20];
	size_t n;
	FILE *in;
	int fd, r;

	if (argc != 3) {
		fprintf(stderr, "usage: dmesg-seed-vmcore INPUT VMCORE\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	r = fuzz_dmesg_vmcore(buf, n, fd);
	if (close(fd) < 0 || r < 0) {
		fprintf(stderr, "dmesg-seed-vmcore: cannot write %s: %s\n", argv[2], strerror(r < 0 ? -r : 5));
		return 1;
	}
	return 0;
}
