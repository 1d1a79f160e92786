/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the parts of the mmapdemo driver. */
#ifndef MMAPDEMO_H
#define MMAPDEMO_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm_types.h>
#include <linux/xarray.h>

/*
 * The backing store: lazily allocated, zeroed folios indexed by the page
 * offset in the device. A folio of order N occupies one multi-index entry
 * covering its 2^N naturally aligned offsets, so a lookup at any offset
 * finds the folio that holds it. The store owns one reference per folio.
 */
struct mmapdemo_store {
	struct xarray folios;
	pgoff_t nr_pages;
	unsigned int folio_order;
	atomic_long_t allocated_pages;
};

int mmapdemo_store_init(struct mmapdemo_store *store, pgoff_t nr_pages,
			unsigned int folio_order);
void mmapdemo_store_destroy(struct mmapdemo_store *store);
struct folio *mmapdemo_store_get_folio(struct mmapdemo_store *store,
				       pgoff_t index, bool create);
bool mmapdemo_store_holds(struct mmapdemo_store *store, pgoff_t index,
			  struct folio *folio);

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
	loff_t size;
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

/* vm_ops.c */
int mmapdemo_mmap(struct file *file, struct vm_area_struct *vma);

/* sysfs.c */
extern const struct attribute_group *mmapdemo_groups[];

#endif /* MMAPDEMO_H */
