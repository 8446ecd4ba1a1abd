// SPDX-License-Identifier: GPL-2.0

//! The device hotplug lock and the memory hotplug lock, as guards; adding and removing memory.
//!
//! C headers: [`include/linux/memory_hotplug.h`](srctree/include/linux/memory_hotplug.h),
//! [`include/linux/device.h`](srctree/include/linux/device.h)

use super::block::{MemoryBlock, State, StateRequest};
use crate::{
    bindings,
    error::{code::*, to_result, Error, Result},
    sysfs::Writer,
    types::ARef,
};
use core::marker::PhantomData;

/// Proof that this task holds the device hotplug lock (`lock_device_hotplug()`), which serialises
/// the online, offline, hot-add and hot-remove of devices.
///
/// It is the first of the memory hotplug locks (see [`crate::memory`]). The lock is taken and
/// released by [`DeviceHotplugGuard::with_sysfs`] (or [`DeviceHotplugGuard::with`]) around a
/// closure, which is given the guard by mutable reference only: code outside this crate never
/// owns a guard, so it cannot leak one (`mem::forget`, `ManuallyDrop`, `KBox::leak` of the guard
/// do not compile: they would move it out of the reference) nor release the lock early.
///
/// # Invariants
///
/// The task that created the guard holds the device hotplug lock until the guard is dropped, and
/// it is dropped only by the function that created it, which lends it to the closure it runs.
/// The guard is not `Send`: the lock must be released by the task that took it.
///
/// # Examples
///
/// ```
/// use kernel::memory::hotplug::DeviceHotplugGuard;
///
/// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
/// // not hold the lock.
/// unsafe { DeviceHotplugGuard::with(|device_hotplug| device_hotplug.assert_held()) };
/// ```
pub struct DeviceHotplugGuard {
    _not_send: PhantomData<*mut ()>,
}

impl DeviceHotplugGuard {
    /// Runs `f` with the device hotplug lock held, waiting for it; the lock is released when `f`
    /// returns.
    ///
    /// Callbacks of sysfs files must use [`DeviceHotplugGuard::with_sysfs`] instead, and the
    /// memory block provider's operations run with the lock held already.
    ///
    /// # Safety
    ///
    /// The caller must not run in anything that a task holding the device hotplug lock may wait
    /// for: a sysfs callback of a device that can be removed under the lock (a memory block's
    /// files: memory hot-remove waits for their callbacks to finish), or an operation or file
    /// callback of a memory block provider that a task may unregister while holding the lock
    /// (unregistering waits for the provider's callbacks; the C side refuses it from inside them,
    /// so that task would be outside them, such as a module's init or exit code unregistering
    /// inside this function). It must not hold the lock already (it is not recursive): a
    /// provider's operation never may, it runs with the lock held.
    pub unsafe fn with<R>(f: impl FnOnce(&mut Self) -> R) -> R {
        // SAFETY: Guaranteed by the caller. The guard is dropped at the end of this function.
        let mut guard = unsafe { Self::lock() };
        f(&mut guard)
    }

    /// Takes the lock, for [`DeviceHotplugGuard::with`] (not inlined into modules: the C
    /// functions are not exported).
    ///
    /// # Safety
    ///
    /// As [`DeviceHotplugGuard::with`], and the caller drops the guard before it returns.
    #[inline(never)]
    unsafe fn lock() -> Self {
        // SAFETY: The function has no preconditions; it may sleep, which the caller may do as it
        // is not in atomic context (the kernel checks that with `might_sleep()`).
        unsafe { bindings::lock_device_hotplug() };
        // INVARIANT: The lock was just taken by this task.
        Self {
            _not_send: PhantomData,
        }
    }

    /// Runs `f` with the device hotplug lock held, for a sysfs `store` callback
    /// (`lock_device_hotplug_sysfs()`), given the [`Writer`] of the write being served; the lock
    /// is released when `f` returns, and `f`'s result is returned.
    ///
    /// The writer is the proof that this serves a write to a file, which the error below can
    /// restart (a `write()` system call; io_uring turns the restart into `EINTR`, as for the C
    /// files): not a memory block provider's operations (whose caller holds the lock, so that the
    /// restart would repeat forever) nor a kernel thread of its own, which have no writer. A
    /// `store` takes the lock once: a second call with the same writer (from inside `f`, or
    /// after it, even after a first call that failed with [`ERESTARTNOINTR`], which the `store`
    /// must return instead) fails with `EDEADLK` without calling `f` (from inside, the restart
    /// would repeat forever).
    ///
    /// If the lock is taken, it does not wait (a file's removal waits for its callbacks while
    /// holding the lock): it fails with [`ERESTARTNOINTR`], to be returned from the callback
    /// unchanged, so that the write system call is restarted.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{device::Device, prelude::*};
    /// use kernel::memory::hotplug::DeviceHotplugGuard;
    /// use kernel::sysfs::{AttributeOps, Writer};
    ///
    /// struct Flush;
    ///
    /// #[vtable]
    /// impl AttributeOps for Flush {
    ///     type Target = Device;
    ///
    ///     fn store(_dev: &Device, _input: &CStr, writer: &Writer<'_>) -> Result {
    ///         DeviceHotplugGuard::with_sysfs(writer, |device_hotplug| {
    ///             device_hotplug.assert_held();
    ///             Ok(())
    ///         })
    ///     }
    /// }
    /// assert!(Flush::HAS_STORE);
    /// ```
    pub fn with_sysfs<R>(writer: &Writer<'_>, f: impl FnOnce(&mut Self) -> Result<R>) -> Result<R> {
        // The guard is dropped at the end of this function.
        let mut guard = Self::lock_sysfs(writer)?;
        f(&mut guard)
    }

    /// Takes the lock, for [`DeviceHotplugGuard::with_sysfs`], whose caller drops the guard
    /// before it returns.
    #[inline(never)]
    fn lock_sysfs(writer: &Writer<'_>) -> Result<Self> {
        if !writer.take_device_hotplug_once() {
            return Err(EDEADLK);
        }
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

    /// Runs `f` with the memory hotplug lock held (`mem_hotplug_begin()`), taken after the device
    /// hotplug lock; the lock is released (`mem_hotplug_done()`) when `f` returns.
    ///
    /// The device hotplug guard is borrowed mutably while `f` runs: `f` cannot reach it, so it
    /// cannot call the functions that take the memory hotplug lock themselves (which is not
    /// recursive), such as [`probe`], nor this one again.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::memory::hotplug::DeviceHotplugGuard;
    ///
    /// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
    /// // not hold the lock.
    /// unsafe {
    ///     DeviceHotplugGuard::with(|device_hotplug| {
    ///         device_hotplug.with_mem_hotplug(|mem_hotplug| mem_hotplug.assert_held())
    ///     })
    /// };
    /// ```
    pub fn with_mem_hotplug<R>(&mut self, f: impl FnOnce(&mut MemHotplugGuard) -> R) -> R {
        // The guard is dropped at the end of this function, before `self` can be used again.
        let mut guard = MemHotplugGuard::begin(self);
        f(&mut guard)
    }
}

impl Drop for DeviceHotplugGuard {
    #[inline(never)]
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
/// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
/// // not hold the lock.
/// unsafe {
///     DeviceHotplugGuard::with(|guard| {
///         let before = *PROBED.get(guard);
///         *PROBED.get_mut(guard) += 1;
///         assert_eq!(*PROBED.get(guard), before + 1);
///     })
/// };
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
/// hotplug lock: what [`DeviceHotplugGuard::with_mem_hotplug`] lends its closure.
///
/// Like the device hotplug guard, it is only ever lent by mutable reference, so it cannot be
/// leaked or released early, and a block's device lock ([`MemoryBlock::with_lock`]) can be taken
/// only with it.
///
/// [`MemoryBlock::with_lock`]: super::block::MemoryBlock::with_lock
///
/// # Invariants
///
/// The task that created the guard holds the memory hotplug lock, taken after the device hotplug
/// lock, until the guard is dropped by the function that created it. The guard is not `Send`.
pub struct MemHotplugGuard {
    _not_send: PhantomData<*mut ()>,
}

impl MemHotplugGuard {
    /// Takes the lock, for [`DeviceHotplugGuard::with_mem_hotplug`], whose caller drops the guard
    /// before `device_hotplug` can be used again.
    #[inline(never)]
    fn begin(device_hotplug: &mut DeviceHotplugGuard) -> Self {
        let _ = device_hotplug;
        // SAFETY: The function has no preconditions beyond being allowed to sleep (a task holding
        // the device hotplug lock may). This task does not hold the lock: a `MemHotplugGuard`
        // exists only inside the closure of `with_mem_hotplug()`, which cannot reach the device
        // hotplug guard to call it again, and the C code that holds it (a provider's operations,
        // the memory notifiers) is given no device hotplug guard, nor may it take one with
        // `DeviceHotplugGuard::with()` (its safety requirements).
        unsafe { bindings::mem_hotplug_begin() };
        // INVARIANT: The lock was just taken, after the device hotplug lock.
        Self {
            _not_send: PhantomData,
        }
    }

    /// Checks, with lockdep, that the lock is held (`mem_hotplug_assert_held()`).
    pub fn assert_held(&self) {
        // SAFETY: The function has no preconditions.
        unsafe { bindings::mem_hotplug_assert_held() };
    }
}

impl Drop for MemHotplugGuard {
    #[inline(never)]
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

/// A write to the memory root's `probe` file: the physical address an administrator wrote
/// (parsed with `kstrtoull()`, as C's file does), their word that the block there is memory (RAM)
/// that nothing else uses.
///
/// Only the memory root's `probe` file makes one, for the [`RootFiles::probe`] of the registered
/// provider: it cannot be made from a number written to any other file.
///
/// [`RootFiles::probe`]: super::block::RootFiles::probe
///
/// # Invariants
///
/// `phys_addr`, the start of a block, was written to `/sys/devices/system/memory/probe` (mode
/// `0200`, root only) by the task `writer` serves, for `'a`.
pub struct ProbeRequest<'a> {
    phys_addr: u64,
    writer: &'a Writer<'a>,
}

impl<'a> ProbeRequest<'a> {
    /// Makes the request of a write of `phys_addr` to the memory root's `probe` file.
    ///
    /// # Safety
    ///
    /// `phys_addr`, the start of a block, was written to `/sys/devices/system/memory/probe` by the
    /// task `writer` serves.
    pub(crate) unsafe fn new(phys_addr: u64, writer: &'a Writer<'a>) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { phys_addr, writer }
    }

    /// Returns the physical address written.
    pub fn phys_addr(&self) -> u64 {
        self.phys_addr
    }

    /// Returns the writer, for [`DeviceHotplugGuard::with_sysfs`].
    pub fn writer(&self) -> &'a Writer<'a> {
        self.writer
    }
}

/// A memory block that [`probe`] added: the right to remove it again.
///
/// Memory added by anyone else (boot, ACPI, virtio-mem, another `probe`) has no such handle, so it
/// cannot be removed through this module. Dropping the handle leaves the memory added.
///
/// The handle is neither `Send` nor `Sync`, so it cannot be kept in a `static` (such as a
/// [`DeviceHotplugLocked`]) or in the module, nor sent to another task: it stays in the task that
/// probed. That task was not in a callback of one of the new block's own files, which did not
/// exist yet, so a callback of those files cannot reach the handle, and [`Probed::remove`] cannot
/// wait for the callback it runs in (removing a device waits for the callbacks of its files).
///
/// # Invariants
///
/// `block` is the memory block device that [`probe`] added (referenced: the pointer stays
/// unique while the handle lives, even after the block was removed). The handle is neither
/// `Send` nor `Sync` (`_not_send`).
pub struct Probed {
    block: ARef<MemoryBlock>,
    _not_send: PhantomData<*mut ()>,
}

impl Probed {
    /// Returns the first physical address of the block.
    pub fn start(&self) -> u64 {
        self.block.phys_start()
    }

    /// Removes the block and its device, as `remove_memory()` does, if it is offline.
    ///
    /// Fails with `EBUSY` if it is not offline, or with `ENOENT` if it is no longer the block
    /// that [`probe`] added (it was removed, and its range maybe added again by someone else since:
    /// the device is compared, not only the range); the handle is given back with the error.
    ///
    /// Removing the device waits for the callbacks of its files in flight, in other tasks (the
    /// handle cannot reach one of them, see [`Probed`]): do not call it while holding, or
    /// withholding, something such a callback waits for.
    #[cfg(CONFIG_MEMORY_HOTREMOVE)]
    pub fn remove(self, device_hotplug: &mut DeviceHotplugGuard) -> Result<(), (Error, Self)> {
        let present = MemoryBlock::find_section(self.block.start_section_nr());
        if !present.is_some_and(|present| core::ptr::eq(&*present, &*self.block)) {
            return Err((ENOENT, self));
        }
        // The state changes only under the device hotplug lock, which this task holds.
        let offline = self.block.state() == State::Offline;
        if !offline {
            return Err((EBUSY, self));
        }
        let _ = device_hotplug;
        // SAFETY: The device hotplug lock is held, as `__remove_memory()` requires. By the type
        // invariant the range is one whole block that `probe` added (so without memmap-on-memory
        // pages: `probe` adds with `MHP_NONE`), and the check above shows that block is still
        // present and offline, which nothing can change while the lock is held:
        // `try_remove_memory()` cannot fail, so `__remove_memory()` does not `BUG()`.
        unsafe { bindings::__remove_memory(self.start(), super::block_size_bytes()) };
        Ok(())
    }
}

/// Adds the memory block at the address written to the memory root's `probe` file and its memory
/// block device, as C's file does: on the node of the address (`memory_add_physaddr_to_nid()`),
/// onlined if the kernel auto-onlines new memory ([`auto_online_type`]) (`__add_memory()`).
///
/// It takes the memory hotplug lock itself, and then the new block's device lock: the order of
/// [`crate::memory`]. The device hotplug guard is borrowed mutably, so no [`MemHotplugGuard`]
/// (which is not recursive) can be held by the caller.
///
/// Fails with `EEXIST` if the block is present already, or the error of the hot-add (the
/// address is the start of a block: the `probe` file answers `EINVAL` to anything else).
///
/// # Examples
///
/// The `probe` file of a provider ([`RootFiles`](super::block::RootFiles)):
///
/// ```
/// use kernel::memory::block::RootFiles;
/// use kernel::memory::hotplug::{probe, DeviceHotplugGuard, ProbeRequest};
/// use kernel::prelude::*;
///
/// struct Files;
///
/// #[vtable]
/// impl RootFiles for Files {
///     fn probe(request: ProbeRequest<'_>) -> Result {
///         DeviceHotplugGuard::with_sysfs(request.writer(), |device_hotplug| {
///             probe(device_hotplug, request).map(|_| ())
///         })
///     }
/// }
/// assert!(Files::HAS_PROBE);
/// ```
pub fn probe(device_hotplug: &mut DeviceHotplugGuard, request: ProbeRequest<'_>) -> Result<Probed> {
    // SAFETY: An administrator wrote the address to the memory root's `probe` file: their word
    // that it is memory that nothing else uses.
    unsafe { probe_unchecked(device_hotplug, request.phys_addr) }
}

/// Adds the memory block at `phys_addr`, as [`probe`] does, without an administrator's request.
///
/// # Examples
///
/// ```
/// use kernel::memory::{block_size_bytes, hotplug::*};
///
/// let check = |guard: &mut DeviceHotplugGuard| {
///     // SAFETY: Not block-aligned: it fails before it adds anything.
///     let probed = unsafe { probe_unchecked(guard, block_size_bytes() + 4096) };
///     assert_eq!(probed.err(), Some(EINVAL));
/// };
/// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
/// // not hold the lock.
/// unsafe { DeviceHotplugGuard::with(check) };
/// ```
///
/// # Safety
///
/// The block at `phys_addr` must be memory (RAM) that nothing else uses: the kernel hands it out
/// once it is onlined.
pub unsafe fn probe_unchecked(
    device_hotplug: &mut DeviceHotplugGuard,
    phys_addr: u64,
) -> Result<Probed> {
    let size = super::block_size_bytes();
    if phys_addr & (size - 1) != 0 {
        return Err(EINVAL);
    }
    // SAFETY: The device hotplug lock is held, as `__add_memory()` requires (with no flags,
    // `MHP_NONE`, as `probe` passes), and the memory hotplug lock is not: the guard that would
    // prove it would borrow `device_hotplug`. The node is the one of the address, a valid node.
    // The range is memory nothing else uses, as the caller guarantees.
    to_result(unsafe { bindings::__add_memory(phys_addr_to_nid(phys_addr), phys_addr, size, 0) })?;
    // The block was just added, and the device hotplug lock keeps it.
    let block = MemoryBlock::find(device_hotplug, (phys_addr / size) as usize).ok_or(ENODEV)?;
    // INVARIANT: `probe` added `block`.
    Ok(Probed {
        block,
        _not_send: PhantomData,
    })
}

/// Returns how the kernel onlines memory blocks that are hot-added (`auto_online_blocks`):
/// [`StateRequest::Offline`] if it leaves them offline.
///
/// # Examples
///
/// ```
/// use kernel::memory::block::StateRequest;
/// use kernel::memory::hotplug::auto_online_type;
///
/// assert!(matches!(auto_online_type(), StateRequest::Offline | StateRequest::Online(_)));
/// ```
pub fn auto_online_type() -> StateRequest {
    // SAFETY: The function has no preconditions.
    StateRequest::from_mmop(unsafe { bindings::mhp_get_default_online_type() })
}

/// A write to the memory root's `auto_online_blocks` file: how an administrator asks the kernel
/// to online hot-added memory from now on.
///
/// Only the memory root's `auto_online_blocks` file makes one, for the
/// [`RootFiles::store_auto_online_blocks`](super::block::RootFiles::store_auto_online_blocks)
/// of the registered provider.
///
/// # Invariants
///
/// `request` was written to `/sys/devices/system/memory/auto_online_blocks` (mode `0644`: root
/// only writes it), for `'a`.
pub struct AutoOnlineRequest<'a> {
    request: StateRequest,
    _call: PhantomData<&'a ()>,
    _not_send: PhantomData<*mut ()>,
}

impl AutoOnlineRequest<'_> {
    /// Makes the request of a write to the memory root's `auto_online_blocks` file.
    ///
    /// # Safety
    ///
    /// `request` was written to `/sys/devices/system/memory/auto_online_blocks`, in a `store`
    /// callback that the request does not outlive.
    pub(crate) unsafe fn new(request: StateRequest) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            request,
            _call: PhantomData,
            _not_send: PhantomData,
        }
    }

    /// Returns what was asked.
    pub fn request(&self) -> StateRequest {
        self.request
    }
}

/// Sets how the kernel onlines memory blocks that are hot-added from now on, as the
/// administrator's write to `auto_online_blocks` asks.
pub fn set_auto_online_type(request: AutoOnlineRequest<'_>) {
    // SAFETY: The function has no preconditions; the value is a valid `enum mmop`.
    unsafe { bindings::mhp_set_default_online_type(request.request.to_mmop()) }
}
