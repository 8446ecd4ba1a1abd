// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: an offline operation that leaks its started offline (the
//! block `going-offline` for good) and then refuses: the refusal is of the block it gave away.
//!
//! Without it (the control) the operation finishes the offline, and builds.
//
// expect: error[E0382]: use of moved value: `block`

struct Ops;

#[vtable]
impl Operations for Ops {
    fn offline(block: ToOffline<'_>) -> Result<Offlined<'_>, Refused<'_>> {
        let offlining = block.start_offline()?;
        #[cfg(not(wrong))]
        return offlining.offline_pages();
        #[cfg(wrong)]
        {
            core::mem::forget(offlining);
            Err(block.refuse(EBUSY))
        }
    }
}

#[vtable]
impl RootFiles for Ops {}

/// The case: what the module does at load.
fn case() -> Result {
    static PROVIDER: Registration<Ops> = Registration::new();
    PROVIDER.register(&THIS_MODULE, kernel::c_str!("case"), None)?;
    PROVIDER.unregister()
}

include!("module.rs");
