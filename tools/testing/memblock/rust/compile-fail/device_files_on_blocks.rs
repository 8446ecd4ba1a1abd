// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: files whose callbacks take any device given to serve the
//! files of the memory blocks (they would be given a block as if it were another device type).
//!
//! Without it (the control) the same module gives the blocks files that take a memory block.
//
// expect: error[E0308]: mismatched types
// expect: expected `&AttributeGroup<MemoryBlockFile>`, found `&AttributeGroup<Device>`

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

struct Name;

#[vtable]
impl AttributeOps for Name {
    type Target = Device;

    fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "00000000")?)
    }
}

struct Ops;

#[vtable]
impl Operations for Ops {}

#[vtable]
impl RootFiles for Ops {}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("phys_index"));
static NAME: Attribute<Name> = Attribute::read_only(c_str!("phys_index"));

attribute_group!(static BLOCK_ATTRS: MemoryBlockFile = [PHYS_INDEX]);
attribute_group!(static DEVICE_ATTRS: Device = [NAME]);

static PROVIDER: Registration<Ops> = Registration::new();

/// The case: what the module does at load.
fn case() -> Result {
    #[cfg(not(wrong))]
    PROVIDER.register(&THIS_MODULE, c_str!("case"), Some(&BLOCK_ATTRS))?;
    #[cfg(wrong)]
    PROVIDER.register(&THIS_MODULE, c_str!("case"), Some(&DEVICE_ATTRS))?;
    #[cfg(not(wrong))]
    let _ = &DEVICE_ATTRS;
    PROVIDER.unregister()
}

include!("module.rs");
