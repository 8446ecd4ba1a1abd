// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a second block's device lock taken while one is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0499]: cannot borrow `mem_hotplug` as mutable more than once at a time

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = lock_device_hotplug();
    let block0 = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
    let block1 = MemoryBlock::find(&device_hotplug, 1).ok_or(ENODEV)?;
    let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    let locked0 = block0.lock(&mut mem_hotplug);
    #[cfg(not(wrong))]
    drop(locked0);
    let locked1 = block1.lock(&mut mem_hotplug);
    #[cfg(wrong)]
    drop(locked0);
    drop(locked1);
    Ok(())
}

include!("module.rs");
