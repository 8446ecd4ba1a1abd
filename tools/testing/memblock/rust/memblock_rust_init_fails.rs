// SPDX-License-Identifier: GPL-2.0

//! Test module: an init that fails after registering its provider, with a callback of the
//! provider in flight, while a work item of the module registers a second provider.
//!
//! The module's init registers the provider, which serves every block's `state`, and waits for a
//! write to one (the test makes it). The write's `store` waits for the work item to have run
//! (`flush_work()`), so that the C side, unregistering the provider as the failed module goes,
//! waits for it, and the module's memory is freed only once it returned. Meanwhile the work
//! item registers a second provider of the module, from outside any callback: the C side must
//! refuse it (`ENODEV`, the module is going away), or it would stay registered after the module's
//! memory is freed. `tools/testing/memblock/rust-abstractions.sh` checks the log and reads every
//! file after.

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;
use kernel::memory::block::{MemoryBlockFile, Operations, Registration, RootFiles};
use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer, Writer};
use kernel::types::Opaque;
use kernel::{attribute_group, c_str, prelude::*};

module! {
    type: MemblockRustInitFails,
    name: "memblock_rust_init_fails",
    author: "Memory block provider developers",
    description: "Test module: a failed init with a provider callback in flight",
    license: "GPL",
}

static STORE_STARTED: AtomicBool = AtomicBool::new(false);
static QUEUED: AtomicBool = AtomicBool::new(false);

/// The work item, with its lockdep key, in the module's static memory: the store flushes it, so
/// that it has returned before the module's memory can be freed.
struct StaticWork {
    work: Opaque<bindings::work_struct>,
    key: Opaque<bindings::lock_class_key>,
}

// SAFETY: The work item is touched only by `init` (before it is queued) and through the
// workqueue functions, which synchronize; the key only by lockdep.
unsafe impl Sync for StaticWork {}

static WORK: StaticWork = StaticWork {
    work: Opaque::uninit(),
    key: Opaque::uninit(),
};

/// The work item: registers a second provider once the init has failed.
///
/// # Safety
///
/// Called by the workqueue, for `WORK`, in process context.
unsafe extern "C" fn register_second(_work: *mut bindings::work_struct) {
    // By now the init has failed, and the module is going away.
    // SAFETY: A work item: process context.
    unsafe { bindings::msleep(1000) };
    match SECOND.register(
        &THIS_MODULE,
        c_str!("memblock_rust_init_fails_second"),
        Some(&BLOCK_FILES),
    ) {
        Ok(()) => pr_info!("second provider registered as the module goes\n"),
        Err(e) if e == ENODEV => pr_info!("second provider refused: ENODEV\n"),
        Err(e) => pr_info!("second provider refused: {}\n", e.to_errno()),
    }
}

/// Sleeps until `flag` is set, for at most `ms` milliseconds; returns whether it was set.
fn wait_for(flag: &AtomicBool, ms: u32) -> bool {
    for _ in 0..ms / 10 {
        if flag.load(Ordering::Acquire) {
            return true;
        }
        // SAFETY: Process context (module init, a sysfs store, a work item): it may sleep.
        unsafe { bindings::msleep(10) };
    }
    flag.load(Ordering::Acquire)
}

struct State;

#[vtable]
impl AttributeOps for State {
    type Target = MemoryBlockFile;

    fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
        Ok(writeln!(buf, "{}", block.state())?)
    }

    /// Holds the provider's callback in flight until the work item has run, then refuses.
    fn store(_block: &MemoryBlockFile, _input: &CStr, _writer: &Writer<'_>) -> Result {
        STORE_STARTED.store(true, Ordering::Release);
        if wait_for(&QUEUED, 20_000) {
            // SAFETY: `init` initialized and queued the work item before it set `QUEUED`.
            unsafe { bindings::flush_work(WORK.work.get()) };
        }
        Err(EBUSY)
    }
}

static STATE: Attribute<State> = Attribute::read_write(c_str!("state"));

attribute_group!(static BLOCK_FILES: MemoryBlockFile = [STATE]);

struct Ops;

#[vtable]
impl Operations for Ops {}

#[vtable]
impl RootFiles for Ops {}

static PROVIDER: Registration<Ops> = Registration::new();
/// Registered by the work item while the module goes away.
static SECOND: Registration<Ops> = Registration::new();

struct MemblockRustInitFails;

impl kernel::Module for MemblockRustInitFails {
    fn init(module: &'static ThisModule) -> Result<Self> {
        PROVIDER.register(
            module,
            c_str!("memblock_rust_init_fails"),
            Some(&BLOCK_FILES),
        )?;
        pr_info!("registered; waiting for a write to a block's state\n");
        if !wait_for(&STORE_STARTED, 20_000) {
            pr_info!("no write came\n");
            PROVIDER.unregister()?;
            return Err(EAGAIN);
        }
        // SAFETY: The work item and its key are static, not queued yet (this init runs once);
        // the function is a work function.
        unsafe {
            bindings::init_work_with_key(
                WORK.work.get(),
                Some(register_second),
                false,
                c_str!("memblock_rust_init_fails").as_char_ptr(),
                WORK.key.get(),
            );
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as _,
                bindings::system_wq,
                WORK.work.get(),
            );
        }
        QUEUED.store(true, Ordering::Release);
        pr_info!("failing the init with the store in flight\n");
        Err(EAGAIN)
    }
}
