// SPDX-License-Identifier: GPL-2.0

//! Must not compile with `--cfg wrong`: a writable file (mode 0644) whose type has no `store`.
//!
//! Without it (the control) the same file is read-only (0444) and builds.
//
// expect: error[E0080]
// expect: a writable attribute needs `store`

use core::fmt::Write;
use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
use kernel::{c_str, device::Device};

struct Name;

#[vtable]
impl AttributeOps for Name {
    type Target = Device;

    fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "memory")?)
    }
}

#[cfg(not(wrong))]
static NAME: Attribute<Name> = Attribute::read_only(c_str!("case_name"));
#[cfg(wrong)]
static NAME: Attribute<Name> = Attribute::read_write(c_str!("case_name"));

/// The case: what the module does at load.
fn case() -> Result {
    pr_info!("{:o}\n", NAME.mode());
    Ok(())
}

include!("module.rs");
