// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a provider's online operation that onlines its block as
//! `device_online()` does (it would take the locks its caller holds), instead of with its steps.
//!
//! Without it (the control) the operation onlines with the built-in driver's code, and builds.
//
// expect: error[E0599]: no method named `online` found for struct `ToOnline<'a>` in the current scope

struct Ops;

#[vtable]
impl Operations for Ops {
    fn online(block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
        #[cfg(not(wrong))]
        return block.builtin_online();
        #[cfg(wrong)]
        block.online(OnlineType::Movable)
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
