// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: data owned by the device hotplug lock read while the
//! memory hotplug lock is held (the device hotplug guard is lent to `with_mem_hotplug()`).
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0502]: cannot borrow `*device_hotplug` as mutable because it is also borrowed as immutable

/// The case: what the module does at load.
fn case() -> Result {
    static SERVED: DeviceHotplugLocked<u32> = DeviceHotplugLocked::new(0);
    with_device_hotplug(|device_hotplug| {
        #[cfg(not(wrong))]
        pr_info!("served: {}\n", SERVED.get(device_hotplug));
        device_hotplug.with_mem_hotplug(|mem_hotplug| {
            mem_hotplug.assert_held();
            #[cfg(wrong)]
            pr_info!("served: {}\n", SERVED.get(device_hotplug));
        });
    });
    Ok(())
}

include!("module.rs");
