// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory removed without the handle that `probe()` gives
//! for what it added (boot memory, a DIMM or virtio-mem's memory would go).
//!
//! Without it (the control) the same module removes only what it probed, and builds.
//
// expect: error[E0451]: fields `block` and `_not_send` of struct `Probed` are private

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        #[cfg(not(wrong))]
        // SAFETY: The module is only built, never loaded (it is a compile-fail case).
        let probed = unsafe { probe_unchecked(device_hotplug, 0x100000000) }?;
        #[cfg(wrong)]
        let probed = Probed {
            block: MemoryBlock::find(device_hotplug, 0).ok_or(ENODEV)?,
            _not_send: core::marker::PhantomData,
        };
        probed.remove(device_hotplug).map_err(|(e, _)| e)
    })
}

include!("module.rs");
