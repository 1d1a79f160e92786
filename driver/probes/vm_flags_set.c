// SPDX-License-Identifier: GPL-2.0
/*
 * "mm: introduce vma->vm_flags wrapper functions" (v6.3): vma->vm_flags
 * became read-only, changed through vm_flags_set() and friends.
 */
#include <linux/mm.h>

void mmapdemo_probe(struct vm_area_struct *vma);

void mmapdemo_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
}
