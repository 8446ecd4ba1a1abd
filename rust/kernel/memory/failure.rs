// SPDX-License-Identifier: GPL-2.0

//! Memory failure: taking pages out of use, as the `soft_offline_page` and `hard_offline_page`
//! files of the memory subsystem do.
//!
//! Both take the physical address an administrator (a writer with `CAP_SYS_ADMIN`) wrote to a
//! root-only file of that name ([`AdminNumber`]): soft offline moves the page's contents away and
//! never hands the page out again; hard offline simulates a hardware memory error, and kills the
//! tasks that use the page.
//!
//! Neither takes a lock before the call, as C's files: a write during a long block offline waits
//! for the memory hotplug lock inside the call. Both fail with `EDEADLK` if the calling task
//! holds that lock (a [`MemHotplugGuard`](crate::memory::hotplug::MemHotplugGuard), live or
//! leaked). Holding a [`DeviceHotplugGuard`](crate::memory::hotplug::DeviceHotplugGuard) across
//! them is fine (it comes before the memory hotplug lock); holding a lock of the driver's own that
//! its [`Operations`](crate::memory::block::Operations) also take (under the memory hotplug lock)
//! is not: another task offlining a block would wait for it while holding the lock these wait
//! for. Lockdep reports that order; the check cannot see it.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use crate::{
    bindings,
    error::{code::EPERM, to_result, Error, Result},
    sysfs::AdminNumber,
};

/// Fails with `EDEADLK` if the current task holds the memory hotplug lock (a
/// [`MemHotplugGuard`](crate::memory::hotplug::MemHotplugGuard) of the same `store`, or one leaked
/// with `mem::forget`): a soft offline would wait for it in `get_online_mems()`, and a hard
/// offline for `mf_mutex`, which a soft offline may hold while it waits for the lock (see the
/// module documentation for what this check cannot see).
fn not_under_mem_hotplug() -> Result {
    // SAFETY: The function has no preconditions; it reads who holds the lock, a value only the
    // current task sets to itself.
    if unsafe { bindings::mem_hotplug_held_by_current() } {
        return Err(Error::from_errno(-(bindings::EDEADLK as i32)));
    }
    Ok(())
}

/// Returns the page frame number of the address, if the writer may offline pages
/// (`CAP_SYS_ADMIN`, as C's files check) and wrote it to `file`; `EPERM` otherwise.
fn page_frame(phys_addr: AdminNumber<'_>, file: &str) -> Result<u64> {
    // SAFETY: The function has no preconditions. `AdminNumber` lives only in the `store`
    // callback, in the writing task: the rights checked are the writer's.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) } {
        return Err(EPERM);
    }
    Ok(phys_addr.written_to(file)? >> crate::page::PAGE_SHIFT)
}

/// Soft-offlines the page at `phys_addr` (`soft_offline_page()`): its contents are migrated to
/// another page (or dropped if clean), and the page is never used again (until it is unpoisoned).
/// A page that is poisoned already is not an error.
///
/// It takes `mf_mutex`, then the memory hotplug lock for reading (`get_online_mems()`), and this
/// function takes nothing before: as for C's file, a write during a long offline waits for the
/// lock.
///
/// Fails with `EPERM` if the writer lacks `CAP_SYS_ADMIN` or `phys_addr` was not written to a file
/// named `soft_offline_page`, `EDEADLK` if the current task holds the memory hotplug lock (see
/// [`MemHotplugGuard`](crate::memory::hotplug::MemHotplugGuard)), `ENXIO` if there is no page
/// there, `EIO` if it is not online (or cannot be handled), `EBUSY` if it cannot be migrated,
/// `EOPNOTSUPP` if soft offline is disabled (`vm.enable_soft_offline`).
///
/// # Examples
///
/// ```
/// use kernel::{device::Device, prelude::*};
/// use kernel::memory::failure::soft_offline_page;
/// use kernel::sysfs::{AttributeOps, Writer};
///
/// struct SoftOffline;
///
/// #[vtable]
/// impl AttributeOps for SoftOffline {
///     type Target = Device;
///
///     fn store(_dev: &Device, input: &[u8], writer: &Writer<'_>) -> Result<usize> {
///         let phys_addr = writer.admin().ok_or(EPERM)?.number()?;
///         soft_offline_page(phys_addr)?;
///         Ok(input.len())
///     }
/// }
/// assert!(SoftOffline::HAS_STORE);
/// ```
pub fn soft_offline_page(phys_addr: AdminNumber<'_>) -> Result {
    let pfn = page_frame(phys_addr, "soft_offline_page")?;
    not_under_mem_hotplug()?;
    // SAFETY: The function has no preconditions: it checks the page frame itself. An
    // administrator asked for it.
    to_result(unsafe { bindings::soft_offline_page(pfn as _, 0) })
}

/// Simulates a hardware memory error in the page at `phys_addr` (`memory_failure()` with
/// `MF_SW_SIMULATED`): the page is poisoned and never used again, and the tasks that map it are
/// killed when they touch it (or at once, with `vm.memory_failure_early_kill`). With
/// `vm.memory_failure_recovery` off, the kernel panics instead, as for a real error.
///
/// A page that the hwpoison filter skips (`EOPNOTSUPP` from `memory_failure()`, for testing) is
/// not an error, as for the `hard_offline_page` file.
///
/// It takes `mf_mutex`, which a soft offline holds while it waits for the memory hotplug lock;
/// this function takes nothing before, as C's file.
///
/// It fails with `EPERM` if the writer lacks `CAP_SYS_ADMIN` or `phys_addr` was not written to a
/// file named `hard_offline_page`, `EDEADLK` if the current task holds the memory hotplug lock,
/// otherwise with the error of `memory_failure()`: `ENXIO` if there is no page there,
/// `EHWPOISON` if it is poisoned already, `EBUSY` if it could not be isolated.
pub fn memory_failure(phys_addr: AdminNumber<'_>) -> Result {
    let pfn = page_frame(phys_addr, "hard_offline_page")?;
    not_under_mem_hotplug()?;
    // SAFETY: The function has no preconditions: it checks the page frame itself. An
    // administrator asked for it.
    let ret =
        unsafe { bindings::memory_failure(pfn as _, bindings::mf_flags_MF_SW_SIMULATED as _) };
    if ret == -(bindings::EOPNOTSUPP as i32) {
        return Ok(());
    }
    to_result(ret)
}
