// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory hot-added safely at an address nobody wrote to the
//! memory root's `probe` file (only that file's `store` makes a `ProbeRequest`).
//!
//! Without it (the control) the module says why the range is memory nothing uses, in an `unsafe`
//! block, and builds.
//
// expect: error[E0451]: fields `phys_addr` and `writer` of struct `ProbeRequest` are private

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        #[cfg(wrong)]
        let _ = kernel::memory::hotplug::probe(
            device_hotplug,
            kernel::memory::hotplug::ProbeRequest {
                phys_addr: 0x100000000,
                writer: todo!(),
            },
        );
        #[cfg(not(wrong))]
        // SAFETY: The module is only built, never loaded (it is a compile-fail case).
        let _ = unsafe { probe_unchecked(device_hotplug, 0x100000000) };
    });
    Ok(())
}

include!("module.rs");
