// SPDX-License-Identifier: GPL-2.0

//! Memory block devices (`/sys/devices/system/memory/memoryN`), their device lock, and providers
//! that own them.
//!
//! C header: [`include/linux/memory.h`](srctree/include/linux/memory.h)

use super::hotplug::{DeviceHotplugGuard, MemHotplugGuard};
use crate::{
    alloc::{flags::*, KBox},
    bindings,
    device::Device,
    error::{code::*, to_result, Result},
    str::CStr,
    sysfs::{AttributeGroups, DeviceContainer},
    types::{ARef, AlwaysRefCounted, Opaque},
    ThisModule,
};
use core::{marker::PhantomData, mem::MaybeUninit, ptr::NonNull};

/// A memory block device: the C `struct memory_block`, the device of `memoryN`.
///
/// Its allocation is the C layout itself, so the memory hotplug code and the node code, which
/// read and write its fields, find them where they expect. Its life is that of the embedded
/// `struct device`: it is reference counted, and freed by the device's release function.
///
/// The fields that change (state, zone, node) are changed under the block's device lock, which
/// [`MemoryBlock::lock`] takes in the order of [`crate::memory`].
///
/// # Invariants
///
/// The inner `struct memory_block` was registered on the memory subsystem, and its device's
/// reference count is not zero. A block that was removed since (memory hot-remove, or a provider
/// taking the blocks over or giving them back, which replaces every block) stays allocated while
/// referenced, but the operations of [`BlockGuard`] refuse it.
///
/// # Examples
///
/// ```
/// use kernel::memory::{block::MemoryBlock, hotplug::DeviceHotplugGuard};
///
/// let guard = DeviceHotplugGuard::lock();
/// let block = MemoryBlock::find(&guard, 0).ok_or(ENODEV)?;
/// assert_eq!(block.id(), 0);
/// assert_eq!(block.phys_start(), 0);
/// # Ok::<(), Error>(())
/// ```
#[repr(transparent)]
pub struct MemoryBlock(Opaque<bindings::memory_block>);

// SAFETY: The fields a shared reference reads without a lock (`start_section_nr`, the device id)
// do not change once the block is registered; the others are reached only through a
// `BlockGuard`, under the block's device lock, which any task may take.
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

// SAFETY: `from_device` goes from the device to the `struct memory_block` that embeds it, which
// is freed only when the device is.
unsafe impl DeviceContainer for MemoryBlock {
    unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: The caller guarantees that `dev` is the device of a live memory block, alive
        // for `'a`; `MemoryBlock` is `repr(transparent)` over the C struct.
        unsafe { &*crate::container_of!(dev, bindings::memory_block, dev).cast::<Self>() }
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
    fn find_section(section: u64) -> Option<ARef<Self>> {
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

    /// Takes the block's device lock, which only a task that holds the memory hotplug lock may.
    ///
    /// The guard borrows `mem_hotplug` mutably, so it cannot outlive it, and no second block lock
    /// (nor the same one twice) can be taken while it is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::memory::block::{MemoryBlock, State};
    /// use kernel::memory::hotplug::{DeviceHotplugGuard, MemHotplugGuard};
    ///
    /// let mut device_hotplug = DeviceHotplugGuard::lock();
    /// let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
    /// let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    /// let locked = block.lock(&mut mem_hotplug);
    /// // Boot memory is online.
    /// assert_eq!(locked.state(), State::Online);
    /// assert!(locked.is_online());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn lock<'a>(&'a self, mem_hotplug: &'a mut MemHotplugGuard<'_>) -> BlockGuard<'a> {
        let _ = mem_hotplug;
        // SAFETY: The device is live; the memory hotplug lock is held by this task, so the order
        // is that of memory hot-add.
        unsafe { bindings::device_lock(self.raw_device()) };
        // INVARIANT: The device lock was just taken by this task.
        BlockGuard {
            block: self,
            _mem_hotplug: PhantomData,
            _not_send: PhantomData,
        }
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

/// How to online a block: the zone its memory goes to (`enum mmop`).
///
/// # Examples
///
/// ```
/// use kernel::memory::block::{OnlineType, StateRequest};
///
/// let request = StateRequest::parse(b"online_kernel\n")?;
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

impl StateRequest {
    /// Parses what was written to `state`, as C's `mhp_online_type_from_str()` does: the input
    /// ends at its first NUL, and may have one trailing newline.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::memory::block::{OnlineType, StateRequest};
    ///
    /// assert_eq!(StateRequest::parse(b"offline\n"), Ok(StateRequest::Offline));
    /// assert_eq!(
    ///     StateRequest::parse(b"online_movable"),
    ///     Ok(StateRequest::Online(OnlineType::Movable))
    /// );
    /// assert_eq!(
    ///     StateRequest::parse(b"online\0junk"),
    ///     Ok(StateRequest::Online(OnlineType::Online))
    /// );
    /// assert_eq!(StateRequest::parse(b"online\n\n"), Err(EINVAL));
    /// assert_eq!(StateRequest::parse(b"Online"), Err(EINVAL));
    /// assert_eq!(StateRequest::parse(b""), Err(EINVAL));
    /// ```
    pub fn parse(input: &[u8]) -> Result<Self> {
        let end = input.iter().position(|&b| b == 0).unwrap_or(input.len());
        let text = &input[..end];
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        Ok(match text {
            b"offline" => Self::Offline,
            b"online" => Self::Online(OnlineType::Online),
            b"online_kernel" => Self::Online(OnlineType::Kernel),
            b"online_movable" => Self::Online(OnlineType::Movable),
            _ => return Err(EINVAL),
        })
    }
}

/// Proof that this task holds a memory block's device lock, taken with the memory hotplug lock
/// held; the lock is released when the guard is dropped.
///
/// The operations that change a block (online, offline) are methods of the guard.
///
/// # Invariants
///
/// The task that created the guard holds the device lock of `block`, and, for `'a`, the memory
/// hotplug lock and the device hotplug lock.
///
/// # Examples
///
/// ```
/// use kernel::memory::block::MemoryBlock;
/// use kernel::memory::hotplug::{DeviceHotplugGuard, MemHotplugGuard};
///
/// let mut device_hotplug = DeviceHotplugGuard::lock();
/// let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
/// let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
/// let locked = block.lock(&mut mem_hotplug);
/// assert_eq!(locked.block().id(), 0);
/// assert!(locked.nid() >= 0);
/// # Ok::<(), Error>(())
/// ```
pub struct BlockGuard<'a> {
    block: &'a MemoryBlock,
    _mem_hotplug: PhantomData<&'a mut ()>,
    _not_send: PhantomData<*mut ()>,
}

impl BlockGuard<'_> {
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
    /// it was removed, or replaced by a provider, since it was looked up.
    fn check_current(&self) -> Result {
        // Blocks are added, removed and replaced only with the device hotplug lock held, which
        // this task holds: the answer stays true while the guard lives.
        match MemoryBlock::find_section(self.block.start_section_nr()) {
            Some(current) if core::ptr::eq(&*current, self.block) => Ok(()),
            _ => Err(ENODEV),
        }
    }

    /// Onlines the block (what `device_online()` does for it, with the locks held).
    ///
    /// Returns `Ok(false)` if it was online already, without changing it; fails with `ENODEV` if
    /// the block was removed (or replaced by a provider) since it was looked up.
    ///
    /// # Examples
    ///
    /// Adds memory39 of the test guest, onlines it movable, offlines it and removes it, once the
    /// system runs:
    ///
    /// ```
    /// use kernel::memory::{block::*, block_size_bytes, hotplug::*};
    ///
    /// let start = 0x138000000;
    /// let mut device_hotplug = DeviceHotplugGuard::lock();
    /// let size = block_size_bytes();
    /// let added = add_memory(&mut device_hotplug, phys_addr_to_nid(start), start, size);
    /// // Before the system runs (when KUnit runs the examples), `mem=` keeps hot-add below it.
    /// if added != Err(E2BIG) {
    ///     added?;
    ///     let id = (start / block_size_bytes()) as usize;
    ///     let block = MemoryBlock::find(&device_hotplug, id).ok_or(ENODEV)?;
    ///     let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
    ///     let mut locked = block.lock(&mut mem_hotplug);
    ///     if locked.state() == State::Offline {
    ///         assert_eq!(locked.online(OnlineType::Movable), Ok(true));
    ///         assert_eq!(locked.state(), State::Online);
    ///         assert_eq!(locked.online(OnlineType::Movable), Ok(false));
    ///     }
    ///     assert_eq!(locked.offline(), Ok(true));
    ///     assert_eq!(locked.state(), State::Offline);
    ///     assert!(!locked.is_online());
    ///     assert_eq!(locked.offline(), Ok(false));
    ///     drop(locked);
    ///     drop(mem_hotplug);
    ///     remove_memory(&mut device_hotplug, start, block_size_bytes())?;
    ///     assert!(MemoryBlock::find(&device_hotplug, id).is_none());
    /// }
    /// # Ok::<(), Error>(())
    /// ```
    pub fn online(&mut self, online_type: OnlineType) -> Result<bool> {
        self.check_current()?;
        // SAFETY: By the type invariant this task holds the device hotplug lock, the memory
        // hotplug lock and the block's device lock, in this order, as the function requires.
        let ret =
            unsafe { bindings::memory_block_device_online_locked(self.raw(), online_type as u32) };
        to_result(ret)?;
        Ok(ret == 0)
    }

    /// Offlines the block (what `device_offline()` does for it, with the locks held).
    ///
    /// Returns `Ok(false)` if it was offline already, without changing it; fails with `ENODEV` if
    /// the block was removed (or replaced by a provider) since it was looked up. See
    /// [`BlockGuard::online`] and [`Registration`] for examples.
    pub fn offline(&mut self) -> Result<bool> {
        self.check_current()?;
        // SAFETY: As in `online`.
        let ret = unsafe { bindings::memory_block_device_offline_locked(self.raw()) };
        to_result(ret)?;
        Ok(ret == 0)
    }
}

impl Drop for BlockGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this task holds the device lock.
        unsafe { bindings::device_unlock(self.block.raw_device()) };
    }
}

/// A memory block provider: while it is alive, the memory block devices are allocated by it and
/// have its attribute groups (`memory_block_provider_register()`); dropping it gives them back to
/// the built-in driver.
///
/// Every present block is re-created at registration with its state, zone, node links, memory
/// group, memmap-on-memory pages and poison count, and so is every block added later. The block
/// device locks get a lock class of their own, and every online and offline, whoever starts it,
/// takes the locks in the order of [`crate::memory`], so lockdep checks it.
///
/// The blocks are allocated here, as [`MemoryBlock`]s (the C layout, nothing else), with the
/// kmalloc allocator; the driver core frees each exactly once, with `kfree()`, from the device's
/// release function, which is built in: a block may outlive the module that allocated it (a late
/// reference from ACPI), so the release function cannot be the module's.
///
/// # Invariants
///
/// `provider` is registered with the C side until [`Drop`], and its name and groups are
/// `'static`.
///
/// # Examples
///
/// Takes every block over, with a read-only file `rust_phys_index` instead of the built-in files,
/// and gives them back:
///
/// ```
/// use kernel::{attribute_group, attribute_groups, c_str, prelude::*, ThisModule};
/// use kernel::memory::block::{MemoryBlock, Registration};
/// use kernel::memory::hotplug::{DeviceHotplugGuard, MemHotplugGuard};
/// use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
///
/// struct PhysIndex;
///
/// #[vtable]
/// impl AttributeOps for PhysIndex {
///     type Target = MemoryBlock;
///
///     fn show(block: &MemoryBlock, buf: &mut ShowBuffer<'_>) -> Result {
///         use core::fmt::Write;
///         Ok(writeln!(buf, "{:08x}", block.id())?)
///     }
/// }
///
/// static PHYS_INDEX: Attribute<PhysIndex> = Attribute::read_only(c_str!("rust_phys_index"));
/// attribute_group!(static BLOCK_ATTRS: MemoryBlock = [PHYS_INDEX]);
/// attribute_groups!(static BLOCK_GROUPS: MemoryBlock = [BLOCK_ATTRS]);
///
/// fn serve(module: &'static ThisModule) -> Result<Registration> {
///     Registration::register_with_groups(c_str!("example"), module, &BLOCK_GROUPS)
/// }
///
/// # // SAFETY: Built-in code has no module: NULL is its `THIS_MODULE`.
/// # static BUILT_IN: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
/// let before = MemoryBlock::find(&DeviceHotplugGuard::lock(), 0).ok_or(ENODEV)?;
/// let provider = serve(&BUILT_IN)?;
/// // Block 0 is served by a new device, online as before.
/// let mut device_hotplug = DeviceHotplugGuard::lock();
/// let block = MemoryBlock::find(&device_hotplug, 0).ok_or(ENODEV)?;
/// assert!(!core::ptr::eq(&*block, &*before));
/// let mut mem_hotplug = MemHotplugGuard::begin(&mut device_hotplug);
/// assert!(block.lock(&mut mem_hotplug).is_online());
/// // The device it replaced is gone: it can no longer be changed.
/// assert_eq!(before.lock(&mut mem_hotplug).offline(), Err(ENODEV));
/// drop(mem_hotplug);
/// drop(device_hotplug);
/// drop(provider);
/// # Ok::<(), Error>(())
/// ```
pub struct Registration {
    provider: KBox<Opaque<bindings::memory_block_provider>>,
}

// SAFETY: The C side only reads the provider, and it can be unregistered from any task.
unsafe impl Send for Registration {}

// SAFETY: `Registration` has no methods that take `&self`.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers a provider named `name` (for log messages), implemented by `module`, whose blocks
    /// have the built-in files.
    ///
    /// Fails with `EBUSY` if another provider is registered, or with the error of the hand-over,
    /// after which the built-in driver serves every block again.
    pub fn register(name: &'static CStr, module: &'static ThisModule) -> Result<Self> {
        Self::new(name, module, core::ptr::null_mut())
    }

    /// Registers a provider as [`Registration::register`] does, whose blocks have the files of
    /// `groups` instead of the built-in ones (the driver core adds `online` and `uevent`).
    pub fn register_with_groups<const N: usize>(
        name: &'static CStr,
        module: &'static ThisModule,
        groups: &'static AttributeGroups<MemoryBlock, N>,
    ) -> Result<Self> {
        Self::new(name, module, groups.as_raw())
    }

    fn new(
        name: &'static CStr,
        module: &'static ThisModule,
        groups: *mut *const bindings::attribute_group,
    ) -> Result<Self> {
        // SAFETY: All-zero bytes are a valid, empty `struct memory_block_provider`.
        let mut raw: bindings::memory_block_provider = unsafe { core::mem::zeroed() };
        raw.name = name.as_char_ptr();
        raw.owner = module.as_ptr();
        raw.alloc_block = Some(alloc_block);
        raw.block_groups = groups;
        let provider = KBox::new(Opaque::new(raw), GFP_KERNEL)?;
        // SAFETY: The provider is valid and stays at its address (boxed) until it is unregistered
        // in `drop`; its name and groups (NULL or a `'static` list) are `'static`.
        to_result(unsafe { bindings::memory_block_provider_register(provider.get()) })?;
        // INVARIANT: Registered above.
        Ok(Self { provider })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the provider is registered.
        unsafe { bindings::memory_block_provider_unregister(self.provider.get()) };
    }
}

/// Allocates a zeroed block for the C side, which sets it up, registers it and frees it with
/// `kfree()` from the device's release function.
extern "C" fn alloc_block() -> *mut bindings::memory_block {
    match KBox::<MaybeUninit<bindings::memory_block>>::new_uninit(GFP_KERNEL | __GFP_ZERO) {
        // The allocation is the C struct alone, from kmalloc, as `kfree()` expects: ownership goes
        // to the C side, which frees it exactly once.
        Ok(block) => KBox::into_raw(block).cast(),
        Err(_) => core::ptr::null_mut(),
    }
}
