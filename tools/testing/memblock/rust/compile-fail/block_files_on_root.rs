// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: files whose callbacks take a memory block given to serve
//! the files of a device that is not one (the memory root).
//!
//! Without it (the control) the same module gives the root files that take any device.
//
// expect: error[E0308]: mismatched types
// expect: expected `&AttributeGroup<Device>`, found `&AttributeGroup<MemoryBlockFile>`

use core::fmt::Write;
use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
use kernel::{attribute_group, c_str, device::Device};

struct PhysIndex;

#[vtable]
impl AttributeOps for PhysIndex {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "{:08x}", block.id())?)
    }
}

struct Ops;

#[vtable]
impl Operations for Ops {}

struct Name;

#[vtable]
impl AttributeOps for Name {
    type Target = Device;

    fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "134217728")?)
    }
}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("phys_index"));
static NAME: Attribute<Name> = Attribute::read_only(c_str!("auto_online_blocks"));
attribute_group!(static BLOCK_ATTRS: MemoryBlockFile = [PHYS_INDEX]);
attribute_group!(static ROOT_ATTRS: Device = [NAME]);

/// The case: what the module does at load.
fn case() -> Result {
    #[cfg(not(wrong))]
    let provider =
        Registration::<Ops>::register(None, c_str!("case"), Some(&BLOCK_ATTRS), Some(&ROOT_ATTRS))?;
    #[cfg(wrong)]
    let provider = Registration::<Ops>::register(
        None,
        c_str!("case"),
        Some(&BLOCK_ATTRS),
        Some(&BLOCK_ATTRS),
    )?;
    drop(provider);
    Ok(())
}

include!("module.rs");
