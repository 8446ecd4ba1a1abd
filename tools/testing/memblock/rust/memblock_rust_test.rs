// SPDX-License-Identifier: GPL-2.0

//! Test module for the memory block abstractions (`kernel::memory`, `kernel::sysfs`).
//!
//! While loaded it is the memory block provider and serves, written with the abstractions, every
//! block's `phys_index` and `state` (online and offline in the lock order of `kernel::memory`),
//! the memory root's `probe` and `soft_offline_page` (as C's), `hard_offline_page` (which asks for
//! a hard offline with the memory hotplug lock held, to show that it is refused with `EDEADLK`),
//! and the online and offline operations (with the built-in driver's code). It counts what it
//! served and logs the counts when it is unloaded: `tools/testing/memblock/rust-abstractions.sh`
//! checks that they match what it did, and that the files give what the built-in ones give.
//!
//! It is also the control of the compile-fail check: it takes the locks in the right order and
//! must build, while every case in `compile-fail/` takes them wrongly and must not.

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::memory::block::{
    MemoryBlockFile, Offlined, Onlined, Operations, Refused, Registration, RootFiles, StateRequest,
    ToOffline, ToOnline,
};
#[cfg(CONFIG_MEMORY_FAILURE)]
use kernel::memory::failure::{self, HardOfflineRequest, SoftOfflineRequest};
use kernel::memory::hotplug::{
    probe, set_auto_online_type, AutoOnlineRequest, DeviceHotplugGuard, DeviceHotplugLocked,
    ProbeRequest, Probed,
};
#[cfg(CONFIG_MEMORY_HOTREMOVE)]
use kernel::memory::{
    block::{MemoryBlock, State as BlockState},
    block_size_bytes,
    hotplug::probe_unchecked,
};
use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer, Writer};
use kernel::{attribute_group, c_str, prelude::*};
#[cfg(CONFIG_MEMORY_HOTREMOVE)]
use kernel::{bindings, error::to_result};

module! {
    type: MemblockRustTest,
    name: "memblock_rust_test",
    author: "Memory block provider developers",
    description: "Test module for the Rust memory block abstractions",
    license: "GPL",
}

/// What was served: reads of `phys_index` and `state`, writes to `state`, onlines and offlines.
static PHYS_INDEX_SHOWS: AtomicU64 = AtomicU64::new(0);
static STATE_SHOWS: AtomicU64 = AtomicU64::new(0);
static STATE_STORES: AtomicU64 = AtomicU64::new(0);
static ONLINES: AtomicU64 = AtomicU64::new(0);
static OFFLINES: AtomicU64 = AtomicU64::new(0);
static SOFT_OFFLINES: AtomicU64 = AtomicU64::new(0);

/// How many blocks `probe` added: state of the driver owned by the device hotplug lock.
static PROBED: DeviceHotplugLocked<u64> = DeviceHotplugLocked::new(0);

struct PhysIndex;

#[vtable]
impl AttributeOps for PhysIndex {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        PHYS_INDEX_SHOWS.fetch_add(1, Ordering::Relaxed);
        // C's phys_index: memory_block_id(start_section_nr), the block's id.
        Ok(writeln!(buf, "{:08x}", block.id())?)
    }
}

struct State;

#[vtable]
impl AttributeOps for State {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        STATE_SHOWS.fetch_add(1, Ordering::Relaxed);
        // As C's state_show: no lock, a read never waits for a hot-add.
        Ok(writeln!(buf, "{}", block.state())?)
    }

    fn store(block: &MemoryBlockFile, input: &CStr, writer: &Writer<'_>) -> Result {
        let request = StateRequest::parse(input)?;
        let changed = DeviceHotplugGuard::with_sysfs(writer, |device_hotplug| {
            device_hotplug.with_mem_hotplug(|mem_hotplug| {
                block.with_lock(mem_hotplug, |locked| {
                    STATE_STORES.fetch_add(1, Ordering::Relaxed);
                    match request {
                        StateRequest::Offline => locked.offline(),
                        StateRequest::Online(online_type) => locked.online(online_type),
                    }
                })
            })
        })?;
        // As the C driver: asking for the state a block is in is invalid.
        if !changed {
            return Err(EINVAL);
        }
        Ok(())
    }
}

struct Ops;

#[vtable]
impl Operations for Ops {
    fn online(block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
        ONLINES.fetch_add(1, Ordering::Relaxed);
        block.builtin_online()
    }

    fn offline(block: ToOffline<'_>) -> Result<Offlined<'_>, Refused<'_>> {
        OFFLINES.fetch_add(1, Ordering::Relaxed);
        block.builtin_offline()
    }
}

#[vtable]
impl RootFiles for Ops {
    /// The `probe` file: root only (the crate makes it with C's mode). With memory hot-remove, a
    /// block it adds offline is also removed through its handle, under another guard, and added
    /// again, to show that [`Probed::remove`] checks the block it was given (see
    /// [`remove_probed`]).
    fn probe(request: ProbeRequest<'_>) -> Result {
        let probed = DeviceHotplugGuard::with_sysfs(request.writer(), |device_hotplug| {
            let probed = probe(device_hotplug, request)?;
            *PROBED.get_mut(device_hotplug) += 1;
            Ok(probed)
        })?;
        #[cfg(CONFIG_MEMORY_HOTREMOVE)]
        remove_probed(probed);
        #[cfg(not(CONFIG_MEMORY_HOTREMOVE))]
        drop(probed);
        Ok(())
    }

    /// The `soft_offline_page` file, as C's.
    #[cfg(CONFIG_MEMORY_FAILURE)]
    fn soft_offline_page(request: SoftOfflineRequest<'_>) -> Result {
        SOFT_OFFLINES.fetch_add(1, Ordering::Relaxed);
        failure::soft_offline_page(request)
    }

    /// A driver's mistake: a provider registered from a callback of a provider, which the C side
    /// refuses (`EDEADLK`). Were it registered, the policy would be set as asked.
    fn store_auto_online_blocks(request: AutoOnlineRequest<'_>) -> Result {
        NESTED.register(&THIS_MODULE, c_str!("memblock_rust_test_nested"), None)?;
        set_auto_online_type(request);
        Ok(())
    }

    /// A driver's mistake: a hard offline asked for with the memory hotplug lock held, where it
    /// could wait for `mf_mutex` while a soft offline holding it waits for the lock.
    /// `memory_failure()` refuses it (`EDEADLK`) whatever the address.
    #[cfg(CONFIG_MEMORY_FAILURE)]
    fn hard_offline_page(request: HardOfflineRequest<'_>) -> Result {
        // SAFETY: A `store` of the memory root, which memory hot-remove does not remove; this
        // task does not hold the lock. A provider's unregistration waits for this callback, but
        // none can wait for it with the device hotplug lock held: `PROVIDER` is unregistered
        // only by this module's exit (`Drop`), which runs only once no callback of it does (rmmod
        // fails while one runs), and holds no lock; `TEMP`, with the same root files, is
        // unregistered by the init with the lock held only while the init also holds the memory
        // hotplug lock, where the C side refuses (`EDEADLK`) without waiting, and then without
        // the lock; no other provider can be registered while one of these is.
        unsafe {
            DeviceHotplugGuard::with(|device_hotplug| {
                device_hotplug.with_mem_hotplug(|_mem_hotplug| failure::memory_failure(request))
            })
        }
    }
}

/// Removes the block of `probed` through the handle, under a guard other than the one it was
/// made under, and adds it again; then removes it behind the back of the new handle, the way
/// another path would (`remove_memory()`, as ACPI or virtio-mem do), adds the range again, and
/// asks the stale handle to remove it: refused with `ENOENT`, as the block is not the one the
/// handle was made for, though the range is the same. Logs what happened; the block stays added.
///
/// Only for a block that is offline: one added online is left as it is ("skipped" in the log).
#[cfg(CONFIG_MEMORY_HOTREMOVE)]
fn remove_probed(probed: Probed) {
    let start = probed.start();
    let size = block_size_bytes();
    let offline = |device_hotplug: &DeviceHotplugGuard| {
        start
            .checked_div(size)
            .and_then(|id| MemoryBlock::find(device_hotplug, id as usize))
            .is_some_and(|block| block.state() == BlockState::Offline)
    };
    let remove_and_add = |device_hotplug: &mut DeviceHotplugGuard| -> Result<Option<Probed>> {
        if !offline(device_hotplug) {
            return Ok(None);
        }
        probed.remove(device_hotplug).map_err(|(e, _)| e)?;
        // SAFETY: The administrator wrote `start` to `probe`: memory that nothing else uses, just
        // added and removed.
        Ok(Some(unsafe { probe_unchecked(device_hotplug, start) }?))
    };
    let stale = |device_hotplug: &mut DeviceHotplugGuard, added: Probed| -> Result {
        // SAFETY: As above: removed by `remove_memory()` since.
        drop(unsafe { probe_unchecked(device_hotplug, start) }?);
        match added.remove(device_hotplug) {
            Ok(()) => pr_info!(
                "probe {:#x}: the stale handle removed the new block\n",
                start
            ),
            Err((e, _)) if e == ENOENT => {
                pr_info!("probe {:#x}: the stale handle: ENOENT\n", start)
            }
            Err((e, _)) => pr_info!("probe {:#x}: the stale handle: {}\n", start, e.to_errno()),
        }
        Ok(())
    };
    // SAFETY: A `store` of the memory root, which memory hot-remove does not remove, after the
    // guard of the store was dropped: this task does not hold the lock. A provider's
    // unregistration waits for this callback, but none can run meanwhile with the device hotplug
    // lock held (see `hard_offline_page`).
    let result = match unsafe { DeviceHotplugGuard::with(remove_and_add) } {
        Ok(Some(added)) => {
            // SAFETY: `start` is a whole block that `probe_unchecked()` added (no memmap on
            // memory); `remove_memory()` takes the device hotplug lock, not held here, and
            // refuses (`EBUSY`) if the block was onlined meanwhile.
            to_result(unsafe { bindings::remove_memory(start, size) }).and_then(|()| {
                // SAFETY: As for the first guard.
                unsafe { DeviceHotplugGuard::with(|guard| stale(guard, added)) }
            })
        }
        Ok(None) => {
            pr_info!("probe {:#x}: skipped (added online)\n", start);
            Ok(())
        }
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        pr_info!(
            "probe {:#x}: removing or adding again: {}\n",
            start,
            e.to_errno()
        );
    }
}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("phys_index"));
static STATE: Attribute<State> = Attribute::read_write(c_str!("state"));

attribute_group!(static BLOCK_FILES: MemoryBlockFile = [PHYS_INDEX, STATE]);

/// The module's registration as the memory block provider.
static PROVIDER: Registration<Ops> = Registration::new();
/// A registration unregistered under the memory hotplug lock, at load.
static TEMP: Registration<Ops> = Registration::new();
/// A registration asked for from a callback of `PROVIDER`.
static NESTED: Registration<Ops> = Registration::new();

struct MemblockRustTest;

impl kernel::Module for MemblockRustTest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // A driver's mistake: a provider unregistered by the holder of the memory hotplug lock,
        // which the C side refuses (`EDEADLK`): it stays registered, and is unregistered after.
        TEMP.register(module, c_str!("memblock_rust_test_temp"), None)?;
        // SAFETY: Module initialisation is no sysfs callback nor a provider's, and this task does
        // not hold the lock.
        let refused = unsafe {
            DeviceHotplugGuard::with(|device_hotplug| {
                device_hotplug.with_mem_hotplug(|_mem_hotplug| TEMP.unregister())
            })
        };
        match refused {
            Err(e) if e == EDEADLK => {
                pr_info!("unregister under the memory hotplug lock: EDEADLK\n")
            }
            Err(e) => pr_info!("unregister under the memory hotplug lock: {:?}\n", e),
            Ok(()) => pr_info!("unregister under the memory hotplug lock: done\n"),
        }
        if refused.is_err() {
            TEMP.unregister()?;
        }
        PROVIDER.register(module, c_str!("memblock_rust_test"), Some(&BLOCK_FILES))?;
        pr_info!("serving the memory blocks\n");
        Ok(Self)
    }
}

impl Drop for MemblockRustTest {
    fn drop(&mut self) {
        if let Err(e) = PROVIDER.unregister() {
            pr_warn!("unregister: {:?}\n", e);
        }
        // SAFETY: Module unload runs in `delete_module()`'s system call: not a sysfs callback
        // nor a provider's operation (a store of ours in flight holds the lock only until it
        // returns), and this task does not hold the lock.
        let probed = unsafe { DeviceHotplugGuard::with(|guard| *PROBED.get(guard)) };
        pr_info!(
            "served phys_index show {} state show {} store {} probe {} online {} offline {} soft_offline_page {}\n",
            PHYS_INDEX_SHOWS.load(Ordering::Relaxed),
            STATE_SHOWS.load(Ordering::Relaxed),
            STATE_STORES.load(Ordering::Relaxed),
            probed,
            ONLINES.load(Ordering::Relaxed),
            OFFLINES.load(Ordering::Relaxed),
            SOFT_OFFLINES.load(Ordering::Relaxed),
        );
    }
}
