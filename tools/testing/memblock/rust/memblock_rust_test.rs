// SPDX-License-Identifier: GPL-2.0

//! Test module for the memory block abstractions (`kernel::memory`, `kernel::sysfs`).
//!
//! While loaded it is the memory block provider and serves, written with the abstractions, every
//! block's `phys_index` and `state` (online and offline in the lock order of `kernel::memory`),
//! the memory root's `probe` (and `soft_offline_page`, which misuses what root wrote to it as an
//! address to probe, to show that `probe()` refuses it, and `hard_offline_page`, which asks for a
//! hard offline with the memory hotplug lock held, to show that it is refused with `EDEADLK`),
//! and the online and offline operations
//! (with the built-in driver's code). It counts what it served and logs the counts when it is unloaded:
//! `tools/testing/memblock/rust-abstractions.sh` checks that they match what it did, and that
//! the files give what the built-in ones give.
//!
//! It is also the control of the compile-fail check: it takes the locks in the right order and
//! must build, while every case in `compile-fail/` takes them wrongly and must not.

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::memory::block::{
    MemoryBlockFile, Offlined, Onlined, Operations, Refused, Registration, StateRequest, ToOffline,
    ToOnline,
};
#[cfg(CONFIG_MEMORY_FAILURE)]
use kernel::memory::failure;
use kernel::memory::hotplug::{probe, DeviceHotplugGuard, DeviceHotplugLocked};
use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer, Writer};
use kernel::{attribute_group, c_str, device::Device, prelude::*};

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

    fn store(block: &MemoryBlockFile, input: &[u8], writer: &Writer<'_>) -> Result<usize> {
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
        Ok(input.len())
    }
}

struct Probe;

#[vtable]
impl AttributeOps for Probe {
    type Target = Device;

    fn store(_root: &Device, input: &[u8], writer: &Writer<'_>) -> Result<usize> {
        // The `probe` file: only root can write it (EACCES otherwise, so that an EPERM can only
        // be `probe()`'s refusal of a number written to another file).
        let start = writer.admin().ok_or(EACCES)?.number()?;
        DeviceHotplugGuard::with_sysfs(writer, |device_hotplug| {
            probe(device_hotplug, start)?;
            *PROBED.get_mut(device_hotplug) += 1;
            Ok(input.len())
        })
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

/// A driver's mistake: a hard offline asked for with the memory hotplug lock held, where it could
/// wait for `mf_mutex` while a soft offline holding it waits for the lock. `memory_failure()`
/// refuses it (`EDEADLK`) whatever the address.
#[cfg(CONFIG_MEMORY_FAILURE)]
struct HardOfflineLocked;

#[cfg(CONFIG_MEMORY_FAILURE)]
#[vtable]
impl AttributeOps for HardOfflineLocked {
    type Target = Device;

    fn store(_root: &Device, input: &[u8], writer: &Writer<'_>) -> Result<usize> {
        let phys_addr = writer.admin().ok_or(EACCES)?.number()?;
        DeviceHotplugGuard::with_sysfs(writer, |device_hotplug| {
            device_hotplug.with_mem_hotplug(|_mem_hotplug| failure::memory_failure(phys_addr))
        })?;
        Ok(input.len())
    }
}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("phys_index"));
static STATE: Attribute<State> = Attribute::read_write(c_str!("state"));
static PROBE: Attribute<Probe> = Attribute::write_only(c_str!("probe"));
/// A driver's mistake: `probe`'s code serving the `soft_offline_page` file (root only too). The
/// number root writes there knows its file, and `probe()` refuses it (`EPERM`).
#[cfg(CONFIG_MEMORY_FAILURE)]
static MISUSED_NUMBER: Attribute<Probe> = Attribute::write_only(c_str!("soft_offline_page"));
#[cfg(CONFIG_MEMORY_FAILURE)]
static HARD_OFFLINE_LOCKED: Attribute<HardOfflineLocked> =
    Attribute::write_only(c_str!("hard_offline_page"));

attribute_group!(static BLOCK_FILES: MemoryBlockFile = [PHYS_INDEX, STATE]);
attribute_group!(static ROOT_FILES: Device = [
    PROBE,
    #[cfg(CONFIG_MEMORY_FAILURE)]
    MISUSED_NUMBER,
    #[cfg(CONFIG_MEMORY_FAILURE)]
    HARD_OFFLINE_LOCKED,
]);

struct MemblockRustTest {
    _provider: Registration<Ops>,
}

impl kernel::Module for MemblockRustTest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let provider = Registration::register(
            Some(module),
            c_str!("memblock_rust_test"),
            Some(&BLOCK_FILES),
            Some(&ROOT_FILES),
        )?;
        pr_info!("serving the memory blocks\n");
        Ok(Self {
            _provider: provider,
        })
    }
}

impl Drop for MemblockRustTest {
    fn drop(&mut self) {
        // SAFETY: Module unload runs in `delete_module()`'s system call: not a sysfs callback
        // nor a provider's operation (a store of ours in flight holds the lock only until it
        // returns), and this task does not hold the lock.
        let probed = unsafe { DeviceHotplugGuard::with(|guard| *PROBED.get(guard)) };
        pr_info!(
            "served phys_index show {} state show {} store {} probe {} online {} offline {}\n",
            PHYS_INDEX_SHOWS.load(Ordering::Relaxed),
            STATE_SHOWS.load(Ordering::Relaxed),
            STATE_STORES.load(Ordering::Relaxed),
            probed,
            ONLINES.load(Ordering::Relaxed),
            OFFLINES.load(Ordering::Relaxed),
        );
    }
}
