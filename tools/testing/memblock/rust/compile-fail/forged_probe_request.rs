// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: memory hot-added safely at an address written to a file
//! other than the memory root's `probe` (only that file's `store` makes a `ProbeRequest`; here a
//! block file's `store` makes one up with its own writer).
//!
//! Without it (the control) the module says why the range is memory nothing uses, in an `unsafe`
//! block, and builds.
//
// expect: error[E0451]: fields `phys_addr` and `writer` of struct `ProbeRequest` are private

use kernel::sysfs::{AttributeOps, Writer};

struct Forged;

#[vtable]
impl AttributeOps for Forged {
    type Target = MemoryBlockFile;

    fn store(_block: &MemoryBlockFile, _input: &CStr, writer: &Writer<'_>) -> Result {
        DeviceHotplugGuard::with_sysfs(writer, |device_hotplug| {
            #[cfg(wrong)]
            let probed = kernel::memory::hotplug::probe(
                device_hotplug,
                kernel::memory::hotplug::ProbeRequest {
                    phys_addr: 0x100000000,
                    writer,
                },
            );
            #[cfg(not(wrong))]
            // SAFETY: The module is only built, never loaded (it is a compile-fail case).
            let probed = unsafe { probe_unchecked(device_hotplug, 0x100000000) };
            probed.map(|_| ())
        })
    }
}

/// The case: what the module does at load.
fn case() -> Result {
    let _ = Forged::HAS_STORE;
    Ok(())
}

include!("module.rs");
