/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the parts of the mmapdemo driver. */
#ifndef MMAPDEMO_H
#define MMAPDEMO_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm_types.h>
#include <linux/rwsem.h>
#include <linux/xarray.h>

/*
 * The backing store: lazily allocated, zeroed folios indexed by the page
 * offset in the device. A folio of order N occupies one multi-index entry
 * covering its 2^N naturally aligned offsets, so a lookup at any offset
 * finds the folio that holds it. The store owns one reference per folio.
 */
struct mmapdemo_store {
	struct xarray folios;
	/* Shared to add folios, exclusive to remove them (see page_store.c). */
	struct rw_semaphore invalidate_lock;
	/* Where the folios are mapped: unmapped from here on removal. */
	struct address_space *mapping;
	pgoff_t nr_pages;
	unsigned int folio_order;
	atomic_long_t allocated_pages;
};

void mmapdemo_store_init(struct mmapdemo_store *store,
			 struct address_space *mapping, pgoff_t nr_pages,
			 unsigned int folio_order);
void mmapdemo_store_destroy(struct mmapdemo_store *store);
struct folio *mmapdemo_store_get_folio(struct mmapdemo_store *store,
				       pgoff_t index, bool create);
struct folio *mmapdemo_store_lock_folio(struct mmapdemo_store *store,
					pgoff_t index);
void mmapdemo_store_punch(struct mmapdemo_store *store, pgoff_t start,
			  pgoff_t nr);
int mmapdemo_store_resize(struct mmapdemo_store *store, pgoff_t new_pages);

static inline loff_t mmapdemo_store_size(struct mmapdemo_store *store)
{
	return (loff_t)READ_ONCE(store->nr_pages) << PAGE_SHIFT;
}

struct mmapdemo_device {
	struct miscdevice misc;
	/*
	 * Owner of the address_space that every open file of the device
	 * shares (file->f_mapping), so that all mappings of all openers are
	 * found in one i_mmap tree, and i_size tells the core the device
	 * size.
	 */
	struct inode *inode;
	struct mmapdemo_store store;
	loff_t max_size;
	atomic_long_t faults;
	atomic_t vmas;
};

static inline struct mmapdemo_device *mmapdemo_from_file(struct file *file)
{
	return container_of(file->private_data, struct mmapdemo_device, misc);
}

/* file_ops.c */
extern const struct file_operations mmapdemo_fops;
int mmapdemo_mapping_init(struct mmapdemo_device *mdev);
void mmapdemo_mapping_exit(struct mmapdemo_device *mdev);

/* ioctl.c */
long mmapdemo_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* vm_ops.c: one of them, as driver/compat.h decides */
int mmapdemo_mmap(struct file *file, struct vm_area_struct *vma);
struct vm_area_desc;
int mmapdemo_mmap_prepare(struct vm_area_desc *desc);

/* sysfs.c */
extern const struct attribute_group *mmapdemo_groups[];

#endif /* MMAPDEMO_H */
