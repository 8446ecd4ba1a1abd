// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a provider's registration dropped (here while the memory
//! hotplug lock is held, where unregistering would wait for a page offline waiting for the lock):
//! the registration is a `static` of its module, which nothing can move out or drop.
//!
//! Without it (the control) the module unregisters it, which the C side refuses under the lock
//! (`EDEADLK`, the registration left registered), and builds.
//
// expect: error[E0507]: cannot move out of static item `PROVIDER`

struct Ops;

#[vtable]
impl Operations for Ops {}

#[vtable]
impl RootFiles for Ops {}

static PROVIDER: Registration<Ops> = Registration::new();

/// The case: what the module does at load.
fn case() -> Result {
    PROVIDER.register(&THIS_MODULE, kernel::c_str!("case"), None)?;
    with_device_hotplug(|device_hotplug| {
        device_hotplug.with_mem_hotplug(|_mem_hotplug| {
            #[cfg(not(wrong))]
            let _ = PROVIDER.unregister();
            #[cfg(wrong)]
            drop(PROVIDER);
        })
    });
    PROVIDER.unregister()
}

include!("module.rs");
