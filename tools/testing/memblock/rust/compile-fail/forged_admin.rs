// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory hot-added safely without an administrator's
//! request (the proof of a write to a root-only file, which only a `store` callback is given).
//!
//! Without it (the control) the module says why the range is memory nothing uses, in an `unsafe`
//! block, and builds.
//
// expect: error: cannot construct `AdminWrite<'_>` with struct literal syntax due to private fields

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = DeviceHotplugGuard::lock_sysfs()?;
    #[cfg(wrong)]
    let admin = kernel::sysfs::AdminWrite {};
    #[cfg(wrong)]
    let _ = kernel::memory::hotplug::probe(&mut device_hotplug, &admin, 0x100000000);
    #[cfg(not(wrong))]
    // SAFETY: The module is only built, never loaded (it is a compile-fail case).
    let _ = unsafe { probe_unchecked(&mut device_hotplug, 0x100000000) };
    Ok(())
}

include!("module.rs");
