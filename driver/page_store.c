// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo page store: the device's memory, allocated on first use.
 *
 * Folios are kept in an xarray by page offset. They are ordinary
 * refcounted pages, not special PFNs: whoever maps, pins or copies one
 * holds a reference, so the core mm can copy-on-write, GUP and PMD-map
 * them, and a folio outlives its removal from the store until the last
 * user is done with it.
 *
 * Removal (shrink, punch) follows the page cache's truncation protocol:
 *  - folios are added under store->invalidate_lock held shared, and
 *    removed under it held exclusive, so nothing is added to a range
 *    while it is being emptied (mapping->invalidate_lock does the same);
 *  - a folio is only mapped, or written by write(), while it is locked
 *    and still in the store (mmapdemo_store_lock_folio), and it is only
 *    removed while locked; so after the removal, and the
 *    unmap_mapping_range() that follows it, no PTE or PMD points to it.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "mmapdemo.h"

void mmapdemo_store_init(struct mmapdemo_store *store,
			 struct address_space *mapping, pgoff_t nr_pages,
			 unsigned int folio_order)
{
	xa_init(&store->folios);
	init_rwsem(&store->invalidate_lock);
	store->mapping = mapping;
	store->nr_pages = nr_pages;
	store->folio_order = folio_order;
	atomic_long_set(&store->allocated_pages, 0);
	i_size_write(mapping->host, (loff_t)nr_pages << PAGE_SHIFT);
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
 * Device memory is charged to the memory cgroup of whoever first touches
 * it (__GFP_ACCOUNT), so a container cannot exhaust the host through the
 * device. It is not movable: the pages are not on the LRU and have no
 * migrate callback.
 */
#define STORE_GFP	(GFP_HIGHUSER | __GFP_ACCOUNT)

/*
 * A large allocation may fail on a fragmented machine; fall back to a
 * smaller order rather than fail the fault. Only order 0 may sleep hard.
 */
static struct folio *store_alloc_folio(unsigned int *order)
{
	const gfp_t gfp = STORE_GFP | __GFP_ZERO;
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

/*
 * Allocate and publish a zeroed folio holding @index; the caller holds
 * invalidate_lock shared, so the device size cannot shrink meanwhile.
 * Concurrent callers for the same hole get the same folio: the loser of
 * the insertion race frees its copy and takes the winner's.
 */
static struct folio *store_create(struct mmapdemo_store *store, pgoff_t index)
{
	unsigned int order = store->folio_order;
	struct folio *folio;
	pgoff_t start;
	int err;

	for (;;) {
		if (index >= store->nr_pages)
			return ERR_PTR(-ENXIO);
		folio = store_lookup(store, index);
		if (folio)
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

/**
 * mmapdemo_store_get_folio - the folio holding page offset @index
 * @store: the device's store
 * @index: page offset
 * @create: allocate a zeroed folio if there is none yet
 *
 * Return: the folio with a reference the caller must put; NULL for a
 * hole when !@create; ERR_PTR(-ENXIO) past the end of the device,
 * ERR_PTR(-ENOMEM) when no memory could be had.
 */
struct folio *mmapdemo_store_get_folio(struct mmapdemo_store *store,
				       pgoff_t index, bool create)
{
	struct folio *folio;

	folio = store_lookup(store, index);
	if (folio || !create)
		return folio;

	down_read(&store->invalidate_lock);
	folio = store_create(store, index);
	up_read(&store->invalidate_lock);
	return folio;
}

/**
 * mmapdemo_store_lock_folio - the folio holding @index, locked
 * @store: the device's store
 * @index: page offset
 *
 * The folio is allocated if needed, and it is still in the store when
 * handed out; until the caller unlocks it, nobody can remove it.
 *
 * Return: the locked folio with a reference, or an ERR_PTR as for
 * mmapdemo_store_get_folio().
 */
struct folio *mmapdemo_store_lock_folio(struct mmapdemo_store *store,
					pgoff_t index)
{
	struct folio *folio;

	for (;;) {
		if (index >= READ_ONCE(store->nr_pages))
			return ERR_PTR(-ENXIO);
		folio = mmapdemo_store_get_folio(store, index, true);
		if (IS_ERR(folio))
			return folio;
		folio_lock(folio);
		if (likely(xa_load(&store->folios, index) == folio))
			return folio;
		/* Removed while we waited for the lock: look again. */
		folio_unlock(folio);
		folio_put(folio);
	}
}

static loff_t store_pos(pgoff_t index)
{
	return (loff_t)index << PAGE_SHIFT;
}

/*
 * Take a whole locked @folio out of the store. Mappings were zapped by
 * the caller; a fault that mapped it since then did so before we got the
 * lock, hence the second unmap (truncate_cleanup_folio() does the same).
 */
static void store_remove_folio(struct mmapdemo_store *store,
			       struct folio *folio, bool even_cows)
{
	XA_STATE_ORDER(xas, &store->folios, folio->index, folio_order(folio));

	if (folio_mapped(folio))
		unmap_mapping_range(store->mapping, folio_pos(folio),
				    folio_size(folio), even_cows);
	xas_lock(&xas);
	xas_store(&xas, NULL);
	xas_unlock(&xas);
	atomic_long_sub(folio_nr_pages(folio), &store->allocated_pages);
	/* The store's reference; the caller still holds its own. */
	folio_put(folio);
}

/* Remove every folio lying entirely inside [start, end). */
static void store_remove_range(struct mmapdemo_store *store, pgoff_t start,
			       pgoff_t end, bool even_cows)
{
	pgoff_t index = start;

	while (index < end) {
		struct folio *folio;

		folio = xa_find(&store->folios, &index, end - 1, XA_PRESENT);
		if (!folio)
			break;
		folio = store_lookup(store, index);
		if (!folio)
			continue;
		index = folio->index + folio_nr_pages(folio);
		folio_lock(folio);
		if (folio->index >= start && index <= end &&
		    xa_load(&store->folios, folio->index) == folio)
			store_remove_folio(store, folio, even_cows);
		folio_unlock(folio);
		folio_put(folio);
		cond_resched();
	}
}

/*
 * Zero what the folio holding @index has inside the punched range
 * [start, end), when it only partly lies there: the core cannot split a
 * folio that is not in the page cache, so it stays, with zeros where
 * the hole is. A folio wholly inside is left to store_remove_range().
 */
static void store_zero_partial(struct mmapdemo_store *store, pgoff_t index,
			       pgoff_t start, pgoff_t end)
{
	struct folio *folio = mmapdemo_store_get_folio(store, index, false);
	pgoff_t first, last;

	if (IS_ERR_OR_NULL(folio))
		return;
	folio_lock(folio);
	first = max(start, folio->index);
	last = min(end, folio->index + folio_nr_pages(folio));
	if (xa_load(&store->folios, index) == folio &&
	    last - first < folio_nr_pages(folio)) {
		/* No one may see or write the old bytes from here on. */
		unmap_mapping_range(store->mapping, store_pos(first),
				    store_pos(last - first), 0);
		folio_zero_range(folio, store_pos(first - folio->index),
				 store_pos(last - first));
	}
	folio_unlock(folio);
	folio_put(folio);
}

/**
 * mmapdemo_store_punch - discard [start, start + nr), like a punched hole
 * @store: the device's store
 * @start: first page offset
 * @nr: number of pages; the range is clipped to the device
 *
 * Whole folios in the range are freed; a large folio that is only partly
 * in it is zeroed there. Mappings of the range are zapped and refault as
 * zeros; private copy-on-write copies stay, as with fallocate().
 */
void mmapdemo_store_punch(struct mmapdemo_store *store, pgoff_t start,
			  pgoff_t nr)
{
	pgoff_t end;

	down_write(&store->invalidate_lock);
	end = min(store->nr_pages, start + nr);
	if (start < end) {
		unmap_mapping_range(store->mapping, store_pos(start),
				    store_pos(end - start), 0);
		store_zero_partial(store, start, start, end);
		store_zero_partial(store, end - 1, start, end);
		store_remove_range(store, start, end, false);
	}
	up_write(&store->invalidate_lock);
}

/*
 * Shrinking may leave one large folio across the new end. Mapped with
 * one PMD it would make the bytes past the end reachable (6.1 does not
 * check i_size there), so it is replaced by order-0 copies of the pages
 * that stay. Everything that can fail is prepared before anything
 * changes.
 */
struct store_cut {
	struct folio *folio;
	struct folio **copies;
	pgoff_t keep;
};

static int store_prepare_cut(struct mmapdemo_store *store, pgoff_t new_end,
			     struct store_cut *cut, struct xa_state *xas)
{
	struct folio *folio;
	pgoff_t i;

	memset(cut, 0, sizeof(*cut));
	folio = mmapdemo_store_get_folio(store, new_end - 1, false);
	if (IS_ERR_OR_NULL(folio))
		return 0;
	if (folio->index + folio_nr_pages(folio) <= new_end) {
		folio_put(folio);
		return 0;
	}

	cut->folio = folio;
	cut->keep = new_end - folio->index;
	cut->copies = kvcalloc(cut->keep, sizeof(*cut->copies), GFP_KERNEL);
	if (!cut->copies)
		return -ENOMEM;
	for (i = 0; i < cut->keep; i++) {
		cut->copies[i] = folio_alloc(STORE_GFP, 0);
		if (!cut->copies[i])
			return -ENOMEM;
	}
	xas_set(xas, folio->index);
	xas_split_alloc(xas, folio, folio_order(folio), GFP_KERNEL);
	return xas_error(xas);
}

static void store_free_cut(struct store_cut *cut)
{
	pgoff_t i;

	if (cut->copies) {
		for (i = 0; i < cut->keep && cut->copies[i]; i++)
			folio_put(cut->copies[i]);
		kvfree(cut->copies);
	}
	if (cut->folio)
		folio_put(cut->folio);
}

static void store_commit_cut(struct mmapdemo_store *store,
			     struct store_cut *cut, struct xa_state *xas)
{
	struct folio *folio = cut->folio;
	pgoff_t i, nr = folio_nr_pages(folio);

	folio_lock(folio);
	/* Nobody may write the old folio while it is being copied. */
	unmap_mapping_range(store->mapping, folio_pos(folio), folio_size(folio),
			    0);
	for (i = 0; i < cut->keep; i++) {
		copy_highpage(folio_page(cut->copies[i], 0),
			      folio_page(folio, i));
		cut->copies[i]->index = folio->index + i;
		folio_mark_uptodate(cut->copies[i]);
	}

	xas_set(xas, folio->index);
	xas_lock(xas);
	xas_split(xas, folio, folio_order(folio));
	for (i = 0; i < nr; i++) {
		xas_set(xas, folio->index + i);
		xas_store(xas, i < cut->keep ? cut->copies[i] : NULL);
	}
	xas_unlock(xas);
	atomic_long_sub(nr - cut->keep, &store->allocated_pages);
	folio_unlock(folio);

	/* The copies now belong to the store, the old folio is let go. */
	kvfree(cut->copies);
	cut->copies = NULL;
	folio_put(folio);
}

/**
 * mmapdemo_store_resize - change the device size to @new_pages pages
 * @store: the device's store
 * @new_pages: new size in pages, not 0
 *
 * Shrinking behaves like truncate: every mapping, shared or a private
 * copy, loses the pages past the new end (access there gets SIGBUS) and
 * the memory is freed. Growing exposes pages that have never been
 * allocated, so they read as zeros.
 *
 * Return: 0, or -ENOMEM with nothing changed.
 */
int mmapdemo_store_resize(struct mmapdemo_store *store, pgoff_t new_pages)
{
	XA_STATE(xas, &store->folios, 0);
	struct store_cut cut;
	pgoff_t old_pages;
	int err = 0;

	down_write(&store->invalidate_lock);
	old_pages = store->nr_pages;
	if (new_pages < old_pages) {
		err = store_prepare_cut(store, new_pages, &cut, &xas);
		if (err)
			goto out_free;
	}

	WRITE_ONCE(store->nr_pages, new_pages);
	i_size_write(store->mapping->host, store_pos(new_pages));

	if (new_pages < old_pages) {
		/* Bytes past the end: gone from every mapping, COWs too. */
		unmap_mapping_range(store->mapping, store_pos(new_pages), 0, 1);
		if (cut.folio)
			store_commit_cut(store, &cut, &xas);
		store_remove_range(store, new_pages, ULONG_MAX, true);
		unmap_mapping_range(store->mapping, store_pos(new_pages), 0, 1);
	}
out_free:
	if (new_pages < old_pages) {
		store_free_cut(&cut);
		/*
		 * Free the xarray nodes xas_split_alloc() set aside and
		 * xas_split() did not use: xas_nomem() does it when no
		 * allocation failed, on every kernel (xas_destroy() is
		 * declared everywhere, but 6.12 does not export it).
		 */
		if (!xas_error(&xas))
			xas_nomem(&xas, GFP_KERNEL);
	}
	up_write(&store->invalidate_lock);
	return err;
}
