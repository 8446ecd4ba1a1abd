// SPDX-License-Identifier: GPL-2.0

//! Memory block devices (`/sys/devices/system/memory/memoryN`), their device lock, and the
//! provider that serves them.
//!
//! C header: [`include/linux/memory.h`](srctree/include/linux/memory.h)

use super::hotplug::{AutoOnlineRequest, DeviceHotplugGuard, MemHotplugGuard, ProbeRequest};
use crate::{
    bindings,
    device::Device,
    error::{code::*, to_result, Error, Result},
    str::CStr,
    sysfs::{store_result, AttributeGroup, DeviceContainer, ShowBuffer, Writer},
    types::{ARef, AlwaysRefCounted, Opaque},
    ThisModule,
};
use core::{
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{AtomicU8, Ordering},
};

/// A memory block device: the C `struct memory_block`, the device of `memoryN`.
///
/// Its allocation is the C layout itself, so the memory hotplug code and the node code, which
/// read and write its fields, find them where they expect. Its life is that of the embedded
/// `struct device`: it is reference counted, and freed by the device's release function.
///
/// The fields that change (state, zone, node) are changed under the block's device lock, which
/// [`MemoryBlock::with_lock`] takes in the order of [`crate::memory`].
///
/// # Invariants
///
/// The inner `struct memory_block` was registered on the memory subsystem, and its device's
/// reference count is not zero. A block that was removed since (memory hot-remove) stays
/// allocated while referenced, but the operations of [`BlockGuard`] refuse it.
///
/// # Examples
///
/// ```
/// use kernel::memory::{block::MemoryBlock, block_size_bytes, hotplug::DeviceHotplugGuard};
///
/// // The block of physical address 0, where there is one.
/// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
/// // not hold the lock.
/// let block = unsafe { DeviceHotplugGuard::with(|guard| MemoryBlock::find(guard, 0)) };
/// if let Some(block) = block {
///     assert_eq!(block.id(), 0);
///     assert_eq!(block.phys_start(), 0);
///     assert!(block.phys_start() % block_size_bytes() == 0);
/// }
/// ```
#[repr(transparent)]
pub struct MemoryBlock(Opaque<bindings::memory_block>);

// SAFETY: The fields a shared reference reads without a lock either do not change once the block
// is registered (`start_section_nr`, the device id) or are read once, volatile, as C reads them
// (`state`, `zone`, and `nid` and `group` only from a callback of the block's own file); they are
// written only under the block's device lock (volatile for `state` and `zone`). The rest is
// reached through a `BlockGuard` or an operation's `ToOnline` or `ToOffline`, under the locks,
// which any task may take.
unsafe impl Sync for MemoryBlock {}

// SAFETY: The block is reference counted through its device, whose release may run on any task.
unsafe impl Send for MemoryBlock {}

// SAFETY: The reference count is that of the embedded device, which keeps the block allocated.
unsafe impl AlwaysRefCounted for MemoryBlock {
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the count is not zero.
        unsafe { bindings::get_device(self.raw_device()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it holds.
        unsafe { bindings::put_device(core::ptr::addr_of_mut!((*obj.as_ref().0.get()).dev)) };
    }
}

/// A memory block as the callbacks of its own files see it (the target of a provider's
/// `block_files`): while such a callback runs, the block cannot be removed (removing it waits for
/// the callbacks of its files), so what it points to (its memory group) stays alive without a
/// lock, as the built-in driver's files rely on.
///
/// It is a [`MemoryBlock`] (it dereferences to one), and only the callbacks are given one.
///
/// # Invariants
///
/// The block is one whose file's callback is running, for the lifetime of the reference.
#[repr(transparent)]
pub struct MemoryBlockFile(MemoryBlock);

impl core::ops::Deref for MemoryBlockFile {
    type Target = MemoryBlock;

    fn deref(&self) -> &MemoryBlock {
        &self.0
    }
}

// SAFETY: `from_device` goes from the device to the `struct memory_block` that embeds it, which
// is freed only when the device is.
unsafe impl DeviceContainer for MemoryBlockFile {
    unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: The caller guarantees that `dev` is the device of a live memory block, alive
        // for `'a`: the file callbacks that call this run for a file of that block, which cannot
        // be removed meanwhile (the invariant). `MemoryBlockFile` and `MemoryBlock` are
        // `repr(transparent)` over the C struct.
        unsafe { &*crate::container_of!(dev, bindings::memory_block, dev).cast::<Self>() }
    }
}

impl MemoryBlockFile {
    /// Returns the zone the block's memory would go to if it were onlined as `online_type` asks
    /// (`zone_for_pfn_range()`), computed without a lock as the `valid_zones` file of the
    /// built-in driver does: the answer may be stale by the time it is used.
    ///
    /// Fails with `EINVAL` if there is no such zone (`zone_for_pfn_range()` always finds one).
    pub fn zone_for(&self, online_type: OnlineType) -> Result<&'static Zone> {
        let mem = self.0 .0.get();
        // SAFETY: The block is live; its node and group are aligned values read once each, as
        // the built-in driver reads them.
        let (nid, group) = unsafe {
            (
                core::ptr::addr_of!((*mem).nid).read_volatile(),
                core::ptr::addr_of!((*mem).group).read_volatile(),
            )
        };
        let nr_pages = super::block_size_bytes() >> crate::page::PAGE_SHIFT;
        // SAFETY: The node is the block's, an online node. The group is NULL or the block's
        // group, which its owner unregisters (frees) only after the block's removal returned;
        // that removal waits for the callbacks of the block's files, one of which is running (the
        // type invariant). The range is the block's.
        let zone = unsafe {
            bindings::zone_for_pfn_range(
                online_type as u32,
                nid,
                group,
                self.start_pfn() as _,
                nr_pages as _,
            )
        };
        // SAFETY: `zone_for_pfn_range()` returns a zone of the node, never freed.
        unsafe { Zone::from_raw(zone) }.ok_or(EINVAL)
    }
}

impl MemoryBlock {
    /// Returns the block with index `id` (`memoryID`), if present.
    ///
    /// The device hotplug guard keeps the block from being removed while it is looked up.
    pub fn find(_device_hotplug: &DeviceHotplugGuard, id: usize) -> Option<ARef<Self>> {
        let sections = super::block_size_bytes() >> bindings::SECTION_SIZE_BITS;
        Self::find_section((id as u64).checked_mul(sections)?)
    }

    /// Returns the block that holds section `section`, if present; the caller holds the device
    /// hotplug lock.
    pub(super) fn find_section(section: u64) -> Option<ARef<Self>> {
        // SAFETY: The function has no preconditions; it returns the block with a new reference.
        let mem = unsafe { bindings::find_memory_block(section as _) };
        // SAFETY: `find_memory_block()` took a reference for us, and the block is registered.
        NonNull::new(mem.cast::<Self>()).map(|mem| unsafe { ARef::from_raw(mem) })
    }

    fn raw_device(&self) -> *mut bindings::device {
        // SAFETY: `self.0` is a valid `struct memory_block`.
        unsafe { core::ptr::addr_of_mut!((*self.0.get()).dev) }
    }

    /// Returns the block's device.
    pub fn device(&self) -> &Device {
        // SAFETY: The device lives as long as the block.
        unsafe { Device::as_ref(self.raw_device()) }
    }

    /// Returns the block's state, read without a lock as the `state` file of the built-in driver
    /// does: it may change at any time unless the block's device lock is held (see
    /// [`BlockGuard::state`]).
    pub fn state(&self) -> State {
        // SAFETY: The block is live. The state is an aligned `u32` written under the block's
        // device lock; a volatile read gives one value it had, as C's `READ_ONCE()` does.
        State::from_raw(unsafe { core::ptr::addr_of!((*self.0.get()).state).read_volatile() })
    }

    /// Returns the block's index, N of `memoryN` and the value of its `phys_index` file (the
    /// first section divided by the sections per block).
    pub fn id(&self) -> usize {
        // SAFETY: The id is set before the block is registered and never changes.
        unsafe { (*self.0.get()).dev.id as usize }
    }

    /// Returns the first memory section of the block (not `phys_index`: see [`MemoryBlock::id`]).
    pub fn start_section_nr(&self) -> u64 {
        // SAFETY: The field is set before the block is registered and never changes.
        unsafe { (*self.0.get()).start_section_nr as u64 }
    }

    /// Returns the block's first physical address.
    pub fn phys_start(&self) -> u64 {
        self.start_section_nr() << bindings::SECTION_SIZE_BITS
    }

    fn start_pfn(&self) -> u64 {
        self.phys_start() >> crate::page::PAGE_SHIFT
    }

    /// Returns the number of the physical device the block belongs to, as its `phys_device`
    /// file shows it (`arch_get_memory_phys_device()`: 0 except on s390).
    pub fn phys_device(&self) -> i32 {
        // SAFETY: The function has no preconditions.
        unsafe { bindings::arch_get_memory_phys_device(self.start_pfn() as _) }
    }

    /// Returns the zone the block's memory is online in, read without a lock as the
    /// `valid_zones` file of the built-in driver does; `None` if it is not online, or spans
    /// zones (boot memory).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::memory::block::{MemoryBlock, State};
    /// use kernel::memory::hotplug::DeviceHotplugGuard;
    ///
    /// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
    /// // not hold the lock.
    /// let block = unsafe { DeviceHotplugGuard::with(|guard| MemoryBlock::find(guard, 0)) };
    /// if let Some(block) = block {
    ///     if block.state() == State::Offline {
    ///         assert!(block.zone().is_none());
    ///     }
    /// }
    /// ```
    pub fn zone(&self) -> Option<&'static Zone> {
        // SAFETY: The block is live. The zone is an aligned pointer written under the block's
        // device lock; a volatile read gives one value it had, as C's `READ_ONCE()` does.
        let zone = unsafe { core::ptr::addr_of!((*self.0.get()).zone).read_volatile() };
        // SAFETY: A block's zone is NULL or a zone of a node, never freed.
        unsafe { Zone::from_raw(zone) }
    }

    /// Runs `f` with the block's device lock held, which only a task that holds the memory hotplug
    /// lock may take; the lock is released when `f` returns.
    ///
    /// `mem_hotplug` is borrowed mutably while `f` runs, so `f` cannot take a second block lock
    /// (nor the same one twice), and it is given the [`BlockGuard`] by mutable reference only: it
    /// cannot leak it, nor keep it past the call.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::memory::block::{MemoryBlock, State};
    /// use kernel::memory::hotplug::DeviceHotplugGuard;
    ///
    /// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
    /// // not hold the lock.
    /// unsafe {
    ///     DeviceHotplugGuard::with(|device_hotplug| {
    ///         if let Some(block) = MemoryBlock::find(device_hotplug, 0) {
    ///             device_hotplug.with_mem_hotplug(|mem_hotplug| {
    ///                 block.with_lock(mem_hotplug, |locked| {
    ///                     // The state cannot change while the lock is held.
    ///                     assert_eq!(locked.state(), block.state());
    ///                     assert_eq!(locked.is_online(), locked.state() != State::Offline);
    ///                 })
    ///             });
    ///         }
    ///     })
    /// };
    /// ```
    pub fn with_lock<R>(
        &self,
        mem_hotplug: &mut MemHotplugGuard,
        f: impl FnOnce(&mut BlockGuard<'_>) -> R,
    ) -> R {
        // The guard is dropped at the end of this function, while `mem_hotplug` is borrowed.
        let mut guard = BlockGuard::lock(self, mem_hotplug);
        f(&mut guard)
    }
}

/// The state of a memory block (`enum memory_block_state`); it displays as the `state` file of
/// the built-in driver shows it.
///
/// # Examples
///
/// ```
/// use core::fmt::Write;
/// use kernel::memory::block::State;
/// use kernel::sysfs::ShowBuffer;
///
/// let mut page = [0u8; 64];
/// let mut buf = ShowBuffer::new(&mut page);
/// for state in [State::Online, State::GoingOffline, State::Offline, State::Other(8)] {
///     write!(buf, "{state} ")?;
/// }
/// assert_eq!(buf.as_bytes(), b"online going-offline offline ERROR-UNKNOWN-8 ");
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// `online`.
    Online,
    /// `going-offline`: being offlined.
    GoingOffline,
    /// `offline`.
    Offline,
    /// A value the C enum has only during notifications (shown as `ERROR-UNKNOWN-<value>`).
    Other(u32),
}

impl core::fmt::Display for State {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Online => f.write_str("online"),
            Self::GoingOffline => f.write_str("going-offline"),
            Self::Offline => f.write_str("offline"),
            Self::Other(state) => write!(f, "ERROR-UNKNOWN-{state}"),
        }
    }
}

impl State {
    fn from_raw(state: u32) -> Self {
        match state {
            bindings::memory_block_state_MEM_ONLINE => Self::Online,
            bindings::memory_block_state_MEM_GOING_OFFLINE => Self::GoingOffline,
            bindings::memory_block_state_MEM_OFFLINE => Self::Offline,
            other => Self::Other(other),
        }
    }
}

/// A memory zone of a node (`struct zone`), such as `Normal` or `Movable`: where the pages of an
/// online block are.
///
/// Zones are part of their node's `pglist_data`, which is never freed (a node that is
/// hot-removed keeps it for when it comes back), hence the `'static` references to them.
///
/// # Invariants
///
/// The inner `struct zone` is a zone of a node's `pglist_data`.
#[repr(transparent)]
pub struct Zone(Opaque<bindings::zone>);

// SAFETY: Only the zone's name is read, which never changes.
unsafe impl Sync for Zone {}

impl Zone {
    /// Returns the zone `zone` points to, or `None` if it is NULL.
    ///
    /// # Safety
    ///
    /// `zone` must be NULL or point to a zone of a node.
    unsafe fn from_raw(zone: *mut bindings::zone) -> Option<&'static Self> {
        // SAFETY: By the caller's guarantee, the zone is never freed; `Zone` is transparent.
        NonNull::new(zone).map(|zone| unsafe { &*zone.as_ptr().cast::<Self>() })
    }

    fn as_raw(&self) -> *mut bindings::zone {
        self.0.get()
    }

    /// Returns the zone's name (`Normal`, `Movable`, ...), as `valid_zones` shows it.
    pub fn name(&self) -> &'static CStr {
        // SAFETY: The name is set at boot to a `'static` string (`zone_names[]`) and never
        // changes.
        unsafe { CStr::from_char_ptr((*self.as_raw()).name) }
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for Zone {}

/// How to online a block: the zone its memory goes to (`enum mmop`).
///
/// # Examples
///
/// ```
/// use kernel::memory::block::{OnlineType, StateRequest};
///
/// let request = StateRequest::parse(kernel::c_str!("online_kernel\n"))?;
/// assert_eq!(request, StateRequest::Online(OnlineType::Kernel));
/// assert_ne!(OnlineType::Kernel, OnlineType::Movable);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum OnlineType {
    /// `online`: the zone the kernel picks (the default zone, or movable if configured).
    Online = bindings::mmop_MMOP_ONLINE,
    /// `online_kernel`: a kernel zone (`ZONE_NORMAL` on x86-64).
    Kernel = bindings::mmop_MMOP_ONLINE_KERNEL,
    /// `online_movable`: `ZONE_MOVABLE`, which can be offlined again.
    Movable = bindings::mmop_MMOP_ONLINE_MOVABLE,
}

/// What a write to a block's `state` file asks for.
///
/// See [`StateRequest::parse`] for examples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateRequest {
    /// `offline`.
    Offline,
    /// `online`, `online_kernel` or `online_movable`.
    Online(OnlineType),
}

impl core::fmt::Display for StateRequest {
    /// As the built-in driver writes it (`online_type_to_str[]`).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Offline => "offline",
            Self::Online(OnlineType::Online) => "online",
            Self::Online(OnlineType::Kernel) => "online_kernel",
            Self::Online(OnlineType::Movable) => "online_movable",
        })
    }
}

impl StateRequest {
    pub(super) fn from_mmop(mmop: bindings::mmop) -> Self {
        match mmop {
            bindings::mmop_MMOP_ONLINE => Self::Online(OnlineType::Online),
            bindings::mmop_MMOP_ONLINE_KERNEL => Self::Online(OnlineType::Kernel),
            bindings::mmop_MMOP_ONLINE_MOVABLE => Self::Online(OnlineType::Movable),
            _ => Self::Offline,
        }
    }

    pub(super) fn to_mmop(self) -> bindings::mmop {
        match self {
            Self::Offline => bindings::mmop_MMOP_OFFLINE,
            Self::Online(online_type) => online_type as bindings::mmop,
        }
    }

    /// Parses what was written to `state` (or `auto_online_blocks`) with the kernel's parser,
    /// `mhp_online_type_from_str()`: the input may have one trailing newline.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::c_str;
    /// use kernel::memory::block::{OnlineType, StateRequest};
    ///
    /// assert_eq!(StateRequest::parse(c_str!("offline\n")), Ok(StateRequest::Offline));
    /// assert_eq!(
    ///     StateRequest::parse(c_str!("online_movable")),
    ///     Ok(StateRequest::Online(OnlineType::Movable))
    /// );
    /// assert_eq!(StateRequest::parse(c_str!("online\n\n")), Err(EINVAL));
    /// assert_eq!(StateRequest::parse(c_str!("Online")), Err(EINVAL));
    /// assert_eq!(StateRequest::parse(c_str!("")), Err(EINVAL));
    /// ```
    #[inline(never)]
    pub fn parse(input: &CStr) -> Result<Self> {
        // SAFETY: `input` is a NUL-terminated string; the function only reads it.
        let mmop = unsafe { bindings::mhp_online_type_from_str(input.as_char_ptr()) };
        if mmop < 0 {
            return Err(EINVAL);
        }
        Ok(Self::from_mmop(mmop as bindings::mmop))
    }
}

/// Proof that this task holds a memory block's device lock, taken with the memory hotplug lock
/// held: what [`MemoryBlock::with_lock`] lends its closure, which cannot leak it.
///
/// The operations that change a block (online, offline) are methods of the guard.
///
/// # Invariants
///
/// The task that created the guard holds the device lock of `block` (taken with
/// `memory_block_lock()`), the memory hotplug lock and the device hotplug lock, until the guard
/// is dropped by the function that created it.
///
/// # Examples
///
/// ```
/// use kernel::memory::block::MemoryBlock;
/// use kernel::memory::hotplug::DeviceHotplugGuard;
///
/// // SAFETY: The KUnit thread is not a sysfs callback nor a provider's operation, and does
/// // not hold the lock.
/// unsafe {
///     DeviceHotplugGuard::with(|device_hotplug| {
///         if let Some(block) = MemoryBlock::find(device_hotplug, 0) {
///             device_hotplug.with_mem_hotplug(|mem_hotplug| {
///                 block.with_lock(mem_hotplug, |locked| {
///                     assert_eq!(locked.block().id(), 0);
///                     assert!(locked.nid() >= 0);
///                 })
///             });
///         }
///     })
/// };
/// ```
pub struct BlockGuard<'a> {
    block: &'a MemoryBlock,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> BlockGuard<'a> {
    /// Takes the lock, for [`MemoryBlock::with_lock`], whose caller drops the guard while
    /// `mem_hotplug` is borrowed.
    #[inline(never)]
    fn lock(block: &'a MemoryBlock, mem_hotplug: &mut MemHotplugGuard) -> Self {
        let _ = mem_hotplug;
        // SAFETY: The block is live; the memory hotplug lock is held by this task, so the order
        // is that of memory hot-add, which lockdep checks.
        unsafe { bindings::memory_block_lock(block.0.get()) };
        // INVARIANT: The device lock was just taken by this task.
        Self {
            block,
            _not_send: PhantomData,
        }
    }

    /// Returns the locked block.
    pub fn block(&self) -> &MemoryBlock {
        self.block
    }

    fn raw(&self) -> *mut bindings::memory_block {
        self.block.0.get()
    }

    /// Returns the block's state.
    pub fn state(&self) -> State {
        // SAFETY: The state is written under the device lock, which this task holds.
        State::from_raw(unsafe { (*self.raw()).state })
    }

    /// Returns `true` if the block's device is online (`online` in sysfs).
    pub fn is_online(&self) -> bool {
        // SAFETY: `offline` is written under the device lock, which this task holds.
        unsafe { !(*self.raw()).dev.offline() }
    }

    /// Returns the node of the block's memory.
    pub fn nid(&self) -> i32 {
        // SAFETY: The node is written under the memory hotplug lock, which this task holds.
        unsafe { (*self.raw()).nid }
    }

    /// Fails with `ENODEV` if the block is no longer the memory subsystem's block for its range:
    /// it was removed since it was looked up.
    fn check_current(&self) -> Result {
        // Blocks are added and removed only with the device hotplug lock held, which this task
        // holds: the answer stays true while the guard lives.
        match MemoryBlock::find_section(self.block.start_section_nr()) {
            Some(current) if core::ptr::eq(&*current, self.block) => Ok(()),
            _ => Err(ENODEV),
        }
    }

    /// Onlines the block (what `device_online()` does for it, with the locks held): the
    /// provider's [`Operations::online`] if a provider with one serves the blocks, the built-in
    /// driver's otherwise.
    ///
    /// Returns `Ok(false)` if it was online already, without changing it; fails with `ENODEV` if
    /// the block was removed since it was looked up.
    pub fn online(&mut self, online_type: OnlineType) -> Result<bool> {
        self.check_current()?;
        // SAFETY: By the type invariant this task holds the device hotplug lock, the memory
        // hotplug lock and the block's device lock, in this order, as the function requires.
        let ret =
            unsafe { bindings::memory_block_device_online_locked(self.raw(), online_type as u32) };
        to_result(ret)?;
        Ok(ret == 0)
    }

    /// Offlines the block (what `device_offline()` does for it, with the locks held), as
    /// [`BlockGuard::online`] onlines it.
    ///
    /// Returns `Ok(false)` if it was offline already, without changing it; fails with `ENODEV` if
    /// the block was removed since it was looked up.
    pub fn offline(&mut self) -> Result<bool> {
        self.check_current()?;
        // SAFETY: As in `online`.
        let ret = unsafe { bindings::memory_block_device_offline_locked(self.raw()) };
        to_result(ret)?;
        Ok(ret == 0)
    }
}

impl Drop for BlockGuard<'_> {
    #[inline(never)]
    fn drop(&mut self) {
        // SAFETY: By the type invariant this task holds the lock, taken with `memory_block_lock()`.
        unsafe { bindings::memory_block_unlock(self.raw()) };
    }
}

/// The lifetime of one call of a provider's operation, invariant so that the values of one call
/// cannot stand for those of another: an operation is generic over it, and can only return what
/// its own steps made.
type CallBrand<'a> = PhantomData<fn(&'a ()) -> &'a ()>;

/// Where a block's fields are, for the types of the operations below, which all hold the locks
/// of an operation for the block.
///
/// # Invariants
///
/// For `'a`, `block` is live and this task holds the device hotplug lock, the memory hotplug
/// lock and the block's device lock, in this order.
struct Locked<'a> {
    block: &'a MemoryBlock,
    _call: CallBrand<'a>,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> Locked<'a> {
    fn raw(&self) -> *mut bindings::memory_block {
        self.block.0.get()
    }

    fn state(&self) -> State {
        // SAFETY: The state is written under the device lock, which this task holds.
        State::from_raw(unsafe { (*self.raw()).state })
    }

    fn nid(&self) -> i32 {
        // SAFETY: The node is written under the memory hotplug lock, which this task holds.
        unsafe { (*self.raw()).nid }
    }

    fn zone(&self) -> Option<&'static Zone> {
        // SAFETY: The zone is written under the device lock, which this task holds; it is NULL
        // or a zone of a node.
        unsafe { Zone::from_raw((*self.raw()).zone) }
    }
}

/// What a provider's online operation is given: a block to online, which is offline, with the
/// device hotplug lock, the memory hotplug lock and its device lock held in this order, whatever
/// asked (the `state` and `online` files, auto-online after a hot-add, ACPI, virtio-mem).
///
/// It can only be onlined, in steps ([`ToOnline::prepare_online`], then
/// [`Onlining::online_pages`]) or with the built-in driver's code ([`ToOnline::builtin_online`]),
/// or refused before anything changed ([`ToOnline::refuse`]). The operation must return an
/// [`Onlined`], which only a completed online makes, or a [`Refused`], which only a refusal or a
/// failed step (rolled back) makes: an operation that says it onlined the block without doing so,
/// or that fails after it did, does not compile. A step leaked with `mem::forget` leaves the
/// operation nothing to return.
///
/// # Invariants
///
/// The block is offline, and the locks are held for `'a` (see `Locked`).
pub struct ToOnline<'a>(Locked<'a>);

/// What a provider's offline operation is given: a block to offline, which is online, with the
/// locks of [`ToOnline`].
///
/// It can only be offlined, in steps ([`ToOffline::start_offline`], then
/// [`Offlining::offline_pages`]) or with the built-in driver's code
/// ([`ToOffline::builtin_offline`]), or refused before anything changed ([`ToOffline::refuse`]);
/// the operation returns an [`Offlined`] or a [`Refused`], as for [`ToOnline`].
///
/// # Invariants
///
/// The block is online (`online`, not `going-offline`), and the locks are held for `'a`.
pub struct ToOffline<'a>(Locked<'a>);

/// Proof that the block of a [`ToOnline`] was onlined, in the same call: the success of an online
/// operation.
///
/// # Invariants
///
/// The block of the call branded `'a` is online: made only by a step that onlined it
/// ([`Onlining::online_pages`], [`ToOnline::builtin_online`]).
pub struct Onlined<'a> {
    _call: CallBrand<'a>,
}

/// Proof that the block of a [`ToOffline`] was offlined, in the same call.
///
/// # Invariants
///
/// The block of the call branded `'a` is offline: made only by a step that offlined it
/// ([`Offlining::offline_pages`], [`ToOffline::builtin_offline`]).
pub struct Offlined<'a> {
    _call: CallBrand<'a>,
}

/// The failure of an operation, with the block as it was before the operation: made by a refusal
/// before anything changed, or by a step that failed and undid what it did.
///
/// # Invariants
///
/// The block of the call branded `'a` is in the state it was in when the operation was called:
/// made only by a refusal before a step ran, by a step that failed and undid what it did, or by
/// cancelling a step, which undoes it.
pub struct Refused<'a> {
    error: Error,
    _call: CallBrand<'a>,
}

impl<'a> Refused<'a> {
    /// A refusal; the caller has changed nothing, or undone what it changed.
    fn new(error: Error) -> Self {
        // INVARIANT: Guaranteed by the callers: a refusal before any step, a failed builtin step
        // (which undoes what it did), or `cancel` of a step (whose drop undoes it).
        Self {
            error,
            _call: PhantomData,
        }
    }

    /// Returns the error the operation fails with.
    pub fn error(&self) -> Error {
        self.error
    }
}

impl<'a> ToOnline<'a> {
    /// Returns the block.
    pub fn block(&self) -> &MemoryBlock {
        self.0.block
    }

    /// Returns the node of the block's memory.
    pub fn nid(&self) -> i32 {
        self.0.nid()
    }

    /// Returns the zone the online was asked for.
    pub fn online_type(&self) -> OnlineType {
        // SAFETY: The online type is written under the device hotplug lock, which this task
        // holds.
        match unsafe { (*self.0.raw()).online_type } {
            bindings::mmop_MMOP_ONLINE_KERNEL => OnlineType::Kernel,
            bindings::mmop_MMOP_ONLINE_MOVABLE => OnlineType::Movable,
            // The C side asks for `MMOP_ONLINE` when nobody asked for a zone.
            _ => OnlineType::Online,
        }
    }

    /// Returns how many of the block's pages memory failure poisoned: such a block is not onlined.
    pub fn nr_poison(&self) -> u64 {
        // SAFETY: The block is live.
        unsafe { bindings::memory_block_nr_poison(self.0.raw()) as u64 }
    }

    /// Refuses the online with `error`, changing nothing.
    pub fn refuse(self, error: Error) -> Refused<'a> {
        Refused::new(error)
    }

    /// Starts onlining the block to the zone of [`ToOnline::online_type`]
    /// (`memory_block_zone()`), for [`Onlining::online_pages`]: tells the memory notifier chain
    /// (`MEM_PREPARE_ONLINE`), which may refuse with an error.
    ///
    /// Fails with `EHWPOISON` if the block has poisoned pages (see [`ToOnline::nr_poison`]), or
    /// the notifier's error, with nothing changed.
    pub fn prepare_online(self) -> Result<Onlining<'a>, Refused<'a>> {
        if self.nr_poison() != 0 {
            return Err(Refused::new(EHWPOISON));
        }
        let raw = self.0.raw();
        // SAFETY: The block is live and the locks its fields change under are held.
        let zone = unsafe { bindings::memory_block_zone(raw, self.online_type() as u32) };
        // SAFETY: `memory_block_zone()` returns a zone of the block's node, never NULL.
        let zone = unsafe { Zone::from_raw(zone) }.ok_or(Refused::new(EINVAL))?;
        // SAFETY: The locks are held; the block is offline (the type invariant).
        unsafe { notify(raw, bindings::memory_block_state_MEM_PREPARE_ONLINE) }
            .map_err(Refused::new)?;
        // INVARIANT: The chain was told, the block is offline, `zone` is the zone of its online
        // type, and the locks are held for the call.
        Ok(Onlining {
            locked: self.0,
            zone,
        })
    }

    /// Onlines the block as the built-in driver does (`memory_block_builtin_online()`).
    pub fn builtin_online(self) -> Result<Onlined<'a>, Refused<'a>> {
        // SAFETY: By the type invariant this task holds the locks the function requires.
        to_result(unsafe { bindings::memory_block_builtin_online(self.0.raw()) })
            .map_err(Refused::new)?;
        // INVARIANT: `memory_block_builtin_online()` succeeded: the block is online.
        Ok(Onlined { _call: PhantomData })
    }
}

impl<'a> ToOffline<'a> {
    /// Returns the block.
    pub fn block(&self) -> &MemoryBlock {
        self.0.block
    }

    /// Returns the node of the block's memory.
    pub fn nid(&self) -> i32 {
        self.0.nid()
    }

    /// Returns the zone the block is online in (`None` if it spans zones: boot memory).
    pub fn zone(&self) -> Option<&'static Zone> {
        self.0.zone()
    }

    /// Refuses the offline with `error`, changing nothing.
    pub fn refuse(self, error: Error) -> Refused<'a> {
        Refused::new(error)
    }

    /// Starts offlining the block: its state becomes `going-offline` until the [`Offlining`]
    /// finishes (offline) or is cancelled (online again).
    ///
    /// Fails with `EINVAL` if the block is not in one zone (boot memory that spans zones cannot
    /// be offlined), with nothing changed.
    pub fn start_offline(self) -> Result<Offlining<'a>, Refused<'a>> {
        if self.zone().is_none() {
            return Err(Refused::new(EINVAL));
        }
        // SAFETY: The block is live and this task holds its device lock.
        unsafe { set_state(self.0.raw(), bindings::memory_block_state_MEM_GOING_OFFLINE) };
        // INVARIANT: The block was online in one zone and is going offline; the locks are held
        // for the call.
        Ok(Offlining { locked: self.0 })
    }

    /// Offlines the block as the built-in driver does (`memory_block_builtin_offline()`).
    pub fn builtin_offline(self) -> Result<Offlined<'a>, Refused<'a>> {
        // SAFETY: By the type invariant this task holds the locks the function requires.
        to_result(unsafe { bindings::memory_block_builtin_offline(self.0.raw()) })
            .map_err(Refused::new)?;
        // INVARIANT: `memory_block_builtin_offline()` succeeded: the block is offline.
        Ok(Offlined { _call: PhantomData })
    }
}

/// Tells the memory notifier chain about `mem` (`memory_block_notify()`): `action` is
/// `MEM_PREPARE_ONLINE` or `MEM_FINISH_OFFLINE`.
///
/// # Safety
///
/// `mem` is a live block, and the caller holds the locks of an operation for it.
unsafe fn notify(mem: *mut bindings::memory_block, action: bindings::memory_block_state) -> Result {
    // SAFETY: Guaranteed by the caller.
    to_result(unsafe { bindings::memory_block_notify(mem, action as _) })
}

/// Writes a block's state, as C's `WRITE_ONCE()` (readers such as the `state` file read it
/// without a lock).
///
/// # Safety
///
/// `mem` is a live block whose device lock this task holds.
unsafe fn set_state(mem: *mut bindings::memory_block, state: bindings::memory_block_state) {
    // SAFETY: Guaranteed by the caller.
    unsafe { core::ptr::addr_of_mut!((*mem).state).write_volatile(state) };
}

/// Writes a block's zone, as C's `WRITE_ONCE()` (readers such as the `valid_zones` file read it
/// without a lock).
///
/// # Safety
///
/// `mem` is a live block whose device lock this task holds; `zone` is NULL or a zone of its node.
unsafe fn set_zone(mem: *mut bindings::memory_block, zone: *mut bindings::zone) {
    // SAFETY: Guaranteed by the caller.
    unsafe { core::ptr::addr_of_mut!((*mem).zone).write_volatile(zone) };
}

/// A block being onlined, after the memory notifier chain was told (`MEM_PREPARE_ONLINE`): what
/// [`ToOnline::prepare_online`] gives, for [`Onlining::online_pages`].
///
/// Cancelling it ([`Onlining::cancel`]) tells the chain that the block stays offline
/// (`MEM_FINISH_OFFLINE`), and so does dropping it.
///
/// # Invariants
///
/// The block is offline, the chain was told `MEM_PREPARE_ONLINE` for it, `zone` is the zone of
/// its online type, and the locks are held for `'a`.
pub struct Onlining<'a> {
    locked: Locked<'a>,
    zone: &'static Zone,
}

impl<'a> Onlining<'a> {
    /// Onlines the block in its zone: initializes its own memmap pages (memmap-on-memory, if it
    /// has them), onlines its pages (`online_pages()`, which tells the memory notifier chain
    /// `MEM_GOING_ONLINE`, then `MEM_ONLINE` or `MEM_CANCEL_ONLINE`), counts its memmap pages as
    /// present, and marks the block online in the zone.
    ///
    /// On error what was done is undone (the memmap pages, then the chain is told), and the block
    /// stays offline.
    pub fn online_pages(self) -> Result<Onlined<'a>, Refused<'a>> {
        let mem = self.locked.raw();
        let zone = self.zone.as_raw();
        // SAFETY: By the type invariant the block is offline and the locks are held; the zone is
        // a zone of its node.
        if let Err(e) = to_result(unsafe { bindings::memory_block_init_memmap(mem, zone) }) {
            return Err(self.cancel(e));
        }
        // SAFETY: As above, with the memmap initialized in `zone`.
        if let Err(e) = to_result(unsafe { bindings::memory_block_online_pages(mem, zone) }) {
            // SAFETY: The memmap was initialized and the pages are offline.
            unsafe { bindings::memory_block_deinit_memmap(mem) };
            return Err(self.cancel(e));
        }
        // SAFETY: As above; the pages are online now. The block's device lock is held.
        unsafe {
            bindings::memory_block_account_memmap(mem, true);
            set_zone(mem, zone);
            set_state(mem, bindings::memory_block_state_MEM_ONLINE);
        }
        // Online: the chain is not told that it stays offline.
        core::mem::forget(self);
        // INVARIANT: The block was marked online above.
        Ok(Onlined { _call: PhantomData })
    }

    /// Gives up the online with `error`: the chain is told that the block stays offline.
    pub fn cancel(self, error: Error) -> Refused<'a> {
        drop(self);
        Refused::new(error)
    }
}

impl Drop for Onlining<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the chain was told `MEM_PREPARE_ONLINE` and the locks are
        // held; the block stays offline. Nobody can refuse the end of an online.
        let _ = unsafe {
            notify(
                self.locked.raw(),
                bindings::memory_block_state_MEM_FINISH_OFFLINE,
            )
        };
    }
}

/// A block being offlined (`going-offline`): [`Offlining::offline_pages`] finishes it.
///
/// Cancelling it ([`Offlining::cancel`]), or dropping it, marks the block online again.
///
/// # Invariants
///
/// The block was online in one zone (its `zone`) and its state is `going-offline`; the locks are
/// held for `'a`.
pub struct Offlining<'a> {
    locked: Locked<'a>,
}

impl<'a> Offlining<'a> {
    /// Offlines the block's pages (`offline_pages()`, which migrates what it can and tells the
    /// memory notifier chain `MEM_GOING_OFFLINE`, then `MEM_OFFLINE` or `MEM_CANCEL_OFFLINE`),
    /// releases its memmap pages, tells the chain `MEM_FINISH_OFFLINE` and marks the block
    /// offline.
    ///
    /// Its memmap pages stop being counted as present first, so that a zone left empty can be
    /// torn down; on error they are counted again, and the block is online again.
    pub fn offline_pages(self) -> Result<Offlined<'a>, Refused<'a>> {
        let mem = self.locked.raw();
        // SAFETY: By the type invariant the block is online in its zone (which
        // `memory_block_offline_pages()` uses) and the locks are held.
        unsafe { bindings::memory_block_account_memmap(mem, false) };
        // SAFETY: As above.
        if let Err(e) = to_result(unsafe { bindings::memory_block_offline_pages(mem) }) {
            // SAFETY: As above; the pages are still online.
            unsafe { bindings::memory_block_account_memmap(mem, true) };
            return Err(self.cancel(e));
        }
        // SAFETY: The pages are offline; the block's device lock is held. Nobody can refuse the
        // end of an offline.
        unsafe {
            bindings::memory_block_deinit_memmap(mem);
            set_zone(mem, core::ptr::null_mut());
            let _ = notify(mem, bindings::memory_block_state_MEM_FINISH_OFFLINE);
            set_state(mem, bindings::memory_block_state_MEM_OFFLINE);
        }
        // Offline: not marked online again.
        core::mem::forget(self);
        // INVARIANT: The block was marked offline above.
        Ok(Offlined { _call: PhantomData })
    }

    /// Gives up the offline with `error`: the block is online again.
    pub fn cancel(self, error: Error) -> Refused<'a> {
        drop(self);
        Refused::new(error)
    }
}

impl Drop for Offlining<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the block is still online and its device lock is held.
        unsafe { set_state(self.locked.raw(), bindings::memory_block_state_MEM_ONLINE) };
    }
}

/// The operations of a memory block provider: onlining and offlining a block, whatever asked.
///
/// An operation the implementation leaves out is the built-in driver's. An operation is called
/// only for a block that needs it: a request for the state a block is in succeeds without a call
/// (as the built-in driver's), and one that finds the block `going-offline` fails with `EINVAL`.
#[macros::vtable]
pub trait Operations {
    /// Onlines `block`, as [`ToOnline::online_type`] asks.
    fn online(_block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Offlines `block`.
    fn offline(_block: ToOffline<'_>) -> Result<Offlined<'_>, Refused<'_>> {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// The errno of an operation's result, for the C side.
fn op_result<T>(result: Result<T, Refused<'_>>) -> i32 {
    match result {
        Ok(_) => 0,
        Err(refused) => refused.error.to_errno(),
    }
}

/// Calls `T::online` for the C side, if the block is offline.
///
/// # Safety
///
/// Called by the C side with a live block and the locks of an operation held.
unsafe extern "C" fn online_callback<T: Operations>(mem: *mut bindings::memory_block) -> i32 {
    // INVARIANT: The C side holds the locks while the operation runs; the block is live.
    let locked = Locked {
        // SAFETY: `mem` is live for the call; `MemoryBlock` is transparent over the C struct.
        block: unsafe { &*mem.cast::<MemoryBlock>() },
        _call: PhantomData,
        _not_send: PhantomData,
    };
    match locked.state() {
        // As the built-in driver: onlining an online block succeeds, and changes nothing.
        State::Online => 0,
        // INVARIANT: The block is offline.
        State::Offline => op_result(T::online(ToOnline(locked))),
        _ => EINVAL.to_errno(),
    }
}

/// Calls `T::offline` for the C side, if the block is online.
///
/// # Safety
///
/// As [`online_callback`].
unsafe extern "C" fn offline_callback<T: Operations>(mem: *mut bindings::memory_block) -> i32 {
    // INVARIANT: As in `online_callback`.
    let locked = Locked {
        // SAFETY: As in `online_callback`.
        block: unsafe { &*mem.cast::<MemoryBlock>() },
        _call: PhantomData,
        _not_send: PhantomData,
    };
    match locked.state() {
        State::Offline => 0,
        // INVARIANT: The block is online.
        State::Online => op_result(T::offline(ToOffline(locked))),
        _ => EINVAL.to_errno(),
    }
}

/// The files of the memory root (`/sys/devices/system/memory`) that a provider may serve, each
/// a slot of the registration: the crate makes the files, does the checks of C's files (the
/// writer's capability, the parsing with the kernel's own parsers) and gives each store the
/// request only that file makes ([`ProbeRequest`], [`SoftOfflineRequest`],
/// [`HardOfflineRequest`], [`AutoOnlineRequest`]), the authority for what it does.
///
/// A file the implementation leaves out is the built-in driver's.
///
/// [`SoftOfflineRequest`]: super::failure::SoftOfflineRequest
/// [`HardOfflineRequest`]: super::failure::HardOfflineRequest
#[macros::vtable]
pub trait RootFiles {
    /// Serves a write to `probe` (mode `0200`): hot-adds the block at the address written, which
    /// is the start of a block (the crate answers `EINVAL` to anything else, as C's file does).
    #[cfg(CONFIG_ARCH_MEMORY_PROBE)]
    fn probe(_request: ProbeRequest<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Serves a write to `soft_offline_page` (mode `0200`), by a writer with `CAP_SYS_ADMIN`.
    #[cfg(CONFIG_MEMORY_FAILURE)]
    fn soft_offline_page(_request: super::failure::SoftOfflineRequest<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Serves a write to `hard_offline_page` (mode `0200`), by a writer with `CAP_SYS_ADMIN`.
    #[cfg(CONFIG_MEMORY_FAILURE)]
    fn hard_offline_page(_request: super::failure::HardOfflineRequest<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Serves a read of `auto_online_blocks` (mode `0644`).
    fn show_auto_online_blocks(_buf: &mut ShowBuffer<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Serves a write to `auto_online_blocks`, once what was written parsed.
    fn store_auto_online_blocks(_request: AutoOnlineRequest<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// Parses a number written to a root file as C's files do (`kstrtoull(buf, 0, ...)`).
///
/// # Safety
///
/// `buf` is the NUL-terminated text of a `store` callback.
unsafe fn parse_number(buf: *const crate::ffi::c_char) -> Result<u64> {
    let mut value: crate::ffi::c_ulonglong = 0;
    // SAFETY: `buf` is NUL-terminated, as the caller guarantees.
    to_result(unsafe { bindings::kstrtoull(buf, 0, &mut value) })?;
    Ok(value)
}

/// The `store` of the root's `probe` file, for `T::probe`: as C's file, the address must parse
/// (`kstrtoull()`'s error otherwise) and be the start of a block (`EINVAL`), before anything is
/// locked.
///
/// # Safety
///
/// Called by the C side for a write of `count` bytes at `buf`, NUL-terminated, to
/// `/sys/devices/system/memory/probe`.
#[cfg(CONFIG_ARCH_MEMORY_PROBE)]
unsafe extern "C" fn probe_store<T: RootFiles>(
    _dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const crate::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: This is a `store` callback, in the writing task; `writer` lives only for the call.
    let writer = unsafe { Writer::new() };
    // SAFETY: `buf` is NUL-terminated.
    let result = unsafe { parse_number(buf) }.and_then(|phys_addr| {
        if phys_addr & (super::block_size_bytes() - 1) != 0 {
            return Err(EINVAL);
        }
        // SAFETY: The address, the start of a block, was written to the memory root's `probe`
        // file, by the task `writer` serves.
        T::probe(unsafe { ProbeRequest::new(phys_addr, &writer) })
    });
    store_result(result, count)
}

/// The number written to a page-offline file, if the writer may offline pages: `EPERM` without
/// `CAP_SYS_ADMIN`, `EINVAL` for anything `kstrtoull()` does not parse, as C's files.
///
/// # Safety
///
/// As [`parse_number`], in the writing task.
#[cfg(CONFIG_MEMORY_FAILURE)]
unsafe fn page_offline_address(buf: *const crate::ffi::c_char) -> Result<u64> {
    // SAFETY: This runs in the writing task (the caller's guarantee), whose rights it checks.
    let writer = unsafe { Writer::new() };
    if !writer.capable(crate::sysfs::Capability::SysAdmin) {
        return Err(EPERM);
    }
    // SAFETY: As the caller guarantees.
    unsafe { parse_number(buf) }.map_err(|_| EINVAL)
}

/// The `store` of a page offline file: the request made of the address written to it, for
/// `serve`, as C's files check it.
///
/// # Safety
///
/// As [`probe_store`], for the memory root's page offline file `F`.
#[cfg(CONFIG_MEMORY_FAILURE)]
unsafe fn page_offline_store<F: super::failure::PageOfflineFile>(
    buf: *const crate::ffi::c_char,
    count: usize,
    serve: impl FnOnce(super::failure::PageOfflineRequest<'_, F>) -> Result,
) -> isize {
    // SAFETY: As the caller guarantees.
    let result = unsafe { page_offline_address(buf) }.and_then(|phys_addr| {
        // SAFETY: The address was written to the file `F` by a task with `CAP_SYS_ADMIN`; the
        // request lives for the call.
        serve(unsafe { super::failure::PageOfflineRequest::new(phys_addr) })
    });
    store_result(result, count)
}

/// The `store` of the root's `soft_offline_page` file, for `T::soft_offline_page`.
///
/// # Safety
///
/// As [`probe_store`], for `/sys/devices/system/memory/soft_offline_page`.
#[cfg(CONFIG_MEMORY_FAILURE)]
unsafe extern "C" fn soft_offline_store<T: RootFiles>(
    _dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const crate::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: As the caller guarantees.
    unsafe { page_offline_store(buf, count, T::soft_offline_page) }
}

/// The `store` of the root's `hard_offline_page` file, for `T::hard_offline_page`.
///
/// # Safety
///
/// As [`probe_store`], for `/sys/devices/system/memory/hard_offline_page`.
#[cfg(CONFIG_MEMORY_FAILURE)]
unsafe extern "C" fn hard_offline_store<T: RootFiles>(
    _dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const crate::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: As the caller guarantees.
    unsafe { page_offline_store(buf, count, T::hard_offline_page) }
}

/// The `show` of the root's `auto_online_blocks` file, for `T::show_auto_online_blocks`.
///
/// # Safety
///
/// Called by the C side with the `PAGE_SIZE` buffer of a read of the file.
unsafe extern "C" fn auto_online_show<T: RootFiles>(
    _dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut crate::ffi::c_char,
) -> isize {
    // SAFETY: sysfs passes a buffer of `PAGE_SIZE` bytes that only this call uses; a `show` may
    // fill all but the last.
    let page =
        unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), crate::page::PAGE_SIZE - 1) };
    let mut out = ShowBuffer::new(page);
    match T::show_auto_online_blocks(&mut out) {
        Ok(()) => out.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The `store` of the root's `auto_online_blocks` file, for `T::store_auto_online_blocks`.
///
/// # Safety
///
/// As [`probe_store`], for `/sys/devices/system/memory/auto_online_blocks`.
unsafe extern "C" fn auto_online_store<T: RootFiles>(
    _dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const crate::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: `buf` is NUL-terminated and lives for the call.
    let input = unsafe { CStr::from_char_ptr(buf) };
    let result = StateRequest::parse(input).and_then(|request| {
        // SAFETY: `request` was written to `auto_online_blocks`; the request lives for the call.
        T::store_auto_online_blocks(unsafe { AutoOnlineRequest::new(request) })
    });
    store_result(result, count)
}

/// The C `show` callback of a device attribute.
type ShowFn = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *mut crate::ffi::c_char,
) -> isize;

/// The C `store` callback of a device attribute.
type StoreFn = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *const crate::ffi::c_char,
    usize,
) -> isize;

/// The root files a provider may serve: name, mode (the C file's), and its callbacks, if any.
type RootCallbacks = [(
    &'static CStr,
    bindings::umode_t,
    Option<ShowFn>,
    Option<StoreFn>,
); 4];

/// What the C side reads of a registered provider: the provider and its root files, in the
/// registration, where the attribute group points.
///
/// # Invariants
///
/// `root_group` (if `provider.root_attrs` points to it) lists the entries of `root_table`, which
/// point to entries of `root_attrs`, NULL-terminated.
#[repr(C)]
struct ProviderStorage {
    provider: bindings::memory_block_provider,
    root_attrs: [bindings::device_attribute; 4],
    root_table: [*mut bindings::attribute; 5],
    root_group: bindings::attribute_group,
}

/// A memory block provider's registration, a `static` of its module: while it is registered
/// ([`Registration::register`]), its [`Operations`] online and offline every block, whatever
/// asks, its `block_files` serve the files of the same names of every block, and its
/// [`RootFiles`] the memory root's; unregistering it ([`Registration::unregister`]) gives the
/// blocks back to the built-in driver.
///
/// The devices and their files stay: userspace sees no change. Registering takes no hotplug
/// lock; unregistering takes none either, but waits for the operations and file callbacks in
/// flight (an offline in progress can take a while).
///
/// The registration is owned by its module: it is registered through a `&'static` (a `static` of
/// the module; leaked memory would do too, and stay leaked), so what the C side reads of it
/// cannot move, be dropped or be freed before the module is. A module that goes away registered
/// is unregistered by the C side first (with a warning), and a registration that the C side
/// refuses to unregister (from a provider's callback, or under the memory hotplug lock) simply
/// stays registered.
///
/// # Examples
///
/// Serves every block's `phys_index` file and onlines the blocks with the built-in driver's
/// code, for a moment; nothing changes for userspace:
///
/// ```
/// use core::fmt::Write;
/// use kernel::{attribute_group, c_str, prelude::*, ThisModule};
/// use kernel::memory::block::{
///     MemoryBlockFile, Onlined, Operations, Refused, Registration, RootFiles, ToOnline,
/// };
/// use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
///
/// struct PhysIndex;
///
/// #[vtable]
/// impl AttributeOps for PhysIndex {
///     type Target = MemoryBlockFile;
///
///     fn show(block: &MemoryBlockFile, buf: &mut ShowBuffer<'_>) -> Result {
///         Ok(writeln!(buf, "{:08x}", block.id())?)
///     }
/// }
///
/// struct Example;
///
/// #[vtable]
/// impl Operations for Example {
///     fn online(block: ToOnline<'_>) -> Result<Onlined<'_>, Refused<'_>> {
///         block.builtin_online()
///     }
/// }
///
/// #[vtable]
/// impl RootFiles for Example {}
///
/// static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("phys_index"));
/// attribute_group!(static BLOCK_FILES: MemoryBlockFile = [PHYS_INDEX]);
///
/// static PROVIDER: Registration<Example> = Registration::new();
/// static SECOND: Registration<Example> = Registration::new();
/// # // SAFETY: Built-in code (this doc-test) has no module; a module passes its own.
/// # static BUILT_IN: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
///
/// PROVIDER.register(&BUILT_IN, c_str!("example"), Some(&BLOCK_FILES))?;
/// // Registered already; and a second provider is refused.
/// let again = PROVIDER.register(&BUILT_IN, c_str!("example"), None);
/// let second = SECOND.register(&BUILT_IN, c_str!("second"), None);
/// PROVIDER.unregister()?;
/// assert_eq!((again, second), (Err(EBUSY), Err(EBUSY)));
/// assert_eq!(PROVIDER.unregister(), Err(ENOENT));
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// While `raw` is registered, it was registered by [`Registration::register`] with the operations
/// and root files of `T`, which the C side calls.
pub struct Registration<T: Operations + RootFiles> {
    raw: RawRegistration,
    _ops: PhantomData<fn() -> T>,
}

/// The registration of a provider, whatever its operations: the part of [`Registration`] that
/// calls the C side, so that it is built into the kernel crate rather than into each module.
///
/// # Invariants
///
/// `storage` is written only by the task that moved `state` from `FREE` to `BUSY`, before it is
/// registered. While `state` is `REGISTERED` (or `BUSY` on its way to or from it), `storage` is
/// registered with the C side, which reads it (unless the C side unregistered it as its module
/// went away, after which no code of the module runs); its name, callbacks and block groups are
/// `'static`, and its root group points into `storage`.
struct RawRegistration {
    storage: Opaque<ProviderStorage>,
    state: AtomicU8,
}

const FREE: u8 = 0;
const BUSY: u8 = 1;
const REGISTERED: u8 = 2;

// SAFETY: `storage` is written by one task at a time (the one that claimed it, see the type
// invariant), and otherwise only read, by the C side; `state` is atomic.
unsafe impl Sync for RawRegistration {}

// SAFETY: Nothing of it is tied to a task.
unsafe impl Send for RawRegistration {}

impl RawRegistration {
    const fn new() -> Self {
        Self {
            storage: Opaque::uninit(),
            state: AtomicU8::new(FREE),
        }
    }

    /// Registers `raw` with the root files `root` (those with a callback), whose name, callbacks
    /// and block groups must be `'static`.
    #[inline(never)]
    fn register(
        &'static self,
        raw: bindings::memory_block_provider,
        root: RootCallbacks,
    ) -> Result {
        if self
            .state
            .compare_exchange(FREE, BUSY, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(EBUSY);
        }
        let p = self.storage.get();
        // SAFETY: This task moved `state` to `BUSY`: it alone writes `storage`, which the C side
        // does not read (it is not registered). All-zero bytes are valid attributes, a valid
        // table and group; the pointers written into it point into it, and `i` and `n` are in
        // bounds (4 files, 5 table entries, the last NULL).
        unsafe {
            p.write(core::mem::zeroed());
            (*p).provider = raw;
            let mut n = 0;
            for (i, (name, mode, show, store)) in root.into_iter().enumerate() {
                if show.is_none() && store.is_none() {
                    continue;
                }
                let attr = core::ptr::addr_of_mut!((*p).root_attrs[i]);
                (*attr).attr.name = name.as_char_ptr();
                (*attr).attr.mode = mode;
                (*attr).show = show;
                (*attr).store = store;
                (*p).root_table[n] = core::ptr::addr_of_mut!((*attr).attr);
                n += 1;
            }
            if n > 0 {
                (*p).root_group.attrs = core::ptr::addr_of_mut!((*p).root_table).cast();
                (*p).provider.root_attrs = core::ptr::addr_of!((*p).root_group);
            }
        }
        // SAFETY: The provider is valid and stays at its address (`self` is `'static`) until it is
        // unregistered; its name, callbacks and block groups are `'static` (the caller's
        // guarantee), its root group, table and attributes are in `storage`.
        let ret =
            unsafe { bindings::memory_block_provider_register(core::ptr::addr_of!((*p).provider)) };
        // INVARIANT: Registered, or not and free again.
        self.state
            .store(if ret == 0 { REGISTERED } else { FREE }, Ordering::Release);
        to_result(ret)
    }

    /// Unregisters the provider: `ENOENT` if it is not registered, `EBUSY` while another task
    /// registers or unregisters it, or the C side's refusal (`EDEADLK`), with it still registered.
    #[inline(never)]
    fn unregister(&'static self) -> Result {
        if let Err(state) =
            self.state
                .compare_exchange(REGISTERED, BUSY, Ordering::Acquire, Ordering::Relaxed)
        {
            return Err(if state == FREE { ENOENT } else { EBUSY });
        }
        // SAFETY: By the type invariant the provider is registered, and this task alone
        // unregisters it (it moved `state` to `BUSY`).
        let ret = unsafe {
            bindings::memory_block_provider_unregister(core::ptr::addr_of!(
                (*self.storage.get()).provider
            ))
        };
        // INVARIANT: When it returns 0 the C side no longer reads `storage`; otherwise it is
        // still registered.
        self.state
            .store(if ret == 0 { FREE } else { REGISTERED }, Ordering::Release);
        to_result(ret)
    }
}

impl<T: Operations + RootFiles> Registration<T> {
    /// A registration, not registered yet: for a `static` of the module.
    pub const fn new() -> Self {
        Self {
            raw: RawRegistration::new(),
            _ops: PhantomData,
        }
    }

    /// Registers a provider named `name` (for log messages) with the operations and root files of
    /// `T`, whose `block_files` serve the files of the same names of every block.
    ///
    /// `module` is the module of the caller, whose `static` the registration is: while one of the
    /// operations or callbacks runs, it cannot be unloaded (rmmod fails: in use), and if it goes
    /// away registered, the C side unregisters it first.
    ///
    /// Fails with `EBUSY` if this or another provider is registered, with `EINVAL` if a file of
    /// `block_files` has no file of the built-in driver to serve (a name it does not have, a
    /// `show` for a file it cannot read, a `store` for one it cannot write), or if the name, the
    /// files, the operations or the registration itself are in a module other than `module`, with
    /// `ENODEV` if `module` is going away (its init failed, or its exit ran: the C side may have
    /// looked for its provider already), and with `EDEADLK` if called from an operation or file
    /// callback of a provider.
    ///
    /// Once it succeeds, the module must unregister it before it goes away, on a later error of its
    /// init too: otherwise the C side does, with a warning.
    pub fn register(
        &'static self,
        module: &'static ThisModule,
        name: &'static CStr,
        block_files: Option<&'static AttributeGroup<MemoryBlockFile>>,
    ) -> Result {
        // SAFETY: All-zero bytes are a valid, empty `struct memory_block_provider`.
        let mut raw: bindings::memory_block_provider = unsafe { core::mem::zeroed() };
        raw.name = name.as_char_ptr();
        raw.owner = module.as_ptr();
        if T::HAS_ONLINE {
            raw.online = Some(online_callback::<T>);
        }
        if T::HAS_OFFLINE {
            raw.offline = Some(offline_callback::<T>);
        }
        raw.block_attrs = block_files.map_or(core::ptr::null(), |group| group.as_raw());
        let mut root: RootCallbacks = [
            (crate::c_str!("probe"), 0o200, None, None),
            (crate::c_str!("soft_offline_page"), 0o200, None, None),
            (crate::c_str!("hard_offline_page"), 0o200, None, None),
            (crate::c_str!("auto_online_blocks"), 0o644, None, None),
        ];
        #[cfg(CONFIG_ARCH_MEMORY_PROBE)]
        if T::HAS_PROBE {
            root[0].3 = Some(probe_store::<T>);
        }
        #[cfg(CONFIG_MEMORY_FAILURE)]
        if T::HAS_SOFT_OFFLINE_PAGE {
            root[1].3 = Some(soft_offline_store::<T>);
        }
        #[cfg(CONFIG_MEMORY_FAILURE)]
        if T::HAS_HARD_OFFLINE_PAGE {
            root[2].3 = Some(hard_offline_store::<T>);
        }
        if T::HAS_SHOW_AUTO_ONLINE_BLOCKS {
            root[3].2 = Some(auto_online_show::<T>);
        }
        if T::HAS_STORE_AUTO_ONLINE_BLOCKS {
            root[3].3 = Some(auto_online_store::<T>);
        }
        // The name and the block groups are `'static`, the callbacks are functions.
        self.raw.register(raw, root)
    }

    /// Unregisters the provider: the built-in driver serves the blocks again.
    ///
    /// Fails with `ENOENT` if it is not registered, `EBUSY` while another task registers or
    /// unregisters it, and `EDEADLK`, leaving it registered, if called from an operation or file
    /// callback of a provider (it would wait for itself) or by the holder of the memory hotplug
    /// lock (it would wait for a page offline in flight that waits for the lock).
    pub fn unregister(&'static self) -> Result {
        self.raw.unregister()
    }
}

impl<T: Operations + RootFiles> Default for Registration<T> {
    fn default() -> Self {
        Self::new()
    }
}
