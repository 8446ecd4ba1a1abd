// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the device hotplug guard dropped while the memory hotplug
//! guard is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0505]: cannot move out of `device_hotplug` because it is borrowed

#![allow(unused_imports)]

use kernel::memory::block::{MemoryBlock, OnlineType};
use kernel::memory::hotplug::{add_memory, DeviceHotplugGuard, MemHotplugGuard};
use kernel::prelude::*;

module! {
    type: Case,
    name: "device_hotplug_released_first",
    license: "GPL",
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut device_hotplug = DeviceHotplugGuard::lock();
        let mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
        #[cfg(not(wrong))]
        drop(mem_hotplug);
        drop(device_hotplug);
        #[cfg(wrong)]
        drop(mem_hotplug);
        Ok(Case)
    }
}
