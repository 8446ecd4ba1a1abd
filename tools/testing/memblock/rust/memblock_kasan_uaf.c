// SPDX-License-Identifier: GPL-2.0
/*
 * memblock_kasan_uaf: the self-test of the KASAN boot (make kasan).  Its
 * init reads a byte of a kmalloc()ed object after kfree(): KASAN must
 * report "slab-use-after-free" in memblock_kasan_uaf_read(), in this
 * module.  The init then fails (-EAGAIN), so that nothing stays loaded.
 * On a kernel without KASAN the read goes unnoticed; do not load it there.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>

static noinline char memblock_kasan_uaf_read(const char *p)
{
	return READ_ONCE(p[8]);
}

static int __init memblock_kasan_uaf_init(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(p);
	pr_info("memblock_kasan_uaf: read byte 8 of a freed object: %d\n",
		memblock_kasan_uaf_read(p));
	return -EAGAIN;
}
module_init(memblock_kasan_uaf_init);

MODULE_DESCRIPTION("Test: a use-after-free for KASAN to catch");
MODULE_LICENSE("GPL");
