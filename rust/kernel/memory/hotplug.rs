// SPDX-License-Identifier: GPL-2.0

//! The device hotplug lock and the memory hotplug lock, as guards; adding and removing memory.
//!
//! C headers: [`include/linux/memory_hotplug.h`](srctree/include/linux/memory_hotplug.h),
//! [`include/linux/device.h`](srctree/include/linux/device.h)

use crate::{
    bindings,
    error::{code::*, to_result, Result},
};
use core::marker::PhantomData;

/// Proof that this task holds the device hotplug lock (`lock_device_hotplug()`), which serialises
/// the online, offline, hot-add and hot-remove of devices; the lock is released when the guard is
/// dropped.
///
/// It is the first of the memory hotplug locks (see [`crate::memory`]). The lock is a mutex
/// and not recursive: a task must not take it twice.
///
/// # Invariants
///
/// The task that created the guard holds the device hotplug lock until the guard is dropped. The
/// guard is not `Send`: the lock must be released by the task that took it.
///
/// # Examples
///
/// ```
/// use kernel::memory::hotplug::DeviceHotplugGuard;
///
/// let guard = DeviceHotplugGuard::lock();
/// guard.assert_held();
/// drop(guard);
/// ```
#[must_use = "the device hotplug lock is released when the guard is dropped"]
pub struct DeviceHotplugGuard {
    _not_send: PhantomData<*mut ()>,
}

impl DeviceHotplugGuard {
    /// Takes the device hotplug lock, waiting for it.
    pub fn lock() -> Self {
        // SAFETY: The function has no preconditions; it may sleep, which the caller may do as it
        // is not in atomic context (the kernel checks that with `might_sleep()`).
        unsafe { bindings::lock_device_hotplug() };
        // INVARIANT: The lock was just taken by this task.
        Self {
            _not_send: PhantomData,
        }
    }

    /// Takes the device hotplug lock for a sysfs `store` callback (`lock_device_hotplug_sysfs()`).
    ///
    /// If the lock is taken, it does not wait (a file's removal waits for its callbacks while
    /// holding the lock): it fails with [`ERESTARTNOINTR`], to be returned from the callback
    /// unchanged, so that the write system call is restarted.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::memory::hotplug::DeviceHotplugGuard;
    ///
    /// fn store() -> Result<usize> {
    ///     let _guard = DeviceHotplugGuard::lock_sysfs()?;
    ///     Ok(1)
    /// }
    ///
    /// // Nobody else holds the lock here: the store runs.
    /// assert_eq!(store(), Ok(1));
    /// ```
    pub fn lock_sysfs() -> Result<Self> {
        // SAFETY: The function has no preconditions.
        to_result(unsafe { bindings::lock_device_hotplug_sysfs() })?;
        // INVARIANT: The lock was taken by this task.
        Ok(Self {
            _not_send: PhantomData,
        })
    }

    /// Checks, with lockdep, that the lock is held (`lock_device_hotplug_assert_held()`).
    pub fn assert_held(&self) {
        // SAFETY: The function has no preconditions.
        unsafe { bindings::lock_device_hotplug_assert_held() };
    }
}

impl Drop for DeviceHotplugGuard {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this task holds the lock.
        unsafe { bindings::unlock_device_hotplug() };
    }
}

/// Data owned by the device hotplug lock: reached only through a [`DeviceHotplugGuard`], like
/// [`crate::sync::LockedBy`] for a lock that is global.
///
/// A driver's state that changes only with the device hotplug lock held (what it serves, what it
/// was asked to do) lives here, with no lock of its own: holding a guard is the proof, checked at
/// compile time, that no other task can reach it. At most one guard exists at any time (the lock
/// is a mutex, the guard cannot be forged, copied or sent), so a shared borrow of it gives shared
/// access and a mutable borrow exclusive access.
///
/// # Invariants
///
/// `data` is accessed only while this task holds the device hotplug lock.
///
/// # Examples
///
/// ```
/// use kernel::memory::hotplug::{DeviceHotplugGuard, DeviceHotplugLocked};
///
/// static PROBED: DeviceHotplugLocked<u64> = DeviceHotplugLocked::new(0);
///
/// let mut guard = DeviceHotplugGuard::lock();
/// let before = *PROBED.get(&guard);
/// *PROBED.get_mut(&mut guard) += 1;
/// assert_eq!(*PROBED.get(&guard), before + 1);
/// ```
pub struct DeviceHotplugLocked<T: ?Sized> {
    data: core::cell::UnsafeCell<T>,
}

// SAFETY: The data moves with the value; it is reached only with the device hotplug lock held.
unsafe impl<T: ?Sized + Send> Send for DeviceHotplugLocked<T> {}

// SAFETY: Tasks reach the data one at a time, under the device hotplug lock, so sharing the value
// between tasks only moves the data between them: `T: Send` is enough.
unsafe impl<T: ?Sized + Send> Sync for DeviceHotplugLocked<T> {}

impl<T> DeviceHotplugLocked<T> {
    /// Makes `data` owned by the device hotplug lock.
    pub const fn new(data: T) -> Self {
        Self {
            data: core::cell::UnsafeCell::new(data),
        }
    }
}

impl<T: ?Sized> DeviceHotplugLocked<T> {
    /// Returns the data for as long as the guard is borrowed.
    pub fn get<'a>(&'a self, _guard: &'a DeviceHotplugGuard) -> &'a T {
        // SAFETY: The guard proves the lock is held, and it is the only guard: a mutable access
        // would need it mutably, which the borrow forbids for `'a`.
        unsafe { &*self.data.get() }
    }

    /// Returns the data, mutably, for as long as the guard is borrowed mutably.
    pub fn get_mut<'a>(&'a self, _guard: &'a mut DeviceHotplugGuard) -> &'a mut T {
        // SAFETY: The guard proves the lock is held, and it is the only guard, borrowed mutably
        // for `'a`: nothing else can reach the data meanwhile.
        unsafe { &mut *self.data.get() }
    }
}

/// Proof that this task holds the memory hotplug lock (`mem_hotplug_begin()`), under the device
/// hotplug lock; the lock is released (`mem_hotplug_done()`) when the guard is dropped.
///
/// The guard borrows the [`DeviceHotplugGuard`] mutably for its whole life: the device hotplug
/// lock cannot be released first, and functions that take the memory hotplug lock themselves
/// (which is not recursive) cannot be called while it is held, because they need that guard too.
///
/// # Invariants
///
/// The task that created the guard holds the memory hotplug lock, taken after the device hotplug
/// lock, until the guard is dropped. The guard is not `Send`.
///
/// # Examples
///
/// ```
/// use kernel::memory::hotplug::{DeviceHotplugGuard, MemHotplugGuard};
///
/// let mut device_hotplug = DeviceHotplugGuard::lock();
/// let mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
/// mem_hotplug.assert_held();
/// // Dropping `device_hotplug` here would not compile: `mem_hotplug` borrows it.
/// drop(mem_hotplug);
/// drop(device_hotplug);
/// ```
#[must_use = "the memory hotplug lock is released when the guard is dropped"]
pub struct MemHotplugGuard<'a> {
    _device_hotplug: PhantomData<&'a mut DeviceHotplugGuard>,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> MemHotplugGuard<'a> {
    /// Takes the memory hotplug lock; the device hotplug lock must be held, as `device_hotplug`
    /// proves.
    pub fn begin(device_hotplug: &'a mut DeviceHotplugGuard) -> Self {
        let _ = device_hotplug;
        // SAFETY: The function has no preconditions beyond being allowed to sleep; the lock is not
        // held by this task, as the mutable borrow of the only device hotplug guard shows.
        unsafe { bindings::mem_hotplug_begin() };
        // INVARIANT: The lock was just taken, after the device hotplug lock.
        Self {
            _device_hotplug: PhantomData,
            _not_send: PhantomData,
        }
    }

    /// Checks, with lockdep, that the lock is held (`mem_hotplug_assert_held()`).
    pub fn assert_held(&self) {
        // SAFETY: The function has no preconditions.
        unsafe { bindings::mem_hotplug_assert_held() };
    }
}

impl Drop for MemHotplugGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this task holds the lock.
        unsafe { bindings::mem_hotplug_done() };
    }
}

/// Returns the NUMA node that memory hot-added at `phys_addr` belongs to
/// (`memory_add_physaddr_to_nid()`), as the `probe` file of the memory subsystem picks it.
///
/// # Examples
///
/// ```
/// let nid = kernel::memory::hotplug::phys_addr_to_nid(0);
/// assert!(nid >= 0);
/// ```
pub fn phys_addr_to_nid(phys_addr: u64) -> i32 {
    // SAFETY: The function has no preconditions.
    unsafe { bindings::memory_add_physaddr_to_nid(phys_addr) }
}

fn check_range(start: u64, size: u64) -> Result {
    let block = super::block_size_bytes();
    match start.checked_add(size) {
        Some(_) if size > 0 && start % block == 0 && size % block == 0 => Ok(()),
        _ => Err(EINVAL),
    }
}

/// Adds the memory at `start..start + size` (whole memory blocks) to node `nid` and creates its
/// memory block devices, onlining them if the kernel auto-onlines new memory (`__add_memory()`),
/// as the `probe` file of the memory subsystem does.
///
/// It takes the memory hotplug lock itself, and then the new blocks' device locks: the order of
/// [`crate::memory`]. The device hotplug guard is borrowed mutably, so no
/// [`MemHotplugGuard`] (which is not recursive) can be held by the caller.
///
/// Fails with `EINVAL` if the range is not made of whole blocks, `EEXIST` if part of it is present
/// already, or the error of the hot-add.
///
/// # Examples
///
/// Adds the memory block at 4.875 GiB (memory39 of the test guest) and removes it again, once the
/// system runs:
///
/// ```
/// use kernel::memory::{block_size_bytes, hotplug::*};
///
/// let start = 0x138000000;
/// let size = block_size_bytes();
/// let mut guard = DeviceHotplugGuard::lock();
/// // Not block-aligned:
/// assert_eq!(add_memory(&mut guard, 0, start + 4096, size), Err(EINVAL));
/// match add_memory(&mut guard, phys_addr_to_nid(start), start, size) {
///     Ok(()) => {
///         // Present now:
///         assert_eq!(add_memory(&mut guard, 0, start, size), Err(EEXIST));
///         remove_memory(&mut guard, start, size)?;
///     }
///     // Before the system runs (when KUnit runs the examples), `mem=` keeps hot-add below it.
///     Err(e) => assert_eq!(e, E2BIG),
/// }
/// # Ok::<(), Error>(())
/// ```
pub fn add_memory(
    device_hotplug: &mut DeviceHotplugGuard,
    nid: i32,
    start: u64,
    size: u64,
) -> Result {
    let _ = device_hotplug;
    check_range(start, size)?;
    // SAFETY: The device hotplug lock is held, as `__add_memory()` requires (with no flags,
    // `MHP_NONE`, as `probe` passes), and the memory hotplug lock is not: the guard that would
    // prove it would borrow `device_hotplug`.
    to_result(unsafe { bindings::__add_memory(nid, start, size, 0) })
}

/// Removes the memory at `start..start + size` (whole memory blocks) and its memory block
/// devices, if every block of it is present and offline (`remove_memory()` for a caller that holds
/// the device hotplug lock).
///
/// Fails with `EINVAL` if the range is not made of whole, present blocks and with `EBUSY` if a
/// block in it is not offline. Like its C counterpart it does not know who added the memory: only
/// remove what you added.
///
/// # Examples
///
/// See [`add_memory`] for a whole cycle; a range with a block that is not offline:
///
/// ```
/// use kernel::memory::{block_size_bytes, hotplug::*};
///
/// let mut guard = DeviceHotplugGuard::lock();
/// // Block 0 is boot memory, online.
/// assert_eq!(remove_memory(&mut guard, 0, block_size_bytes()), Err(EBUSY));
/// // Not whole blocks:
/// assert_eq!(remove_memory(&mut guard, 0, 4096), Err(EINVAL));
/// ```
pub fn remove_memory(device_hotplug: &mut DeviceHotplugGuard, start: u64, size: u64) -> Result {
    /// Counts `mem` in the `u64` at `arg` if it is offline, fails with `EBUSY` if not.
    ///
    /// # Safety
    ///
    /// `mem` must be a live memory block and `arg` a valid `*mut u64`.
    unsafe extern "C" fn count_offline(
        mem: *mut bindings::memory_block,
        arg: *mut core::ffi::c_void,
    ) -> i32 {
        // SAFETY: `walk_memory_blocks` passes a live block, and the device hotplug lock, held by
        // the caller, keeps its state from changing.
        if unsafe { (*mem).state } != bindings::memory_block_state_MEM_OFFLINE {
            return EBUSY.to_errno();
        }
        // SAFETY: `arg` is the counter of `remove_memory`.
        unsafe { *arg.cast::<u64>() += 1 };
        0
    }

    let _ = device_hotplug;
    check_range(start, size)?;
    let mut present = 0u64;
    // SAFETY: The callback matches its argument; the device hotplug lock is held.
    to_result(unsafe {
        bindings::walk_memory_blocks(
            start as usize,
            size as usize,
            core::ptr::addr_of_mut!(present).cast(),
            Some(count_offline),
        )
    })?;
    if present != size / super::block_size_bytes() {
        return Err(EINVAL);
    }
    // SAFETY: The device hotplug lock is held, as `__remove_memory()` requires; the range is made
    // of whole, present blocks and every one is offline (it would `BUG()` otherwise), and nothing
    // can online one until the lock is released.
    unsafe { bindings::__remove_memory(start, size) };
    Ok(())
}
