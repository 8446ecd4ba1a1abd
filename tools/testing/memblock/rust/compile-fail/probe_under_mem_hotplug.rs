// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory added (probe() takes the memory hotplug lock itself)
//! while the memory hotplug lock is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0500]: closure requires unique access to `*device_hotplug` but it is already borrowed
// expect: error[E0501]: cannot borrow `*device_hotplug` as mutable because previous closure requires unique access

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        #[cfg(not(wrong))]
        device_hotplug.with_mem_hotplug(|mem_hotplug| mem_hotplug.assert_held());
        #[cfg(wrong)]
        device_hotplug.with_mem_hotplug(|_mem_hotplug| {
            // SAFETY: Not block-aligned: it fails before it adds anything.
            let _ = unsafe { probe_unchecked(device_hotplug, 0x100000001) };
        });
        // SAFETY: Not block-aligned: it fails before it adds anything.
        let _ = unsafe { probe_unchecked(device_hotplug, 0x100000001) };
    });
    Ok(())
}

include!("module.rs");
