// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a memory hotplug guard made up instead of taken.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0451]: fields `_device_hotplug` and `_not_send` of struct `MemHotplugGuard`
// expect: are private

/// The case: what the module does at load.
fn case() -> Result {
    let mut device_hotplug = lock_device_hotplug();
    let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
    #[cfg(not(wrong))]
    let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    #[cfg(wrong)]
    let mut mem_hotplug = MemHotplugGuard {
        _device_hotplug: core::marker::PhantomData,
        _not_send: core::marker::PhantomData,
    };
    drop(block.lock(&mut mem_hotplug));
    Ok(())
}

include!("module.rs");
