// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo sysfs attributes in /sys/class/misc/mmapdemo/: read-only, one
 * decimal value each, so that tests and users can watch the driver work.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "mmapdemo.h"

static struct mmapdemo_device *mmapdemo_from_device(struct device *dev)
{
	/* misc_register() makes the miscdevice the class device's drvdata. */
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct mmapdemo_device, misc);
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct mmapdemo_device *mdev = mmapdemo_from_device(dev);

	return sysfs_emit(buf, "%lld\n", mmapdemo_store_size(&mdev->store));
}
static DEVICE_ATTR_RO(size);

static ssize_t folio_order_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct mmapdemo_device *mdev = mmapdemo_from_device(dev);

	return sysfs_emit(buf, "%u\n", mdev->store.folio_order);
}
static DEVICE_ATTR_RO(folio_order);

static ssize_t faults_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct mmapdemo_device *mdev = mmapdemo_from_device(dev);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mdev->faults));
}
static DEVICE_ATTR_RO(faults);

static ssize_t allocated_bytes_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct mmapdemo_device *mdev = mmapdemo_from_device(dev);
	long pages = atomic_long_read(&mdev->store.allocated_pages);

	return sysfs_emit(buf, "%lld\n", (long long)pages << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(allocated_bytes);

static ssize_t vmas_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct mmapdemo_device *mdev = mmapdemo_from_device(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&mdev->vmas));
}
static DEVICE_ATTR_RO(vmas);

static struct attribute *mmapdemo_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_folio_order.attr,
	&dev_attr_faults.attr,
	&dev_attr_allocated_bytes.attr,
	&dev_attr_vmas.attr,
	NULL,
};

static const struct attribute_group mmapdemo_group = {
	.attrs = mmapdemo_attrs,
};

const struct attribute_group *mmapdemo_groups[] = {
	&mmapdemo_group,
	NULL,
};
