// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the handle of a probed block kept in a `static`, where a
//! callback of the block's own files could reach it (and its removal would wait for itself).
//!
//! Without it (the control) the module keeps only the address, and builds.
//
// expect: error[E0277]: `*mut ()` cannot be sent between threads safely

#[cfg(wrong)]
static KEPT: DeviceHotplugLocked<Option<Probed>> = DeviceHotplugLocked::new(None);
#[cfg(not(wrong))]
static KEPT: DeviceHotplugLocked<Option<u64>> = DeviceHotplugLocked::new(None);

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        // SAFETY: The module is only built, never loaded (it is a compile-fail case).
        let probed = unsafe { probe_unchecked(device_hotplug, 0x100000000) }?;
        #[cfg(wrong)]
        let kept = probed;
        #[cfg(not(wrong))]
        let kept = probed.start();
        *KEPT.get_mut(device_hotplug) = Some(kept);
        Ok(())
    })
}

include!("module.rs");
