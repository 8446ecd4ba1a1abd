// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a second block's device lock taken while one is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0500]: closure requires unique access to `*mem_hotplug` but it is already borrowed
// expect: error[E0501]: cannot borrow `*mem_hotplug` as mutable because previous closure requires unique access

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        let block0 = MemoryBlock::find(device_hotplug, 0).ok_or(ENODEV)?;
        let block1 = MemoryBlock::find(device_hotplug, 1).ok_or(ENODEV)?;
        device_hotplug.with_mem_hotplug(|mem_hotplug| {
            #[cfg(not(wrong))]
            block0.with_lock(mem_hotplug, |_| ());
            #[cfg(not(wrong))]
            block1.with_lock(mem_hotplug, |_| ());
            #[cfg(wrong)]
            block0.with_lock(mem_hotplug, |_| block1.with_lock(mem_hotplug, |_| ()));
        });
        Ok(())
    })
}

include!("module.rs");
