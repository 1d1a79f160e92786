// SPDX-License-Identifier: GPL-2.0
/*
 * Before "mm: introduce vma->vm_flags wrapper functions" (v6.3), which
 * made vma->vm_flags read-only: drivers set the flags directly.
 */
#include <linux/mm.h>

void mmapdemo_probe(struct vm_area_struct *vma);

void mmapdemo_probe(struct vm_area_struct *vma)
{
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
}
