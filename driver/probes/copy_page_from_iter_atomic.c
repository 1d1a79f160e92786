// SPDX-License-Identifier: GPL-2.0
/*
 * "iov_iter: replace iov_iter_copy_from_user_atomic() with
 * iterator-advancing variant" (v5.14) added copy_page_from_iter_atomic();
 * 7.x removed it for copy_folio_from_iter_atomic().
 */
#include <linux/mm.h>
#include <linux/uio.h>

size_t mmapdemo_probe(struct page *page, size_t offset, size_t bytes,
		      struct iov_iter *from);

size_t mmapdemo_probe(struct page *page, size_t offset, size_t bytes,
		      struct iov_iter *from)
{
	return copy_page_from_iter_atomic(page, offset, bytes, from);
}
