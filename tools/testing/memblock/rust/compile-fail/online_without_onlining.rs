// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: an online operation that reports success without onlining
//! the block (only a completed online makes an `Onlined`).
//!
//! Without it (the control) the operation onlines the block in steps, and builds.
//
// expect: error[E0308]: mismatched types
// expect: expected `Onlined<'_>`, found `()`

struct Ops;

#[vtable]
impl Operations for Ops {
    fn online(block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
        #[cfg(not(wrong))]
        return block.prepare_online()?.online_pages();
        #[cfg(wrong)]
        {
            let _ = block;
            Ok(())
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
