// SPDX-License-Identifier: GPL-2.0
/*
 * copy_folio_from_iter_atomic(folio, offset in the folio, ...): added as
 * a folio wrapper of copy_page_from_iter_atomic() in 6.x, the only one
 * left in Linux 7.3, which removed copy_page_from_iter_atomic().
 */
#include <linux/mm.h>
#include <linux/uio.h>

size_t mmapdemo_probe(struct folio *folio, size_t offset, size_t bytes,
		      struct iov_iter *from);

size_t mmapdemo_probe(struct folio *folio, size_t offset, size_t bytes,
		      struct iov_iter *from)
{
	return copy_folio_from_iter_atomic(folio, offset, bytes, from);
}
