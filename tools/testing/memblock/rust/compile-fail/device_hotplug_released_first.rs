// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the device hotplug guard taken out of its closure's reference
//! (to release it) while the memory hotplug lock is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0507]: cannot move out of `*device_hotplug` which is behind a mutable reference

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        device_hotplug.with_mem_hotplug(|mem_hotplug| mem_hotplug.assert_held());
        #[cfg(wrong)]
        drop(*device_hotplug);
    });
    Ok(())
}

include!("module.rs");
