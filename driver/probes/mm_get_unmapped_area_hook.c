// SPDX-License-Identifier: GPL-2.0
/*
 * Before "mm: switch mm->get_unmapped_area() to a flag" (v6.10): the
 * mm's placement policy is a function pointer in struct mm_struct.
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
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
}
