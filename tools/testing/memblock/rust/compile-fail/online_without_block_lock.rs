// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a block onlined without its device lock.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0599]: no method named `online` found for struct `ARef<MemoryBlock>`

#![allow(unused_imports)]

use kernel::memory::block::{MemoryBlock, OnlineType};
use kernel::memory::hotplug::{add_memory, DeviceHotplugGuard, MemHotplugGuard};
use kernel::prelude::*;

module! {
    type: Case,
    name: "online_without_block_lock",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut device_hotplug = DeviceHotplugGuard::lock();
        let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
        let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
        #[cfg(not(wrong))]
        block.lock(&mut mem_hotplug).online(OnlineType::Movable)?;
        #[cfg(wrong)]
        block.online(OnlineType::Movable)?;
        drop(mem_hotplug);
        Ok(Case)
    }
}
