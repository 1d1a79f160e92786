// SPDX-License-Identifier: GPL-2.0
/*
 * mm_get_unmapped_area() without its mm argument, which was always
 * current->mm (7.x: Debian's 7.2 and 7.3 headers have only this arity).
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
