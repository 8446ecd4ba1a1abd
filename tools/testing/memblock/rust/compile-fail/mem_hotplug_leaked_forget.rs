// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the memory hotplug guard leaked with `core::mem::forget`, so that the
//! lock stays held after its closure (and the `probe()` after it deadlocks).
//!
//! Without it (the control) the module leaks only its reference to the guard, and builds.
//
// expect: error[E0507]: cannot move out of `*mem_hotplug` which is behind a mutable reference

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        device_hotplug.with_mem_hotplug(|mem_hotplug| -> Result {
            #[cfg(wrong)]
            core::mem::forget(*mem_hotplug);
            #[cfg(not(wrong))]
            core::mem::forget(&mut *mem_hotplug);
            Ok(())
        })?;
        // SAFETY: Not block-aligned: it fails before it adds anything.
        let _ = unsafe { probe_unchecked(device_hotplug, 0x100000001) };
        Ok(())
    })
}

include!("module.rs");
