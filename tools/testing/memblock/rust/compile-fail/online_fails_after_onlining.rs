// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: an online operation that fails after it onlined the block
//! (the driver core would mark the block offline with its pages online).
//!
//! Without it (the control) the operation returns the online's proof, and builds.
//
// expect: error[E0308]: mismatched types
// expect: expected `Refused<'_>`, found `Error`

struct Ops;

#[vtable]
impl Operations for Ops {
    fn online(block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
        let onlined = block.prepare_online()?.online_pages()?;
        #[cfg(not(wrong))]
        return Ok(onlined);
        #[cfg(wrong)]
        {
            let _ = onlined;
            Err(EIO)
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
