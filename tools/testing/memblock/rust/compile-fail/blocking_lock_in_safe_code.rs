// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the device hotplug lock taken with the blocking
//! `DeviceHotplugGuard::lock()` in safe code, as a sysfs callback would if it could (a removal of
//! its file, under the lock, would wait for it forever).
//!
//! Without it (the control) the same module takes the lock through `lock_device_hotplug()`
//! (`module.rs`), which says in its `unsafe` block why it may wait, and builds.
//
// expect: error[E0133]: call to unsafe function `DeviceHotplugGuard::lock` is unsafe

/// The case: what the module does at load.
fn case() -> Result {
    #[cfg(not(wrong))]
    let device_hotplug = lock_device_hotplug();
    #[cfg(wrong)]
    let device_hotplug = DeviceHotplugGuard::lock();
    device_hotplug.assert_held();
    Ok(())
}

include!("module.rs");
