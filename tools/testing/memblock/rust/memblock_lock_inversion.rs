// SPDX-License-Identifier: GPL-2.0

//! Negative control for lockdep: takes a memory block's device lock and then the memory hotplug
//! lock, the order that `kernel::memory` makes impossible in safe Rust, on purpose.
//!
//! It registers a provider (so that the block device mutexes are in a lock class lockdep
//! validates), takes the locks once in the right order through the abstractions, and then in the
//! inverted order through the raw bindings. Lockdep must report a possible circular locking
//! dependency between the block's device lock and the memory hotplug lock. Load it only in a
//! kernel you are about to throw away: lockdep turns itself off after a report.

use kernel::memory::block::{MemoryBlock, Registration};
use kernel::memory::hotplug::{DeviceHotplugGuard, MemHotplugGuard};
use kernel::{bindings, c_str, prelude::*};

module! {
    type: MemblockLockInversion,
    name: "memblock_lock_inversion",
    author: "Memory block provider developers",
    description: "Takes the memory hotplug locks in the wrong order for lockdep to report",
    license: "GPL",
}

struct MemblockLockInversion {
    _provider: Registration,
}

impl kernel::Module for MemblockLockInversion {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let provider = Registration::register(c_str!("memblock_lock_inversion"), module)?;
        let mut device_hotplug = DeviceHotplugGuard::lock();
        let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
        {
            let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
            drop(block.lock(&mut mem_hotplug));
        }
        pr_info!("locked memory0 in the right order; now the inverted order\n");
        let mem = (&*block as *const MemoryBlock)
            .cast_mut()
            .cast::<bindings::memory_block>();
        // SAFETY: `block` holds a reference to the block, so its device is alive; the device
        // hotplug lock is held, so the inverted order cannot really deadlock here: this only
        // shows lockdep the order.
        unsafe {
            let dev = core::ptr::addr_of_mut!((*mem).dev);
            bindings::device_lock(dev);
            bindings::mem_hotplug_begin();
            bindings::mem_hotplug_done();
            bindings::device_unlock(dev);
        }
        pr_info!("inverted order done\n");
        drop(device_hotplug);
        Ok(Self {
            _provider: provider,
        })
    }
}
