// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a memory hotplug guard moved to another task (the lock
//! must be released by the task that took it).
//!
//! Without it (the control) the same module takes the locks as `kernel::memory` wants and builds.
//
// expect: error[E0277]: `*mut ()` cannot be sent between threads safely

/// The case: what the module does at load.
fn case() -> Result {
    fn to_another_task<T: Send>(_value: T) {}
    with_device_hotplug(|device_hotplug| {
        let block = MemoryBlock::find(device_hotplug, 0).ok_or(ENODEV)?;
        device_hotplug.with_mem_hotplug(|mem_hotplug| {
            // A block reference may go to another task.
            to_another_task(block);
            #[cfg(wrong)]
            to_another_task(mem_hotplug);
            #[cfg(not(wrong))]
            mem_hotplug.assert_held();
        });
        Ok(())
    })
}

include!("module.rs");
