// SPDX-License-Identifier: GPL-2.0

//! Negative control for lockdep: takes a memory block's device lock and then the memory hotplug
//! lock, the order that `kernel::memory` makes impossible in safe Rust, on purpose.
//!
//! It takes the locks once in the right order through the abstractions, and then in the inverted
//! order: the block's device mutex, raw, with `unsafe` (the one thing the types cannot stop), and
//! then the memory hotplug lock through the abstractions. The device mutex of every memory block
//! is in a lockdep class of its own (`memory_block_lock`), so lockdep must report a possible
//! circular locking dependency between it and the memory hotplug lock. Load it only in a kernel
//! you are about to throw away: lockdep turns itself off after a report.

use kernel::bindings;
use kernel::memory::block::MemoryBlock;
use kernel::memory::hotplug::DeviceHotplugGuard;
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
        let invert = |device_hotplug: &mut DeviceHotplugGuard| -> Result {
            let block = MemoryBlock::find(device_hotplug, 0).ok_or(ENODEV)?;
            device_hotplug.with_mem_hotplug(|mem_hotplug| block.with_lock(mem_hotplug, |_| ()));
            pr_info!("locked memory0 in the right order; now the inverted order\n");
            // `Device` wraps `struct device` transparently.
            let dev = core::ptr::from_ref(block.device())
                .cast::<bindings::device>()
                .cast_mut();
            // SAFETY: `block` holds a reference on the device, so its mutex is valid. Taking it
            // without the memory hotplug lock is the inversion this module exists for.
            unsafe { bindings::mutex_lock(core::ptr::addr_of_mut!((*dev).mutex)) };
            device_hotplug.with_mem_hotplug(|mem_hotplug| mem_hotplug.assert_held());
            // SAFETY: This task locked the mutex just above.
            unsafe { bindings::mutex_unlock(core::ptr::addr_of_mut!((*dev).mutex)) };
            pr_info!("inverted order done\n");
            Ok(())
        };
        // SAFETY: Module initialisation is no sysfs callback nor a provider's, and this task does
        // not hold the lock.
        unsafe { DeviceHotplugGuard::with(invert) }?;
        Ok(Self)
    }
}
