// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a `store` that leaks the device hotplug guard with
//! `KBox::leak`, returning to userspace with the lock held (every later write restarts forever).
//!
//! Without it (the control) the `store` leaks only its reference to the guard, and builds.
//
// expect: error[E0507]: cannot move out of `*device_hotplug` which is behind a mutable reference

use kernel::{
    device::Device,
    sysfs::{AttributeOps, Writer},
};

struct Flush;

#[vtable]
impl AttributeOps for Flush {
    type Target = Device;

    fn store(_dev: &Device, _input: &CStr, writer: &Writer<'_>) -> Result {
        DeviceHotplugGuard::with_sysfs(writer, |device_hotplug| {
            #[cfg(wrong)]
            let _ = KBox::leak(KBox::new(*device_hotplug, GFP_KERNEL)?);
            #[cfg(not(wrong))]
            let _ = KBox::leak(KBox::new(&mut *device_hotplug, GFP_KERNEL)?);
            Ok(())
        })
    }
}

/// The case: what the module does at load.
fn case() -> Result {
    let _ = Flush::HAS_STORE;
    Ok(())
}

include!("module.rs");
