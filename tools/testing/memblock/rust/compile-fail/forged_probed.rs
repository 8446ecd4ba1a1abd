// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory removed without the handle that `probe()` gives
//! for what it added (boot memory, a DIMM or virtio-mem's memory would go).
//!
//! Without it (the control) the same module removes only what it probed, and builds.
//
// expect: error: cannot construct `Probed` with struct literal syntax due to private fields

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        #[cfg(not(wrong))]
        // SAFETY: The module is only built, never loaded (it is a compile-fail case).
        let probed = unsafe { probe_unchecked(device_hotplug, 0x100000000) }?;
        #[cfg(wrong)]
        let probed = Probed { start: 0 };
        probed.remove(device_hotplug).map_err(|(e, _)| e)
    })
}

include!("module.rs");
