// SPDX-License-Identifier: GPL-2.0

// The module around a compile-fail case (included by each): loading it runs the case's `case()`.
// host/rust-check.sh builds each case as `compile_fail_case.ko`. What most cases use:

#[allow(unused_imports)]
use kernel::memory::block::{
    MemoryBlock, MemoryBlockFile, Offlined, OnlineType, Onlined, Operations, Refused, Registration,
    RootFiles, ToOffline, ToOnline,
};
#[allow(unused_imports)]
use kernel::memory::hotplug::{
    probe_unchecked, DeviceHotplugGuard, DeviceHotplugLocked, MemHotplugGuard, Probed,
};
use kernel::prelude::*;

module! {
    type: Case,
    name: "compile_fail_case",
    license: "GPL",
}

struct Case;

/// Runs `f` with the device hotplug lock held, for a case, which runs at module load.
#[allow(dead_code)]
fn with_device_hotplug<R>(f: impl FnOnce(&mut DeviceHotplugGuard) -> R) -> R {
    // SAFETY: Module load runs in `init_module()`'s system call: not a sysfs callback nor a
    // memory block provider's operation, and this task does not hold the lock.
    unsafe { DeviceHotplugGuard::with(f) }
}

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        case()?;
        Ok(Case)
    }
}
