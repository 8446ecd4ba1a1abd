// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the device hotplug lock taken with the blocking
//! `lock_device_hotplug()` in safe code (a sysfs callback would deadlock against the removal of
//! its device; `store`s use `DeviceHotplugGuard::with_sysfs`).
//!
//! Without it (the control) the module says in an `unsafe` block why it may wait, and builds.
//
// expect: error[E0133]: call to unsafe function `DeviceHotplugGuard::with` is unsafe

/// The case: what the module does at load.
fn case() -> Result {
    #[cfg(not(wrong))]
    with_device_hotplug(|device_hotplug| device_hotplug.assert_held());
    #[cfg(wrong)]
    DeviceHotplugGuard::with(|device_hotplug| device_hotplug.assert_held());
    Ok(())
}

include!("module.rs");
