// SPDX-License-Identifier: GPL-2.0

//! A Rust implementation of the memory block driver of `drivers/base/memory.c`.
//!
//! While it is loaded, it serves `/sys/devices/system/memory` in place of the built-in driver:
//!
//! - every block's `phys_index`, `state`, `phys_device`, `removable` and `valid_zones` files;
//! - the memory root's `probe`, `auto_online_blocks`, `soft_offline_page` and
//!   `hard_offline_page` files;
//! - the online and offline of every block, whatever asks: its `state` and `online` files,
//!   auto-online after a hot-add, ACPI eject, virtio-mem, `offline_and_remove_memory()`.
//!
//! The devices and what the driver core gives them (`online`, `uevent`, `subsystem`, the node
//! links) stay, and so do `block_size_bytes` and `crash_hotplug`: userspace sees no change when
//! the module is loaded or unloaded, and the built-in driver serves again after it.
//!
//! Every online, offline and probe takes the device hotplug lock, the memory hotplug lock and the
//! block's device lock in this order, the order of memory hot-add (see `kernel::memory`).

use core::fmt::Write;
#[cfg(CONFIG_MEMORY_FAILURE)]
use kernel::memory::failure::{self, HardOfflineRequest, SoftOfflineRequest};
use kernel::memory::{
    block::{
        MemoryBlockFile, Offlined, OnlineType, Onlined, Operations, Refused, Registration,
        RootFiles, State, StateRequest, ToOffline, ToOnline,
    },
    hotplug::{self, AutoOnlineRequest, DeviceHotplugGuard, ProbeRequest},
};
use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer, Writer};
use kernel::{attribute_group, c_str, prelude::*};

module! {
    type: RustMemoryBlock,
    name: "rust_memory_block",
    author: "Memory block provider developers",
    description: "Rust memory block driver",
    license: "GPL",
}

/// The block's index, relative to the block size.
struct PhysIndex;

#[vtable]
impl AttributeOps for PhysIndex {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "{:08x}", block.id())?)
    }
}

/// Legacy: every block is "removable" if memory can be hot-removed at all.
struct Removable;

#[vtable]
impl AttributeOps for Removable {
    type Target = MemoryBlockFile;

    fn show(_block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(
            buf,
            "{}",
            u8::from(cfg!(CONFIG_MEMORY_HOTREMOVE))
        )?)
    }
}

/// `online`, `offline` or `going-offline`; written, it onlines or offlines the block.
struct BlockState;

#[vtable]
impl AttributeOps for BlockState {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "{}", block.state())?)
    }

    fn store(block: &MemoryBlockFile, input: &CStr, writer: &Writer<'_>) -> Result {
        let request = StateRequest::parse(input)?;
        let changed = DeviceHotplugGuard::with_sysfs(writer, |device_hotplug| {
            device_hotplug.with_mem_hotplug(|mem_hotplug| {
                block.with_lock(mem_hotplug, |block| match request {
                    StateRequest::Online(online_type) => block.online(online_type),
                    StateRequest::Offline => block.offline(),
                })
            })
        })?;
        // Asking for the state the block is in is invalid.
        if !changed {
            return Err(EINVAL);
        }
        Ok(())
    }
}

/// Legacy: the storage increment of the block (s390 only, 0 elsewhere).
struct PhysDevice;

#[vtable]
impl AttributeOps for PhysDevice {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "{}", block.phys_device())?)
    }
}

/// The zone an online block is in, or the zones an offline one can be onlined to, the default
/// one first.
#[cfg(CONFIG_MEMORY_HOTREMOVE)]
struct ValidZones;

#[cfg(CONFIG_MEMORY_HOTREMOVE)]
#[vtable]
impl AttributeOps for ValidZones {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        if block.state() == State::Online {
            // Boot memory can span zones: it has none, and cannot be offlined.
            return match block.zone() {
                Some(zone) => Ok(writeln!(buf, "{}", zone.name())?),
                None => Ok(writeln!(buf, "none")?),
            };
        }
        let default = block.zone_for(OnlineType::Online)?;
        write!(buf, "{}", default.name())?;
        for online_type in [OnlineType::Kernel, OnlineType::Movable] {
            let zone = block.zone_for(online_type)?;
            if zone != default {
                write!(buf, " {}", zone.name())?;
            }
        }
        Ok(writeln!(buf)?)
    }
}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("phys_index"));
static STATE: Attribute<BlockState> = Attribute::read_write(c_str!("state"));
static PHYS_DEVICE: Attribute<PhysDevice> = Attribute::read_only(c_str!("phys_device"));
static REMOVABLE: Attribute<Removable> = Attribute::read_only(c_str!("removable"));
#[cfg(CONFIG_MEMORY_HOTREMOVE)]
static VALID_ZONES: Attribute<ValidZones> = Attribute::read_only(c_str!("valid_zones"));

attribute_group!(static BLOCK_FILES: MemoryBlockFile = [
    PHYS_INDEX,
    STATE,
    PHYS_DEVICE,
    REMOVABLE,
    #[cfg(CONFIG_MEMORY_HOTREMOVE)]
    VALID_ZONES,
]);

/// The driver's registration as the memory block provider: owned by the module.
static PROVIDER: Registration<RustMemoryBlock> = Registration::new();

struct RustMemoryBlock;

#[vtable]
impl Operations for RustMemoryBlock {
    fn online(block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
        block.prepare_online()?.online_pages()
    }

    fn offline(block: ToOffline<'_>) -> Result<Offlined<'_>, Refused<'_>> {
        block.start_offline()?.offline_pages()
    }
}

#[vtable]
impl RootFiles for RustMemoryBlock {
    /// Hot-adds the block at the physical address written (for architectures whose firmware does
    /// not announce hot-added memory, and for testing).
    #[cfg(CONFIG_ARCH_MEMORY_PROBE)]
    fn probe(request: ProbeRequest<'_>) -> Result {
        DeviceHotplugGuard::with_sysfs(request.writer(), |device_hotplug| {
            hotplug::probe(device_hotplug, request).map(|_| ())
        })
    }

    /// Migrates the contents of the page at the physical address written, and retires the page.
    #[cfg(CONFIG_MEMORY_FAILURE)]
    fn soft_offline_page(request: SoftOfflineRequest<'_>) -> Result {
        failure::soft_offline_page(request)
    }

    /// Retires the page at the physical address written as a hardware memory error would,
    /// killing the tasks that use it.
    #[cfg(CONFIG_MEMORY_FAILURE)]
    fn hard_offline_page(request: HardOfflineRequest<'_>) -> Result {
        failure::memory_failure(request)
    }

    /// How hot-added blocks are onlined: `offline`, `online`, `online_kernel` or
    /// `online_movable`.
    fn show_auto_online_blocks(buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "{}", hotplug::auto_online_type())?)
    }

    fn store_auto_online_blocks(request: AutoOnlineRequest<'_>) -> Result {
        hotplug::set_auto_online_type(request);
        Ok(())
    }
}

impl kernel::Module for RustMemoryBlock {
    fn init(module: &'static ThisModule) -> Result<Self> {
        PROVIDER.register(module, c_str!("rust_memory_block"), Some(&BLOCK_FILES))?;
        pr_info!("serving the memory blocks\n");
        Ok(Self)
    }
}

impl Drop for RustMemoryBlock {
    fn drop(&mut self) {
        // Module exit runs in no callback and holds no lock: nothing refuses it.
        match PROVIDER.unregister() {
            Ok(()) => pr_info!("memory blocks given back to the built-in driver\n"),
            Err(e) => pr_warn!("unregister: {:?}\n", e),
        }
    }
}
