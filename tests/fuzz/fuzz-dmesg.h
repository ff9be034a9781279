/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The input of fuzz-dmesg: a small header that picks the printk buffer
 * and its control words, then the buffer's memory. fuzz_dmesg_vmcore()
 * wraps it in a tiny ELF vmcore with a fixed VMCOREINFO, so that every
 * fuzz byte lands in what the ring walkers read, not in ELF framing.
 *
 * Header (FUZZ_DMESG_HDR bytes, little endian; a shorter input is padded
 * with zeros):
 *   0      mode: bit 0 log_buf ring (3.5 .. 5.9) instead of the lockless
 *          ring (5.10+); bit 1 --partial-dmesg; bit 2 the layout numbers
 *          of VMCOREINFO (offsets, sizes) come from bytes 32.. instead of
 *          the real kernel's; bit 3 caller ids: VMCOREINFO gets
 *          OFFSET(printk_info.caller_id) or OFFSET(printk_log.caller_id)
 *          (real: 20, or 16 with a 20-byte printk_log; with bit 2, the u16
 *          after the layout numbers) and records are formatted with them
 *   1      lockless: count_bits, 2^N descriptors: N = byte mod 13 for
 *          bytes below 240, else 13 + (byte - 240)
 *   2      lockless: size_bits, 2^N bytes of text: the same with 17
 *   8      lockless: head_id (u64)     log_buf: log_buf_len (u32), then
 *   16     lockless: tail_id (u64)              log_first_idx, log_next_idx,
 *   24     lockless: clear_seq (u64)            clear_idx (u32 each)
 *   32..   with mode bit 2: u16 per VMCOREINFO layout number, taken mod 4400
 * The rest fills, in this order, the descriptor array, the printk_info
 * array and the text ring (lockless), or log_buf; memory past the input
 * reads as zeros, up to 256 KiB; beyond that the buffer is not in the dump.
 */
#ifndef FUZZ_DMESG_H
#define FUZZ_DMESG_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_DMESG_HDR 96

/* Write the vmcore for input data to fd (from offset 0). 0 or -errno. */
int fuzz_dmesg_vmcore(const uint8_t *data, size_t size, int fd);

#endif
