// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: data owned by the device hotplug lock read while the
//! memory hotplug guard borrows the device hotplug guard.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0502]: cannot borrow `device_hotplug` as immutable because it is also borrowed
// expect: as mutable

/// The case: what the module does at load.
fn case() -> Result {
    static SERVED: DeviceHotplugLocked<u32> = DeviceHotplugLocked::new(0);
    let mut device_hotplug = lock_device_hotplug();
    let mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    #[cfg(not(wrong))]
    drop(mem_hotplug);
    pr_info!("served: {}\n", SERVED.get(&device_hotplug));
    #[cfg(wrong)]
    drop(mem_hotplug);
    Ok(())
}

include!("module.rs");
