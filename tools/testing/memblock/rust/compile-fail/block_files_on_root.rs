// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: files whose callbacks take a memory block added to a
//! device that is not one (the memory root).
//!
//! Without it (the control) the same module adds files that take any device.
//
// expect: error[E0308]: mismatched types
// expect: expected `&AttributeGroup<Device>`, found `&AttributeGroup<MemoryBlock>`

use core::fmt::Write;
use kernel::memory::root_device;
use kernel::sysfs::{Attribute, AttributeOps, GroupRegistration, ShowBuffer};
use kernel::{attribute_group, c_str, device::Device};

struct PhysIndex;

#[vtable]
impl AttributeOps for PhysIndex {
    type Target = MemoryBlock;

    fn show(block: &MemoryBlock, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "{:08x}", block.id())?)
    }
}

struct Name;

#[vtable]
impl AttributeOps for Name {
    type Target = Device;

    fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "memory")?)
    }
}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("case_phys_index"));
static NAME: Attribute<Name> = Attribute::read_only(c_str!("case_name"));
attribute_group!(static BLOCK_ATTRS: MemoryBlock = [PHYS_INDEX]);
attribute_group!(static ROOT_ATTRS: Device = [NAME]);

/// The case: what the module does at load.
fn case() -> Result {
    let root = root_device(&DeviceHotplugGuard::lock()).ok_or(ENODEV)?;
    #[cfg(not(wrong))]
    let files = GroupRegistration::new(&root, &ROOT_ATTRS)?;
    #[cfg(wrong)]
    let files = GroupRegistration::new(&root, &BLOCK_ATTRS)?;
    drop(files);
    Ok(())
}

include!("module.rs");
