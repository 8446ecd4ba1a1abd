// SPDX-License-Identifier: GPL-2.0

//! Memory blocks (`/sys/devices/system/memory`) and memory hotplug.
//!
//! Memory is added, removed, onlined and offlined in blocks, each a device on the `memory`
//! subsystem ([`block::MemoryBlock`]). Three locks serialise changes to them, and they must be
//! taken in this order:
//!
//! 1. the device hotplug lock, [`hotplug::DeviceHotplugGuard`];
//! 2. the memory hotplug lock (`mem_hotplug_begin()`), [`hotplug::MemHotplugGuard`], which can be
//!    taken only by borrowing the device hotplug guard mutably;
//! 3. a block's device lock, [`block::BlockGuard`], which [`block::MemoryBlock::lock`] gives only
//!    for a mutable borrow of the memory hotplug guard.
//!
//! Memory hot-add takes the memory hotplug lock and then registers the new blocks, which takes
//! their device locks: so must every online and offline, or an online that holds a block's device
//! lock and waits for the memory hotplug lock deadlocks against a hot-add (commit 30467e0b3be8
//! ("mm, hotplug: fix concurrent memory hot-add deadlock")). Here the wrong order does not
//! compile: a [`block::BlockGuard`] cannot be had without a [`hotplug::MemHotplugGuard`], cannot
//! outlive it, and the operations that change a block need the [`block::BlockGuard`]. Operations
//! that take the memory hotplug lock themselves, such as [`hotplug::add_memory`], need the device
//! hotplug guard mutably, so they cannot be called while a memory hotplug guard exists.
//!
//! While a [`block::Registration`] is alive the blocks are allocated by it, every online and
//! offline of any origin takes the three locks in this order, and the block device locks are in a
//! lock class of their own, so lockdep checks the order too.
//!
//! C headers: [`include/linux/memory.h`](srctree/include/linux/memory.h),
//! [`include/linux/memory_hotplug.h`](srctree/include/linux/memory_hotplug.h)

use crate::{bindings, device::Device, types::ARef};

pub mod block;
pub mod hotplug;

/// Returns the size of a memory block in bytes (`memory_block_size_bytes()`).
///
/// # Examples
///
/// ```
/// let size = kernel::memory::block_size_bytes();
/// assert!(size.is_power_of_two());
/// assert!(size >= kernel::page::PAGE_SIZE as u64);
/// ```
pub fn block_size_bytes() -> u64 {
    // SAFETY: The function has no preconditions.
    unsafe { bindings::memory_block_size_bytes() as u64 }
}

/// Returns the root device of the memory subsystem, `/sys/devices/system/memory`, to add files
/// to with [`crate::sysfs::GroupRegistration`]; `None` if no memory block exists.
///
/// The device hotplug guard keeps the blocks from going away while the root is looked up.
///
/// # Examples
///
/// ```
/// use kernel::memory::{hotplug::DeviceHotplugGuard, root_device};
///
/// let root = root_device(&DeviceHotplugGuard::lock()).ok_or(ENODEV)?;
/// # let _ = root;
/// # Ok::<(), Error>(())
/// ```
pub fn root_device(_device_hotplug: &hotplug::DeviceHotplugGuard) -> Option<ARef<Device>> {
    /// Stores the root device of the memory subsystem, from `mem`, at `arg`; stops the walk.
    ///
    /// # Safety
    ///
    /// `mem` must be a live memory block and `arg` a valid `*mut *mut bindings::device`.
    unsafe extern "C" fn first_root(
        mem: *mut bindings::memory_block,
        arg: *mut core::ffi::c_void,
    ) -> i32 {
        // SAFETY: `for_each_memory_block` passes a live block, whose `bus` is the memory subsystem.
        let root = unsafe { bindings::bus_get_dev_root((*mem).dev.bus) };
        // SAFETY: `arg` is the `root` pointer of `root_device`.
        unsafe { *arg.cast::<*mut bindings::device>() = root };
        // Stop at the first block.
        1
    }

    let mut root: *mut bindings::device = core::ptr::null_mut();
    // SAFETY: The callback matches the arguments; the device hotplug lock keeps the blocks alive.
    unsafe {
        bindings::for_each_memory_block(core::ptr::addr_of_mut!(root).cast(), Some(first_root))
    };
    if root.is_null() {
        return None;
    }
    // SAFETY: `bus_get_dev_root()` returned the root with a reference that we hand to the `ARef`.
    Some(unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(root.cast::<Device>())) })
}
