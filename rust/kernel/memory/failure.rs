// SPDX-License-Identifier: GPL-2.0

//! Memory failure: taking pages out of use, as the `soft_offline_page` and `hard_offline_page`
//! files of the memory subsystem do.
//!
//! Both take the physical address an administrator wrote to the memory root's file of that name
//! ([`PageOfflineRequest`]), which only those files make, after the
//! checks C's files do (`CAP_SYS_ADMIN`, a number `kstrtoull()` parses): soft offline moves the
//! page's contents away and never hands the page out again; hard offline simulates a hardware
//! memory error, and kills the tasks that use the page.
//!
//! Neither takes a lock before the call, as C's files: a write during a long block offline waits
//! for the memory hotplug lock inside the call. Safe code cannot call them with that lock held:
//! the requests exist only in the root files' slots, which have no [`Writer`] to take the device
//! hotplug lock with. Code that takes it with the `unsafe`
//! [`DeviceHotplugGuard::with`](crate::memory::hotplug::DeviceHotplugGuard::with) and then the
//! memory hotplug lock gets `EDEADLK` rather than a hang. What the check cannot see is a lock of
//! the driver's own that its [`Operations`](crate::memory::block::Operations) also take (under the
//! memory hotplug lock): another task offlining a block would wait for it while holding the lock
//! these wait for. Lockdep reports that order.
//!
//! [`Writer`]: crate::sysfs::Writer
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use crate::{
    bindings,
    error::{code::*, to_result, Result},
};
use core::marker::PhantomData;

/// Fails with `EDEADLK` if the current task holds the memory hotplug lock (a
/// [`MemHotplugGuard`](crate::memory::hotplug::MemHotplugGuard) of the same task): a soft
/// offline would wait for it in `get_online_mems()`, and a hard offline for `mf_mutex`, which a
/// soft offline may hold while it waits for the lock (see the module documentation for what this
/// check cannot see).
fn not_under_mem_hotplug() -> Result {
    // SAFETY: The function has no preconditions; it reads who holds the lock, a value only the
    // current task sets to itself.
    if unsafe { bindings::mem_hotplug_held_by_current() } {
        return Err(EDEADLK);
    }
    Ok(())
}

/// Which page offline file a [`PageOfflineRequest`] was written to: [`Soft`] or [`Hard`].
pub trait PageOfflineFile: private::Sealed {}

/// `soft_offline_page`: see [`soft_offline_page`].
pub enum Soft {}

/// `hard_offline_page`: see [`memory_failure`].
pub enum Hard {}

impl PageOfflineFile for Soft {}
impl PageOfflineFile for Hard {}

mod private {
    pub trait Sealed {}
    impl Sealed for super::Soft {}
    impl Sealed for super::Hard {}
}

/// A write to the memory root's page offline file `F` (`soft_offline_page` or
/// `hard_offline_page`), by a writer with `CAP_SYS_ADMIN`: the page frame of the physical address
/// written.
///
/// Only the memory root's file of that name makes one, for the slot of the registered provider
/// ([`RootFiles`](crate::memory::block::RootFiles)).
///
/// # Invariants
///
/// `pfn` is the page frame of an address written to the memory root's file `F` by a task with
/// `CAP_SYS_ADMIN`, for `'a`.
pub struct PageOfflineRequest<'a, F: PageOfflineFile> {
    pfn: u64,
    _file: PhantomData<F>,
    _call: PhantomData<&'a ()>,
    _not_send: PhantomData<*mut ()>,
}

/// A write to `soft_offline_page`.
pub type SoftOfflineRequest<'a> = PageOfflineRequest<'a, Soft>;

/// A write to `hard_offline_page`.
pub type HardOfflineRequest<'a> = PageOfflineRequest<'a, Hard>;

impl<F: PageOfflineFile> PageOfflineRequest<'_, F> {
    /// Makes the request of a write of `phys_addr` to the file `F`.
    ///
    /// # Safety
    ///
    /// `phys_addr` was written to the memory root's file `F` by a task with `CAP_SYS_ADMIN`, in a
    /// `store` callback that the request does not outlive.
    pub(crate) unsafe fn new(phys_addr: u64) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            pfn: phys_addr >> crate::page::PAGE_SHIFT,
            _file: PhantomData,
            _call: PhantomData,
            _not_send: PhantomData,
        }
    }

    /// Returns the page frame number.
    pub fn pfn(&self) -> u64 {
        self.pfn
    }
}

/// Soft-offlines the page the administrator asked for (`soft_offline_page()`): its contents are
/// migrated to another page (or dropped if clean), and the page is never used again (until it is
/// unpoisoned). A page that is poisoned already is not an error.
///
/// It takes `mf_mutex`, then the memory hotplug lock for reading (`get_online_mems()`), and this
/// function takes nothing before: as for C's file, a write during a long offline waits for the
/// lock.
///
/// Fails with `EDEADLK` if the current task holds the memory hotplug lock (see
/// [`MemHotplugGuard`](crate::memory::hotplug::MemHotplugGuard)), `ENXIO` if there is no page
/// there, `EIO` if it is not online (or cannot be handled), `EBUSY` if it cannot be migrated,
/// `EOPNOTSUPP` if soft offline is disabled (`vm.enable_soft_offline`).
///
/// # Examples
///
/// ```
/// use kernel::memory::block::RootFiles;
/// use kernel::memory::failure::{soft_offline_page, SoftOfflineRequest};
/// use kernel::prelude::*;
///
/// struct Files;
///
/// #[vtable]
/// impl RootFiles for Files {
///     fn soft_offline_page(request: SoftOfflineRequest<'_>) -> Result {
///         soft_offline_page(request)
///     }
/// }
/// assert!(Files::HAS_SOFT_OFFLINE_PAGE);
/// ```
pub fn soft_offline_page(request: SoftOfflineRequest<'_>) -> Result {
    not_under_mem_hotplug()?;
    // SAFETY: The function has no preconditions: it checks the page frame itself. An
    // administrator asked for it.
    to_result(unsafe { bindings::soft_offline_page(request.pfn as _, 0) })
}

/// Simulates a hardware memory error in the page the administrator asked for (`memory_failure()`
/// with `MF_SW_SIMULATED`): the page is poisoned and never used again, and the tasks that map it
/// are killed when they touch it (or at once, with `vm.memory_failure_early_kill`). With
/// `vm.memory_failure_recovery` off, the kernel panics instead, as for a real error.
///
/// A page that the hwpoison filter skips (`EOPNOTSUPP` from `memory_failure()`, for testing) is
/// not an error, as for the `hard_offline_page` file.
///
/// It takes `mf_mutex`, which a soft offline holds while it waits for the memory hotplug lock;
/// this function takes nothing before, as C's file.
///
/// It fails with `EDEADLK` if the current task holds the memory hotplug lock, otherwise with the
/// error of `memory_failure()`: `ENXIO` if there is no page there, `EHWPOISON` if it is poisoned
/// already, `EBUSY` if it could not be isolated.
pub fn memory_failure(request: HardOfflineRequest<'_>) -> Result {
    not_under_mem_hotplug()?;
    // SAFETY: The function has no preconditions: it checks the page frame itself. An
    // administrator asked for it.
    let ret = unsafe {
        bindings::memory_failure(request.pfn as _, bindings::mf_flags_MF_SW_SIMULATED as _)
    };
    match to_result(ret) {
        Err(e) if e == EOPNOTSUPP => Ok(()),
        result => result,
    }
}
