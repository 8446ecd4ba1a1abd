// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a block onlined without its device lock.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0599]: no method named `online` found for struct `ARef<MemoryBlock>`

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        let block = MemoryBlock::find(device_hotplug, 0).ok_or(ENODEV)?;
        device_hotplug.with_mem_hotplug(|mem_hotplug| {
            #[cfg(not(wrong))]
            block.with_lock(mem_hotplug, |locked| locked.online(OnlineType::Movable))?;
            #[cfg(wrong)]
            block.online(OnlineType::Movable)?;
            let _ = mem_hotplug;
            Ok(())
        })
    })
}

include!("module.rs");
