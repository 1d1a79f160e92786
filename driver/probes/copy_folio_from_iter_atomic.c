// SPDX-License-Identifier: GPL-2.0
/*
 * copy_folio_from_iter_atomic(folio, offset in the folio, ...): a folio
 * wrapper of copy_page_from_iter_atomic() in 6.12, and the only one left
 * in 7.x (Debian's 7.2 and 7.3 headers), which removed the page variant.
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
