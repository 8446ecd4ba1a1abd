// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a block's device lock taken with only the device hotplug
//! guard.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0308]: mismatched types
// expect: expected `&mut MemHotplugGuard<'_>`, found `&mut DeviceHotplugGuard`

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = lock_device_hotplug();
    let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
    #[cfg(not(wrong))]
    let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    #[cfg(not(wrong))]
    let locked = block.lock(&mut mem_hotplug);
    #[cfg(wrong)]
    let locked = block.lock(&mut device_hotplug);
    pr_info!("memory0 is {:?}\n", locked.state());
    Ok(())
}

include!("module.rs");
