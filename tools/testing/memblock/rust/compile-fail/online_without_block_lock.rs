// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a block onlined without its device lock.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0599]: no method named `online` found for struct `ARef<MemoryBlock>`

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = lock_device_hotplug();
    let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
    let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    #[cfg(not(wrong))]
    block.lock(&mut mem_hotplug).online(OnlineType::Movable)?;
    #[cfg(wrong)]
    block.online(OnlineType::Movable)?;
    drop(mem_hotplug);
    Ok(())
}

include!("module.rs");
