// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a page soft-offlined (which takes the memory hotplug lock
//! for reading) while the task holds the memory hotplug guard, a self-deadlock.
//!
//! Without it (the control) the same module drops the memory hotplug guard first and builds.
//
// expect: error[E0502]: cannot borrow `device_hotplug` as immutable because it is also borrowed
// expect: as mutable

use kernel::device::Device;
use kernel::memory::failure::soft_offline_page;
use kernel::sysfs::{AttributeOps, Writer};

/// A root-only file whose `store` soft-offlines the page at the address written to it.
struct SoftOffline;

#[vtable]
impl AttributeOps for SoftOffline {
    type Target = Device;

    fn store(_dev: &Device, input: &[u8], writer: &Writer<'_>) -> Result<usize> {
        let phys_addr = writer.admin().ok_or(EPERM)?.number()?;
        let mut device_hotplug = DeviceHotplugGuard::lock_sysfs(writer)?;
        let mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
        #[cfg(not(wrong))]
        drop(mem_hotplug);
        soft_offline_page(&device_hotplug, phys_addr)?;
        #[cfg(wrong)]
        drop(mem_hotplug);
        Ok(input.len())
    }
}

/// The case: what the module does at load (the file's `store` is only compiled).
fn case() -> Result {
    let _ = SoftOffline::HAS_STORE;
    Ok(())
}

include!("module.rs");
