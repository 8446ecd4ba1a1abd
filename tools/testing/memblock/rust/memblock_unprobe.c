// SPDX-License-Identifier: GPL-2.0
/*
 * memblock_unprobe: takes back a memory block that a write to
 * /sys/devices/system/memory/probe added, so that a test can return to
 * the state it started from.  The kernel has no such file: probe only
 * adds.  The block is offlined if it is online, then removed, as
 * virtio-mem removes its memory (offline_and_remove_memory()):
 *
 *	echo 0x100000000 > /sys/module/memblock_unprobe/parameters/remove
 *
 * The write's errno is the offline's or the removal's.  Only a whole
 * block that is System RAM is accepted (EINVAL otherwise): removing a
 * range that was never added would corrupt the kernel's state, and a
 * misaligned one is a BUG() in try_remove_memory().
 */
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static int remove_set(const char *val, const struct kernel_param *kp)
{
	u64 size = memory_block_size_bytes();
	u64 start;
	int ret;

	ret = kstrtoull(val, 0, &start);
	if (ret)
		return ret;
	if (!IS_ALIGNED(start, size) ||
	    region_intersects(start, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return -EINVAL;
	return offline_and_remove_memory(start, size);
}

static const struct kernel_param_ops remove_ops = {
	.set = remove_set,
};
module_param_cb(remove, &remove_ops, NULL, 0200);
MODULE_PARM_DESC(remove, "physical address of a probed block to offline and remove");

MODULE_DESCRIPTION("Test helper: remove a memory block added through the probe file");
MODULE_LICENSE("GPL");
