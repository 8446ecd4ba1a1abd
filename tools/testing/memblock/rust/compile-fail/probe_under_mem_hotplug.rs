// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory added (probe() takes the memory hotplug lock itself)
//! while the memory hotplug guard is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0499]: cannot borrow `device_hotplug` as mutable more than once at a time

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = lock_device_hotplug();
    let mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    #[cfg(not(wrong))]
    drop(mem_hotplug);
    // Not block-aligned: it would fail with EINVAL if it ran.
    // SAFETY: Not block-aligned: it fails before it adds anything.
    let _ = unsafe { probe_unchecked(&mut device_hotplug, 0x100000001) };
    #[cfg(wrong)]
    drop(mem_hotplug);
    Ok(())
}

include!("module.rs");
