// SPDX-License-Identifier: GPL-2.0

//! Memory blocks (`/sys/devices/system/memory`) and memory hotplug.
//!
//! Memory is added, removed, onlined and offlined in blocks, each a device on the `memory`
//! subsystem ([`block::MemoryBlock`]). Three locks serialise changes to them, and they must be
//! taken in this order:
//!
//! 1. the device hotplug lock, [`hotplug::DeviceHotplugGuard`];
//! 2. the memory hotplug lock (`mem_hotplug_begin()`), [`hotplug::MemHotplugGuard`], which
//!    [`hotplug::DeviceHotplugGuard::with_mem_hotplug`] takes;
//! 3. a block's device lock, [`block::BlockGuard`], which [`block::MemoryBlock::with_lock`] takes
//!    only for a [`hotplug::MemHotplugGuard`].
//!
//! Memory hot-add takes the memory hotplug lock and then registers the new blocks, which takes
//! their device locks: so must every online and offline, or an online that holds a block's device
//! lock and waits for the memory hotplug lock deadlocks against a hot-add (commit 30467e0b3be8
//! ("mm, hotplug: fix concurrent memory hot-add deadlock")). Here the wrong order does not
//! compile: a [`block::BlockGuard`] cannot be had without a [`hotplug::MemHotplugGuard`], and the
//! operations that change a block need the [`block::BlockGuard`]. Operations that take the memory
//! hotplug lock themselves, such as [`hotplug::probe`], need the device hotplug guard mutably,
//! which [`hotplug::DeviceHotplugGuard::with_mem_hotplug`] borrows while the lock is held.
//!
//! Each lock is taken by a function that runs a closure with it held and releases it when the
//! closure returns; the closure is lent the guard, never given it. So safe code cannot leak a lock
//! (`mem::forget`, `ManuallyDrop` or `KBox::leak` of a guard would move it out of a reference,
//! which does not compile), release it early, or keep it past the closure: a lock is held exactly
//! as long as the closure runs. A closure that never returns holds it forever, as C code that
//! never unlocks does: like mainline Rust, this module treats a deadlock as safe, but it is
//! stricter than mainline in that no leak can cause one. A panic in a closure (an `unwrap()`, an
//! index out of bounds) is a `BUG()`: the kernel does not unwind, so the task dies holding the
//! locks it took, and memory hotplug stops for good.
//!
//! With `CONFIG_MEMORY_BLOCK_PROVIDER`, every online and offline of any origin takes the three
//! locks in this order, and lockdep checks it; while a [`block::Registration`] is registered, its
//! [`block::Operations`] do the onlining and offlining and its files serve the blocks' files.
//! An operation can only do its own job: the online operation is given a [`block::ToOnline`],
//! which can only be onlined or refused, and must return the proof of the one or the other that
//! only the steps themselves make.
//!
//! C headers: [`include/linux/memory.h`](srctree/include/linux/memory.h),
//! [`include/linux/memory_hotplug.h`](srctree/include/linux/memory_hotplug.h)

use crate::bindings;

pub mod block;
#[cfg(CONFIG_MEMORY_FAILURE)]
pub mod failure;
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
