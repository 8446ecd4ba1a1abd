// SPDX-License-Identifier: GPL-2.0

//! Test module for the memory block abstractions (`kernel::memory`, `kernel::sysfs`).
//!
//! While loaded it serves the memory block devices with a few files of its own, written with the
//! abstractions: `rust_phys_index` (read-only), `rust_state` (read-write: online and offline in the
//! lock order of `kernel::memory`), and on the memory root `rust_probe` (write-only: hot-add) and
//! `rust_probed` (read-only: how many blocks `rust_probe` added).
//! `tools/testing/memblock/rust-abstractions.sh` compares them with the built-in files.
//!
//! It is also the control of the compile-fail check: it takes the locks in the right order and
//! must build, while every case in `compile-fail/` takes them wrongly and must not.

use core::fmt::Write;
use kernel::memory::block::{MemoryBlock, Registration, StateRequest};
use kernel::memory::hotplug::{
    add_memory, phys_addr_to_nid, DeviceHotplugGuard, DeviceHotplugLocked, MemHotplugGuard,
};
use kernel::memory::{block_size_bytes, root_device};
use kernel::sysfs::{Attribute, AttributeOps, GroupRegistration, ShowBuffer};
use kernel::{attribute_group, attribute_groups, c_str, device::Device, prelude::*};

module! {
    type: MemblockRustTest,
    name: "memblock_rust_test",
    author: "Memory block provider developers",
    description: "Test module for the Rust memory block abstractions",
    license: "GPL",
}

struct PhysIndex;

#[vtable]
impl AttributeOps for PhysIndex {
    type Target = MemoryBlock;

    fn show(block: &MemoryBlock, buf: &mut ShowBuffer<'_>) -> Result {
        // C's phys_index: memory_block_id(start_section_nr), the block's id.
        Ok(writeln!(buf, "{:08x}", block.id())?)
    }
}

struct RustState;

#[vtable]
impl AttributeOps for RustState {
    type Target = MemoryBlock;

    fn show(block: &MemoryBlock, buf: &mut ShowBuffer<'_>) -> Result {
        let mut device_hotplug = DeviceHotplugGuard::lock_sysfs()?;
        let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
        let state = block.lock(&mut mem_hotplug).state();
        Ok(writeln!(buf, "{state}")?)
    }

    fn store(block: &MemoryBlock, input: &[u8]) -> Result<usize> {
        let request = StateRequest::parse(input)?;
        let mut device_hotplug = DeviceHotplugGuard::lock_sysfs()?;
        let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
        let mut locked = block.lock(&mut mem_hotplug);
        let changed = match request {
            StateRequest::Offline => locked.offline()?,
            StateRequest::Online(online_type) => locked.online(online_type)?,
        };
        // As the C driver: asking for the state a block is in is invalid.
        if !changed {
            return Err(EINVAL);
        }
        Ok(input.len())
    }
}

struct RustProbe;

/// How many blocks `rust_probe` added: state of the driver owned by the device hotplug lock.
static PROBED: DeviceHotplugLocked<u64> = DeviceHotplugLocked::new(0);

/// Parses an address as `kstrtoull(buf, 0, ...)` does: `0x` hexadecimal, `0` octal, decimal,
/// with one optional trailing newline.
fn parse_address(input: &[u8]) -> Result<u64> {
    let text = input.strip_suffix(b"\n").unwrap_or(input);
    let text = core::str::from_utf8(text).map_err(|_| EINVAL)?;
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    if digits.is_empty() || digits.starts_with('+') {
        return Err(EINVAL);
    }
    u64::from_str_radix(digits, radix).map_err(|_| EINVAL)
}

#[vtable]
impl AttributeOps for RustProbe {
    type Target = Device;

    fn store(_root: &Device, input: &[u8]) -> Result<usize> {
        let start = parse_address(input)?;
        let mut device_hotplug = DeviceHotplugGuard::lock_sysfs()?;
        add_memory(
            &mut device_hotplug,
            phys_addr_to_nid(start),
            start,
            block_size_bytes(),
        )?;
        *PROBED.get_mut(&mut device_hotplug) += 1;
        Ok(input.len())
    }
}

struct RustProbed;

#[vtable]
impl AttributeOps for RustProbed {
    type Target = Device;

    fn show(_root: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        let device_hotplug = DeviceHotplugGuard::lock_sysfs()?;
        Ok(writeln!(buf, "{}", PROBED.get(&device_hotplug))?)
    }
}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("rust_phys_index"));
static STATE: Attribute<RustState> = Attribute::read_write(c_str!("rust_state"));
static PROBE: Attribute<RustProbe> = Attribute::write_only(c_str!("rust_probe"));
static PROBED_COUNT: Attribute<RustProbed> = Attribute::read_only(c_str!("rust_probed"));

attribute_group!(static BLOCK_ATTRS: MemoryBlock = [PHYS_INDEX, STATE]);
attribute_groups!(static BLOCK_GROUPS: MemoryBlock = [BLOCK_ATTRS]);
attribute_group!(static ROOT_ATTRS: Device = [PROBE, PROBED_COUNT]);

struct MemblockRustTest {
    _root_files: GroupRegistration,
    _provider: Registration,
}

impl kernel::Module for MemblockRustTest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let provider = Registration::register_with_groups(
            c_str!("memblock_rust_test"),
            module,
            &BLOCK_GROUPS,
        )?;
        let root = root_device(&DeviceHotplugGuard::lock()).ok_or(ENODEV)?;
        let root_files = GroupRegistration::new(&root, &ROOT_ATTRS)?;
        pr_info!("serving the memory blocks\n");
        Ok(Self {
            _root_files: root_files,
            _provider: provider,
        })
    }
}
