// SPDX-License-Identifier: GPL-2.0

//! Test module: a memory block provider whose module goes away without unregistering it.
//!
//! It registers itself as the memory block provider, serving every block's `phys_index` (as C's,
//! counting the reads), and its exit logs the count and leaves the registration registered, the
//! safe-Rust leak of `core::mem::forget(registration)` with the `Registration` of before. The
//! module's memory (the registration, the files, their callbacks) is then freed: the C side
//! unregisters the provider as the module goes, with a warning, and the built-in driver serves the
//! blocks again. `tools/testing/memblock/rust-abstractions.sh` loads and unloads it and reads every
//! file after: a call into the freed module (its memory is vmalloc'ed and unmapped when freed)
//! would oops, which the splat scan reports.

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::memory::block::{MemoryBlockFile, Operations, Registration, RootFiles};
use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
use kernel::{attribute_group, c_str, prelude::*};

module! {
    type: MemblockRustLeak,
    name: "memblock_rust_leak",
    author: "Memory block provider developers",
    description: "Test module: a memory block provider left registered when its module goes",
    license: "GPL",
}

static PHYS_INDEX_SHOWS: AtomicU64 = AtomicU64::new(0);

struct PhysIndex;

#[vtable]
impl AttributeOps for PhysIndex {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        PHYS_INDEX_SHOWS.fetch_add(1, Ordering::Relaxed);
        Ok(writeln!(buf, "{:08x}", block.id())?)
    }
}

static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("phys_index"));

attribute_group!(static BLOCK_FILES: MemoryBlockFile = [PHYS_INDEX]);

/// Everything else is the built-in driver's.
struct Ops;

#[vtable]
impl Operations for Ops {}

#[vtable]
impl RootFiles for Ops {}

/// Registered at load, never unregistered.
static PROVIDER: Registration<Ops> = Registration::new();

struct MemblockRustLeak;

impl kernel::Module for MemblockRustLeak {
    fn init(module: &'static ThisModule) -> Result<Self> {
        PROVIDER.register(module, c_str!("memblock_rust_leak"), Some(&BLOCK_FILES))?;
        Ok(Self)
    }
}

impl Drop for MemblockRustLeak {
    fn drop(&mut self) {
        pr_info!(
            "served phys_index show {}; going away with the provider registered\n",
            PHYS_INDEX_SHOWS.load(Ordering::Relaxed)
        );
    }
}
