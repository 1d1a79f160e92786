// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo page store: the device's memory, allocated on first use.
 *
 * Folios are kept in an xarray by page offset. They are ordinary
 * refcounted pages, not special PFNs: whoever maps, pins or copies one
 * holds a reference, so the core mm can copy-on-write, GUP and PMD-map
 * them, and a folio outlives its removal from the store until the last
 * user is done with it.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>

#include "mmapdemo.h"

int mmapdemo_store_init(struct mmapdemo_store *store, pgoff_t nr_pages,
			unsigned int folio_order)
{
	xa_init(&store->folios);
	store->nr_pages = nr_pages;
	store->folio_order = folio_order;
	atomic_long_set(&store->allocated_pages, 0);
	return 0;
}

void mmapdemo_store_destroy(struct mmapdemo_store *store)
{
	struct folio *folio;
	unsigned long index;

	/* xa_for_each visits a multi-index entry once, at its first index. */
	xa_for_each(&store->folios, index, folio) {
		atomic_long_sub(folio_nr_pages(folio), &store->allocated_pages);
		folio_put(folio);
	}
	xa_destroy(&store->folios);
}

/*
 * Find the folio holding @index and take a reference on it, without
 * locks: the speculative pattern of the page cache (filemap_get_entry).
 * A folio being freed has a zero refcount and cannot be got; one that
 * was removed and reused is caught by the reload.
 */
static struct folio *store_lookup(struct mmapdemo_store *store, pgoff_t index)
{
	XA_STATE(xas, &store->folios, index);
	struct folio *folio;

	rcu_read_lock();
repeat:
	xas_reset(&xas);
	folio = xas_load(&xas);
	if (xas_retry(&xas, folio))
		goto repeat;
	if (folio) {
		if (!folio_try_get(folio))
			goto repeat;
		if (unlikely(folio != xas_reload(&xas))) {
			folio_put(folio);
			goto repeat;
		}
	}
	rcu_read_unlock();
	return folio;
}

/* Largest order, up to @order, whose aligned folio ends inside the device. */
static unsigned int store_fitting_order(struct mmapdemo_store *store,
					pgoff_t index, unsigned int order)
{
	while (order && round_down(index, 1UL << order) + (1UL << order) >
			store->nr_pages)
		order--;
	return order;
}

/*
 * A large allocation may fail on a fragmented machine; fall back to a
 * smaller order rather than fail the fault. Only order 0 may sleep hard.
 */
static struct folio *store_alloc_folio(unsigned int *order)
{
	const gfp_t gfp = GFP_HIGHUSER | __GFP_ZERO;
	struct folio *folio;

	for (;;) {
		if (!*order)
			return folio_alloc(gfp, 0);
		folio = folio_alloc(gfp | __GFP_NORETRY | __GFP_NOWARN, *order);
		if (folio)
			return folio;
		(*order)--;
	}
}

/* Publish @folio at [start, start + 2^order), or -EEXIST if any is taken. */
static int store_insert(struct mmapdemo_store *store, struct folio *folio,
			pgoff_t start, unsigned int order)
{
	XA_STATE_ORDER(xas, &store->folios, start, order);

	do {
		xas_lock(&xas);
		if (xas_find_conflict(&xas))
			xas_set_err(&xas, -EEXIST);
		else
			xas_store(&xas, folio);
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));

	return xas_error(&xas);
}

/**
 * mmapdemo_store_get_folio - the folio holding page offset @index
 * @store: the device's store
 * @index: page offset, below store->nr_pages
 * @create: allocate a zeroed folio if there is none yet
 *
 * Return: the folio with a reference the caller must put; NULL for a
 * hole when !@create; ERR_PTR(-ENOMEM) when no memory could be had.
 * Concurrent callers for the same hole get the same folio: the loser of
 * the insertion race frees its copy and takes the winner's.
 */
struct folio *mmapdemo_store_get_folio(struct mmapdemo_store *store,
				       pgoff_t index, bool create)
{
	unsigned int order = store->folio_order;
	struct folio *folio;
	pgoff_t start;
	int err;

	for (;;) {
		folio = store_lookup(store, index);
		if (folio || !create)
			return folio;

		order = store_fitting_order(store, index, order);
		folio = store_alloc_folio(&order);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		start = round_down(index, 1UL << order);
		folio->index = start;
		folio_mark_uptodate(folio);

		/* One reference for the store, one for the caller. */
		folio_get(folio);
		err = store_insert(store, folio, start, order);
		if (!err) {
			atomic_long_add(folio_nr_pages(folio),
					&store->allocated_pages);
			return folio;
		}
		folio_put_refs(folio, 2);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/*
		 * Another folio took part of the range: the next lookup finds
		 * it if it holds @index, otherwise a smaller folio will fit.
		 */
		if (order)
			order--;
	}
}

/* Is @folio still the store's folio for @index (not punched or freed)? */
bool mmapdemo_store_holds(struct mmapdemo_store *store, pgoff_t index,
			  struct folio *folio)
{
	return xa_load(&store->folios, index) == folio;
}
