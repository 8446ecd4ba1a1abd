// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the memory hotplug guard dropped while a block's device
//! lock is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0505]: cannot move out of `mem_hotplug` because it is borrowed

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = lock_device_hotplug();
    let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
    let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    let locked = block.lock(&mut mem_hotplug);
    #[cfg(not(wrong))]
    let state = locked.state();
    #[cfg(not(wrong))]
    drop(locked);
    drop(mem_hotplug);
    #[cfg(wrong)]
    let state = locked.state();
    pr_info!("memory0 is {:?}\n", state);
    Ok(())
}

include!("module.rs");
