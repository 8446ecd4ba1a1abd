// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a provider's online operation that onlines its block as
//! `device_online()` does, which would call the operation again, forever.
//!
//! Without it (the control) the operation does the work itself (here: the built-in driver's), and
//! builds.
//
// expect: error[E0599]: no method named `online` found for mutable reference `&mut Changing<'_>`

struct Ops;

#[vtable]
impl Operations for Ops {
    fn online(block: &mut Changing<'_>) -> Result {
        #[cfg(not(wrong))]
        return block.builtin_online();
        #[cfg(wrong)]
        block.online(OnlineType::Movable).map(|_| ())
    }
}

/// The case: what the module does at load.
fn case() -> Result {
    let provider = Registration::<Ops>::register(None, kernel::c_str!("case"), None, None)?;
    drop(provider);
    Ok(())
}

include!("module.rs");
