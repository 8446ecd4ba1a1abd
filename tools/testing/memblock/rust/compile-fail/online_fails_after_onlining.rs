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
    let provider = Registration::<Ops>::register(None, kernel::c_str!("case"), None)?;
    drop(provider);
    Ok(())
}

include!("module.rs");
