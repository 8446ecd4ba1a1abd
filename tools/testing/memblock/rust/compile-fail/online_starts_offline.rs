// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: an online operation that starts an offline of its block and
//! leaks it (the block left `going-offline` for good).
//!
//! Without it (the control) the operation onlines the block, and builds.
//
// expect: error[E0599]: no method named `start_offline` found for struct `ToOnline<'a>` in the current scope

struct Ops;

#[vtable]
impl Operations for Ops {
    fn online(block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
        #[cfg(wrong)]
        core::mem::forget(block.start_offline()?);
        block.prepare_online()?.online_pages()
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
