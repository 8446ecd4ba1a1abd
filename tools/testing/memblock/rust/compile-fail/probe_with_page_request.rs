// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a provider's `soft_offline_page` file that hot-adds memory
//! at the address written to it (the authority to probe is a write to `probe`, not a root-only
//! file of another name).
//!
//! Without it (the control) the file soft-offlines the page, and builds.
//
// expect: error[E0308]: mismatched types
// expect: expected `ProbeRequest<'_>`, found `PageOfflineRequest<'_, Soft>`

use kernel::memory::failure::{soft_offline_page, SoftOfflineRequest};

struct Ops;

#[vtable]
impl Operations for Ops {}

#[vtable]
impl RootFiles for Ops {
    fn soft_offline_page(request: SoftOfflineRequest<'_>) -> Result {
        #[cfg(not(wrong))]
        return soft_offline_page(request);
        #[cfg(wrong)]
        // SAFETY: The module is only built, never loaded (it is a compile-fail case).
        unsafe {
            DeviceHotplugGuard::with(|device_hotplug| {
                kernel::memory::hotplug::probe(device_hotplug, request).map(|_| ())
            })
        }
    }
}

/// The case: what the module does at load.
fn case() -> Result {
    static PROVIDER: Registration<Ops> = Registration::new();
    PROVIDER.register(&THIS_MODULE, kernel::c_str!("case"), None)?;
    PROVIDER.unregister()
}

include!("module.rs");
