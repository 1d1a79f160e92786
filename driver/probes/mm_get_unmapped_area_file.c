// SPDX-License-Identifier: GPL-2.0
/*
 * mm_get_unmapped_area() without its mm argument (Linux 7.3; it always
 * placed in current->mm): the arity of the 7.3 headers.
 */
#include <linux/fs.h>
#include <linux/sched/mm.h>

unsigned long mmapdemo_probe(struct file *file, unsigned long addr,
			     unsigned long len, unsigned long pgoff,
			     unsigned long flags);

unsigned long mmapdemo_probe(struct file *file, unsigned long addr,
			     unsigned long len, unsigned long pgoff,
			     unsigned long flags)
{
	return mm_get_unmapped_area(file, addr, len, pgoff, flags);
}
