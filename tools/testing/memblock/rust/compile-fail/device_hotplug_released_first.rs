// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the device hotplug guard dropped while the memory hotplug
//! guard is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0505]: cannot move out of `device_hotplug` because it is borrowed

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = lock_device_hotplug();
    let mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    #[cfg(not(wrong))]
    drop(mem_hotplug);
    drop(device_hotplug);
    #[cfg(wrong)]
    drop(mem_hotplug);
    Ok(())
}

include!("module.rs");
