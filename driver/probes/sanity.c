// SPDX-License-Identifier: GPL-2.0
/*
 * Compiles against the headers of every kernel: the same includes as the
 * other probes and nothing that ever changed. If it fails, the probes
 * themselves are broken (flags, compiler, headers) and every other
 * result would be wrong, so the build stops (Kbuild).
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>	/* not self-contained: after mm.h */
#include <linux/sched/mm.h>
#include <linux/uio.h>

size_t mmapdemo_probe(struct vm_area_struct *vma, struct iov_iter *iter);

size_t mmapdemo_probe(struct vm_area_struct *vma, struct iov_iter *iter)
{
	return vma->vm_end - vma->vm_start + iov_iter_count(iter);
}
