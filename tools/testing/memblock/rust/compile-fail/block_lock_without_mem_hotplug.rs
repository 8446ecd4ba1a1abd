// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a block's device lock taken with only the device hotplug
//! lock held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0308]: mismatched types
// expect: expected `&mut MemHotplugGuard`, found `&mut DeviceHotplugGuard`

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        let block = MemoryBlock::find(device_hotplug, 0).ok_or(ENODEV)?;
        #[cfg(not(wrong))]
        device_hotplug.with_mem_hotplug(|mem_hotplug| block.with_lock(mem_hotplug, |_| ()));
        #[cfg(wrong)]
        block.with_lock(device_hotplug, |_| ());
        Ok(())
    })
}

include!("module.rs");
