// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory hot-added safely at an address no administrator
//! wrote (only a `store` callback of a root-only file is given the number written to it).
//!
//! Without it (the control) the module says why the range is memory nothing uses, in an `unsafe`
//! block, and builds.
//
// expect: error: cannot construct `AdminNumber<'_>` with struct literal syntax due to private fields

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        #[cfg(wrong)]
        let phys_addr = kernel::sysfs::AdminNumber { value: 0x100000000 };
        #[cfg(wrong)]
        let _ = kernel::memory::hotplug::probe(device_hotplug, phys_addr);
        #[cfg(not(wrong))]
        // SAFETY: The module is only built, never loaded (it is a compile-fail case).
        let _ = unsafe { probe_unchecked(device_hotplug, 0x100000000) };
    });
    Ok(())
}

include!("module.rs");
