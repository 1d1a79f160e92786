// SPDX-License-Identifier: GPL-2.0
/*
 * "mm: switch mm->get_unmapped_area() to a flag" (v6.10): the mm's
 * placement hook became mm_get_unmapped_area(mm, file, ...).
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
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff,
				    flags);
}
