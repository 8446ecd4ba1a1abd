// SPDX-License-Identifier: GPL-2.0

//! Negative control for lockdep: takes a memory block's device lock and then the memory hotplug
//! lock, the order that `kernel::memory` makes impossible in safe Rust, on purpose.
//!
//! It takes the locks once in the right order through the abstractions, and then in the inverted
//! order, still through them but with a memory hotplug guard forged with `unsafe` (the one thing
//! the types cannot stop): the block lock (`memory_block_lock()`, which lets lockdep see it)
//! without the memory hotplug lock, and then the memory hotplug lock. Lockdep must report a
//! possible circular locking dependency between the block lock and the memory hotplug lock. Load
//! it only in a kernel you are about to throw away: lockdep turns itself off after a report.

use kernel::memory::block::MemoryBlock;
use kernel::memory::hotplug::{DeviceHotplugGuard, MemHotplugGuard};
use kernel::prelude::*;

module! {
    type: MemblockLockInversion,
    name: "memblock_lock_inversion",
    author: "Memory block provider developers",
    description: "Takes the memory hotplug locks in the wrong order for lockdep to report",
    license: "GPL",
}

struct MemblockLockInversion;

impl kernel::Module for MemblockLockInversion {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Module initialisation is no sysfs callback nor a provider's, and this task does
        // not hold the lock.
        let mut device_hotplug = unsafe { DeviceHotplugGuard::lock() };
        let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
        {
            let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
            drop(block.lock(&mut mem_hotplug));
        }
        pr_info!("locked memory0 in the right order; now the inverted order\n");
        // SAFETY: Not safe at all, on purpose: a guard that proves nothing (it is a zero-sized type
        // like `()`), so that the block lock is taken without the memory hotplug lock; it is
        // forgotten below, so its `Drop` never releases a lock that was not taken.
        let mut forged = unsafe { core::mem::transmute::<(), MemHotplugGuard<'_>>(()) };
        let locked = block.lock(&mut forged);
        let mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
        drop(mem_hotplug);
        drop(locked);
        core::mem::forget(forged);
        pr_info!("inverted order done\n");
        drop(device_hotplug);
        Ok(Self)
    }
}
