// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a provider registered from a registration on the stack,
//! which the C side would read after the function returned (or after a `mem::forget`): a
//! registration is registered only through a `&'static` (a `static` of the module).
//!
//! Without it (the control) the registration is a `static` of the module, and builds.
//
// expect: error[E0597]: `on_stack` does not live long enough

struct Ops;

#[vtable]
impl Operations for Ops {}

#[vtable]
impl RootFiles for Ops {}

/// The case: what the module does at load.
fn case() -> Result {
    #[cfg(not(wrong))]
    static REGISTRATION: Registration<Ops> = Registration::new();
    #[cfg(not(wrong))]
    let registration = &REGISTRATION;
    #[cfg(wrong)]
    let on_stack = Registration::<Ops>::new();
    #[cfg(wrong)]
    let registration = &on_stack;
    registration.register(&THIS_MODULE, kernel::c_str!("case"), None)?;
    registration.unregister()
}

include!("module.rs");
