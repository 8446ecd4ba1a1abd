// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: the memory hotplug guard taken out of its closure's reference
//! (to release it) while a block's device lock is held.
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0507]: cannot move out of `*mem_hotplug` which is behind a mutable reference

/// The case: what the module does at load.
fn case() -> Result {
    with_device_hotplug(|device_hotplug| {
        let block = MemoryBlock::find(device_hotplug, 0).ok_or(ENODEV)?;
        device_hotplug.with_mem_hotplug(|mem_hotplug| {
            block.with_lock(mem_hotplug, |locked| {
                pr_info!("memory0 is {:?}\n", locked.state())
            });
            #[cfg(wrong)]
            drop(*mem_hotplug);
        });
        Ok(())
    })
}

include!("module.rs");
