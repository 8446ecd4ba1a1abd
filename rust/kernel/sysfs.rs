// SPDX-License-Identifier: GPL-2.0

//! sysfs attributes of devices and attribute groups.
//!
//! An attribute file is a type that implements [`AttributeOps`]: its `show` writes the file's
//! contents into a bounded [`ShowBuffer`], its `store` receives what was written, up to its first
//! NUL (as the C parsers such as `kstrtoull()` and `sysfs_streq()` read it), and either consumes
//! all of it or fails with an errno, which the writer's `write(2)` returns. [`Attribute`] turns
//! such a type into the C `struct device_attribute`, with a mode checked at compile time against
//! the callbacks the type has; [`attribute_group!`](crate::attribute_group) and
//! [`attribute_groups!`](crate::attribute_groups) build the static, NULL-terminated tables the
//! driver core takes, as `DEVICE_ATTR_RO()` and `ATTRIBUTE_GROUPS()` do in C.
//!
//! The callbacks receive the value that embeds the `struct device` the file belongs to (a
//! [`DeviceContainer`]), found from the device with `container_of`: devices such as memory blocks
//! have no bound driver, so there is no driver data to look the value up in.
//!
//! C headers: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h),
//! [`include/linux/device.h`](srctree/include/linux/device.h),
//! [`include/linux/kobject.h`](srctree/include/linux/kobject.h)

use crate::{bindings, device::Device, error::Result, str::CStr, types::Opaque};
use core::{fmt, marker::PhantomData, ptr};

/// A value that embeds a C `struct device`, so that attribute callbacks can reach it.
///
/// # Examples
///
/// A device type of one's own, whose attributes get the whole value:
///
/// ```
/// use kernel::{bindings, sysfs::DeviceContainer, types::Opaque};
///
/// #[repr(C)]
/// struct Widget {
///     dev: Opaque<bindings::device>,
///     serial: u32,
/// }
///
/// // SAFETY: `from_device` goes from the device to the `Widget` that embeds it (at offset 0),
/// // which lives as long as its device (the device's release frees it).
/// unsafe impl DeviceContainer for Widget {
///     unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self {
///         // SAFETY: The caller guarantees that `dev` is in a live `Widget`.
///         unsafe { &*dev.cast::<Widget>() }
///     }
/// }
///
/// let widget = Widget { dev: Opaque::uninit(), serial: 7 };
/// // SAFETY: `widget` embeds this device and outlives the reference.
/// let again = unsafe { Widget::from_device(widget.dev.get()) };
/// assert_eq!(again.serial, 7);
/// ```
///
/// # Safety
///
/// [`DeviceContainer::from_device`] must return the value that embeds the `struct device` it is
/// given, and that value must live as long as the device does.
pub unsafe trait DeviceContainer {
    /// Returns the value that embeds `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be the `struct device` embedded in a live value of this type, and it must stay
    /// alive (hold a reference count) for `'a`. It is called only from the callbacks of `dev`'s
    /// own attribute files (the trampolines of [`Attribute`]), for the duration of the callback,
    /// which some implementations (such as the memory blocks') rely on.
    unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self;
}

// SAFETY: A `Device` is the `struct device` itself.
unsafe impl DeviceContainer for Device {
    unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: The caller guarantees that `dev` is live and referenced for `'a`.
        unsafe { Device::as_ref(dev) }
    }
}

/// The buffer an attribute's `show` writes the file's contents into.
///
/// It is the page the C side passes, less its last byte: a `show` may return at most
/// `PAGE_SIZE - 1` bytes, as `sysfs_emit()` allows (sysfs reports `PAGE_SIZE` as a bad count).
/// Writing past its end is an error, as formatting into it with [`core::write!`] returns.
///
/// # Examples
///
/// ```
/// use core::fmt::Write;
/// use kernel::sysfs::ShowBuffer;
///
/// let mut page = [0u8; 8];
/// let mut buf = ShowBuffer::new(&mut page);
/// writeln!(buf, "{:04x}", 0x2au32)?;
/// assert_eq!(buf.as_bytes(), b"002a\n");
/// // Only three bytes are left: the write fails and the buffer keeps what fits.
/// assert!(write!(buf, "full!").is_err());
/// assert_eq!(buf.len(), 8);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `len <= buf.len()`: the first `len` bytes of `buf` are what was written.
pub struct ShowBuffer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> ShowBuffer<'a> {
    /// Creates a buffer that writes into `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        // INVARIANT: Nothing was written.
        Self { buf, len: 0 }
    }

    /// Returns what was written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Returns how many bytes were written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Write for ShowBuffer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        // INVARIANT: `n` is at most the room left.
        self.len += n;
        if n < s.len() {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// The callbacks of one attribute file.
///
/// Implement `show` for a readable file and `store` for a writable one; [`Attribute`] checks the
/// file's mode against the callbacks at compile time.
///
/// # Examples
///
/// A read-write file on any device that remembers a number:
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::{device::Device, prelude::*, str::CStr};
/// use kernel::sysfs::{AttributeOps, ShowBuffer, Writer};
///
/// static VALUE: AtomicU32 = AtomicU32::new(7);
///
/// struct Value;
///
/// #[vtable]
/// impl AttributeOps for Value {
///     type Target = Device;
///
///     fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
///         use core::fmt::Write;
///         writeln!(buf, "{}", VALUE.load(Ordering::Relaxed))?;
///         Ok(())
///     }
///
///     fn store(_dev: &Device, input: &CStr, _writer: &Writer<'_>) -> Result {
///         let text = input.to_str().map_err(|_| EINVAL)?;
///         VALUE.store(text.trim().parse().map_err(|_| EINVAL)?, Ordering::Relaxed);
///         Ok(())
///     }
/// }
/// assert!(Value::HAS_SHOW && Value::HAS_STORE);
/// ```
#[macros::vtable]
pub trait AttributeOps {
    /// The value the file's device is embedded in.
    type Target: DeviceContainer + ?Sized;

    /// Writes the file's contents into `buf`.
    fn show(_target: &Self::Target, _buf: &mut ShowBuffer<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Handles a write of `input` by `writer`: what was written, up to its first NUL (sysfs ends
    /// it with one). On success the whole write is consumed, as by the C files (a `store` that
    /// consumed nothing would make `write(2)` return 0, and writers retry that forever).
    fn store(_target: &Self::Target, _input: &CStr, _writer: &Writer<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// A write to an attribute file in progress: what a [`AttributeOps::store`] is given with the
/// text written.
///
/// It exists only while the `store` callback runs, in the task that writes (a `write(2)` system
/// call), and cannot be made anywhere else: it is the proof that an operation is done for a write
/// to a file, by the writer's rights.
///
/// # Invariants
///
/// The current task is the one writing, in a `store` callback, for `'a`.
pub struct Writer<'a> {
    // Only the memory block operations take the device hotplug lock in a `store`.
    #[cfg(CONFIG_MEMORY_BLOCK_PROVIDER)]
    device_hotplug_taken: core::cell::Cell<bool>,
    _call: PhantomData<&'a mut ()>,
    _not_send: PhantomData<*mut ()>,
}

/// A capability a writer may have (`CAP_*`), for [`Writer::capable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Capability {
    /// `CAP_SYS_ADMIN`: system administration.
    SysAdmin = bindings::CAP_SYS_ADMIN,
}

impl Writer<'_> {
    /// Makes the writer of a `store` callback.
    ///
    /// # Safety
    ///
    /// The caller is the `store` callback of an attribute file, in the writing task, and the
    /// writer does not outlive the callback.
    pub(crate) unsafe fn new() -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            #[cfg(CONFIG_MEMORY_BLOCK_PROVIDER)]
            device_hotplug_taken: core::cell::Cell::new(false),
            _call: PhantomData,
            _not_send: PhantomData,
        }
    }

    /// Returns `true` if the writing task has `cap` in the initial user namespace (`capable()`,
    /// audited as in C).
    pub fn capable(&self, cap: Capability) -> bool {
        // SAFETY: The function has no preconditions; by the type invariant it runs in the task
        // that writes, whose rights it checks.
        unsafe { bindings::capable(cap as i32) }
    }

    /// Records that the `store` takes the device hotplug lock; `false` if it did already.
    #[cfg(CONFIG_MEMORY_BLOCK_PROVIDER)]
    pub(crate) fn take_device_hotplug_once(&self) -> bool {
        !self.device_hotplug_taken.replace(true)
    }
}

/// The permission bits of an attribute file (`umode_t`).
pub type Mode = u16;

/// An attribute file of a device: the C `struct device_attribute`, with the callbacks of `O`.
///
/// Build it in a `static` with [`Attribute::new`] or one of the shorthands; a mode that the
/// callbacks do not support (a readable file without `show`, a writable one without `store`), or
/// that the C `VERIFY_OCTAL_PERMISSIONS()` rejects, does not compile.
///
/// # Invariants
///
/// `raw` is a valid `struct device_attribute` whose name is a `'static` C string and whose `show`
/// and `store` are the trampolines of `O` (or NULL where `O` has no such callback or the mode
/// does not allow it).
///
/// # Examples
///
/// ```
/// use kernel::{c_str, device::Device, prelude::*};
/// use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
///
/// struct Answer;
///
/// #[vtable]
/// impl AttributeOps for Answer {
///     type Target = Device;
///
///     fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
///         use core::fmt::Write;
///         Ok(writeln!(buf, "42")?)
///     }
/// }
///
/// // `Attribute::<Answer>::read_write(..)` would not compile: `Answer` has no `store`.
/// static ANSWER: Attribute<Answer> = Attribute::read_only(c_str!("answer"));
/// assert_eq!(ANSWER.mode(), 0o444);
/// assert_eq!(ANSWER.name().as_bytes(), b"answer");
/// ```
#[repr(transparent)]
pub struct Attribute<O: AttributeOps> {
    raw: Opaque<bindings::device_attribute>,
    _ops: PhantomData<O>,
}

// SAFETY: The C side only reads an attribute once it is built (sysfs never writes to a
// `struct device_attribute`), and `O` is only a type-level marker.
unsafe impl<O: AttributeOps> Sync for Attribute<O> {}

impl<O: AttributeOps> Attribute<O> {
    /// An attribute named `name` with mode `MODE`.
    ///
    /// Does not compile if `MODE` has bits beyond `0o777`, if a group or others may do more than
    /// the owner, if others may write, if it is readable and `O` has no `show`, or if it is
    /// writable and `O` has no `store`: the checks are constants of the type, evaluated when it
    /// is compiled, never at run time.
    pub const fn new<const MODE: Mode>(name: &'static CStr) -> Self {
        const {
            assert!(MODE & !0o777 == 0, "mode has bits beyond 0o777");
            assert!(
                (MODE >> 6) & 4 >= (MODE >> 3) & 4 && (MODE >> 3) & 4 >= MODE & 4,
                "group or others can read what the owner cannot"
            );
            assert!(
                (MODE >> 6) & 2 >= (MODE >> 3) & 2,
                "the group can write what the owner cannot"
            );
            assert!(MODE & 0o002 == 0, "others must not write");
            assert!(
                MODE & 0o444 == 0 || O::HAS_SHOW,
                "a readable attribute needs `show`"
            );
            assert!(
                MODE & 0o222 == 0 || O::HAS_STORE,
                "a writable attribute needs `store`"
            );
        }

        // SAFETY: All-zero bytes are a valid `struct device_attribute` (NULL pointers, no
        // callbacks, a zero lockdep key that the driver core does not use for static attributes).
        let mut raw: bindings::device_attribute = unsafe { core::mem::zeroed() };
        raw.attr.name = name.as_char_ptr();
        raw.attr.mode = MODE;
        // Only the callbacks the mode allows: a read-only file has no `store`.
        if O::HAS_SHOW && MODE & 0o444 != 0 {
            raw.show = Some(show_callback::<O>);
        }
        if O::HAS_STORE && MODE & 0o222 != 0 {
            raw.store = Some(store_callback::<O>);
        }
        // INVARIANT: `name` is `'static`, the callbacks are those of `O` that `MODE` allows.
        Self {
            raw: Opaque::new(raw),
            _ops: PhantomData,
        }
    }

    /// A file everybody can read (`0444`, `DEVICE_ATTR_RO()` in C).
    pub const fn read_only(name: &'static CStr) -> Self {
        Self::new::<0o444>(name)
    }

    /// A file only root can read (`0400`, `DEVICE_ATTR_ADMIN_RO()` in C).
    pub const fn admin_read_only(name: &'static CStr) -> Self {
        Self::new::<0o400>(name)
    }

    /// A file everybody can read and root can write (`0644`, `DEVICE_ATTR_RW()` in C).
    pub const fn read_write(name: &'static CStr) -> Self {
        Self::new::<0o644>(name)
    }

    /// A file only root can write (`0200`, `DEVICE_ATTR_WO()` in C).
    pub const fn write_only(name: &'static CStr) -> Self {
        Self::new::<0o200>(name)
    }

    /// Returns the attribute's name.
    pub fn name(&self) -> &'static CStr {
        // SAFETY: By the type invariant the name is a `'static` C string.
        unsafe { CStr::from_char_ptr((*self.raw.get()).attr.name) }
    }

    /// Returns the attribute's mode.
    pub fn mode(&self) -> Mode {
        // SAFETY: `raw` is valid and nobody writes to it.
        unsafe { (*self.raw.get()).attr.mode }
    }

    /// Returns the `struct attribute` inside, for an attribute table.
    pub const fn as_raw(&'static self) -> *mut bindings::attribute {
        // `attr` is the first field of `struct device_attribute`.
        self.raw.get().cast()
    }
}

/// The C `show` callback of the attributes of type `O`.
///
/// # Safety
///
/// Called by the driver core with a live `dev` of `O::Target` and its `PAGE_SIZE` buffer.
unsafe extern "C" fn show_callback<O: AttributeOps>(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut crate::ffi::c_char,
) -> isize {
    // SAFETY: The driver core calls `show` with the device whose file is read, kept alive by the
    // open file, and the attribute is one of `O` (only `Attribute<O>` installs this callback).
    let target = unsafe { O::Target::from_device(dev) };
    // SAFETY: sysfs passes a buffer of `PAGE_SIZE` bytes that only this call uses; a `show` may
    // fill all but the last.
    let page =
        unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), crate::page::PAGE_SIZE - 1) };
    let mut out = ShowBuffer::new(page);
    match O::show(target, &mut out) {
        Ok(()) => out.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The C `store` callback of the attributes of type `O`.
///
/// # Safety
///
/// Called by the driver core with a live `dev` of `O::Target` and `count` bytes at `buf`, followed
/// by a NUL.
unsafe extern "C" fn store_callback<O: AttributeOps>(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const crate::ffi::c_char,
    count: usize,
) -> isize {
    // SAFETY: As in `show_callback`.
    let target = unsafe { O::Target::from_device(dev) };
    // SAFETY: sysfs passes the `count` bytes written followed by a NUL (kernfs adds one), valid
    // for the duration of the call.
    let input = unsafe { CStr::from_char_ptr(buf) };
    // SAFETY: This is a `store` callback, in the writing task; `writer` lives only for the call.
    let writer = unsafe { Writer::new() };
    store_result(O::store(target, input, &writer), count)
}

/// What a `store` callback returns to sysfs for `result`: the whole write, `count`, or the errno.
pub(crate) fn store_result(result: Result, count: usize) -> isize {
    match result {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// An entry of an attribute table: an attribute of the devices embedded in `T`, or the NULL that
/// ends the table. Built by [`attribute_group!`](crate::attribute_group).
///
/// # Invariants
///
/// The pointer is null or points to the `attr` of a `'static` [`Attribute`] whose callbacks take a
/// `T`: made only by [`AttributeEntry::of`] and [`AttributeEntry::end`].
#[doc(hidden)]
#[repr(transparent)]
pub struct AttributeEntry<T>(*mut bindings::attribute, PhantomData<fn(&T)>);

impl<T> AttributeEntry<T> {
    /// The entry of `attr`, whose callbacks take a `T`.
    pub const fn of<O: AttributeOps<Target = T>>(attr: &'static Attribute<O>) -> Self {
        // INVARIANT: `attr` is `'static` and its callbacks take a `T` (`O::Target`).
        Self(attr.as_raw(), PhantomData)
    }

    /// The NULL that ends a table.
    pub const fn end() -> Self {
        // INVARIANT: Null.
        Self(ptr::null_mut(), PhantomData)
    }
}

/// A NULL-terminated table of the attributes of devices embedded in `T`, as
/// `struct attribute_group` points to. Built by [`attribute_group!`](crate::attribute_group).
///
/// # Invariants
///
/// The last entry, and only it, is [`AttributeEntry::end`].
#[doc(hidden)]
#[repr(transparent)]
pub struct AttributeList<T, const N: usize>([AttributeEntry<T>; N]);

impl<T, const N: usize> AttributeList<T, N> {
    /// Makes a table of `entries`.
    ///
    /// # Safety
    ///
    /// The last entry, and only it, must be [`AttributeEntry::end`].
    pub const unsafe fn new(entries: [AttributeEntry<T>; N]) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self(entries)
    }
}

// SAFETY: The table only holds pointers to `Sync` statics, and nobody writes to it.
unsafe impl<T, const N: usize> Sync for AttributeList<T, N> {}

/// An attribute group of the devices embedded in `T`: the C `struct attribute_group`, a set of
/// files created and removed together, optionally in a subfolder.
///
/// `T` is the type the attributes' callbacks take; only a group whose `T` matches the devices it
/// is added to can be added to them, so a callback never gets a device of another type.
///
/// Built by [`attribute_group!`](crate::attribute_group), which has examples.
///
/// # Invariants
///
/// The inner `struct attribute_group` is valid, its name (if any) and its NULL-terminated
/// attribute table are `'static`, and every attribute in it takes a `T`.
#[repr(transparent)]
pub struct AttributeGroup<T>(Opaque<bindings::attribute_group>, PhantomData<fn(&T)>);

// SAFETY: The C side only reads a group, and everything it points to is `'static` and `Sync`.
unsafe impl<T> Sync for AttributeGroup<T> {}

impl<T> AttributeGroup<T> {
    /// A group of the attributes in `attrs`, in the subfolder `name` if given.
    ///
    /// Use [`attribute_group!`](crate::attribute_group) instead, which builds the table.
    #[doc(hidden)]
    pub const fn new<const N: usize>(
        name: Option<&'static CStr>,
        attrs: &'static AttributeList<T, N>,
    ) -> Self {
        // SAFETY: All-zero bytes are a valid, empty `struct attribute_group`.
        let mut raw: bindings::attribute_group = unsafe { core::mem::zeroed() };
        if let Some(name) = name {
            raw.name = name.as_char_ptr();
        }
        // `AttributeEntry` is a transparent `*mut bindings::attribute`.
        raw.attrs = attrs.0.as_ptr().cast_mut().cast();
        // INVARIANT: `name` and `attrs` are `'static`, the table ends with NULL (an invariant of
        // `AttributeList`) and every entry of it takes a `T` (`AttributeEntry::of`).
        Self(Opaque::new(raw), PhantomData)
    }

    /// Returns the C `struct attribute_group`.
    pub const fn as_raw(&'static self) -> *const bindings::attribute_group {
        self.0.get()
    }
}

/// An entry of an attribute group list: a group of the devices embedded in `T`, or the NULL that
/// ends the list. Built by [`attribute_groups!`](crate::attribute_groups).
///
/// # Invariants
///
/// The pointer is null or points to a `'static` [`AttributeGroup`] of `T`.
#[doc(hidden)]
#[repr(transparent)]
pub struct GroupEntry<T>(*const bindings::attribute_group, PhantomData<fn(&T)>);

impl<T> GroupEntry<T> {
    /// The entry of `group`.
    pub const fn of(group: &'static AttributeGroup<T>) -> Self {
        // INVARIANT: `group` is `'static`, of `T`.
        Self(group.as_raw(), PhantomData)
    }

    /// The NULL that ends a list.
    pub const fn end() -> Self {
        // INVARIANT: Null.
        Self(ptr::null(), PhantomData)
    }
}

/// A NULL-terminated list of attribute groups of the devices embedded in `T`: the C
/// `const struct attribute_group **` that `struct device_type`, `struct bus_type` and others
/// point to.
///
/// Built by [`attribute_groups!`](crate::attribute_groups), which has examples.
///
/// # Invariants
///
/// The last entry, and only it, is [`GroupEntry::end`].
#[repr(transparent)]
pub struct AttributeGroups<T, const N: usize>([GroupEntry<T>; N]);

// SAFETY: The list only holds pointers to `Sync` statics, and nobody writes to it.
unsafe impl<T, const N: usize> Sync for AttributeGroups<T, N> {}

impl<T, const N: usize> AttributeGroups<T, N> {
    /// Makes a list of `entries`; use [`attribute_groups!`](crate::attribute_groups) instead.
    ///
    /// # Safety
    ///
    /// The last entry, and only it, must be [`GroupEntry::end`].
    #[doc(hidden)]
    pub const unsafe fn new(entries: [GroupEntry<T>; N]) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self(entries)
    }

    /// Returns the C list.
    pub const fn as_raw(&'static self) -> *mut *const bindings::attribute_group {
        // `GroupEntry` is a transparent `*const bindings::attribute_group`.
        self.0.as_ptr().cast_mut().cast()
    }
}

/// Declares a `static` [`AttributeGroup`] of the given [`Attribute`] statics.
///
/// # Examples
///
/// ```
/// use kernel::{attribute_group, c_str, device::Device, prelude::*};
/// use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
///
/// struct Hello;
///
/// #[vtable]
/// impl AttributeOps for Hello {
///     type Target = Device;
///
///     fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
///         use core::fmt::Write;
///         Ok(writeln!(buf, "hello")?)
///     }
/// }
///
/// static HELLO: Attribute<Hello> = Attribute::read_only(c_str!("hello"));
/// static HELLO_ADMIN: Attribute<Hello> = Attribute::admin_read_only(c_str!("hello_admin"));
///
/// attribute_group!(static GREETINGS: Device = [HELLO, HELLO_ADMIN]);
/// // An entry can depend on the configuration.
/// attribute_group!(static MAYBE: Device = [HELLO, #[cfg(CONFIG_NOT_A_SYMBOL)] HELLO_ADMIN]);
/// attribute_group!(static IN_FOLDER: Device = { name: c_str!("greetings"), attrs: [HELLO] });
///
/// // SAFETY: The group was just built and nothing writes to it.
/// let raw = unsafe { &*GREETINGS.as_raw() };
/// assert!(raw.name.is_null());
/// // SAFETY: The table has two attributes and a NULL.
/// unsafe {
///     assert_eq!(*raw.attrs.add(0), HELLO.as_raw());
///     assert_eq!(*raw.attrs.add(1), HELLO_ADMIN.as_raw());
///     assert!((*raw.attrs.add(2)).is_null());
/// }
/// // SAFETY: As above.
/// assert!(!unsafe { &*IN_FOLDER.as_raw() }.name.is_null());
/// // SAFETY: The table has one attribute and a NULL.
/// assert!(unsafe { (*(*MAYBE.as_raw()).attrs.add(1)).is_null() });
/// ```
#[macro_export]
macro_rules! attribute_group {
    (
        $vis:vis static $name:ident: $target:ty =
            [$($(#[$meta:meta])* $attr:ident),+ $(,)?]
    ) => {
        $crate::attribute_group!(
            @build $vis $name, $target, ::core::option::Option::None,
            [$($(#[$meta])* $attr),+]
        );
    };
    (
        $vis:vis static $name:ident: $target:ty = {
            name: $folder:expr,
            attrs: [$($(#[$meta:meta])* $attr:ident),+ $(,)?] $(,)?
        }
    ) => {
        $crate::attribute_group!(
            @build $vis $name, $target, ::core::option::Option::Some($folder),
            [$($(#[$meta])* $attr),+]
        );
    };
    (
        @build $vis:vis $name:ident, $target:ty, $folder:expr,
        [$($(#[$meta:meta])* $attr:ident),+]
    ) => {
        $vis static $name: $crate::sysfs::AttributeGroup<$target> = {
            static ATTRS: $crate::sysfs::AttributeList<
                $target,
                { <[&str]>::len(&[$($(#[$meta])* ::core::stringify!($attr)),+]) + 1 },
            > =
                // SAFETY: The table ends with `end()`, and only there.
                unsafe {
                    $crate::sysfs::AttributeList::new([
                        $($(#[$meta])* $crate::sysfs::AttributeEntry::of(&$attr),)+
                        $crate::sysfs::AttributeEntry::end(),
                    ])
                };
            $crate::sysfs::AttributeGroup::new($folder, &ATTRS)
        };
    };
}

/// Declares a `static` [`AttributeGroups`] list of the given [`AttributeGroup`] statics.
///
/// # Examples
///
/// ```
/// use kernel::{attribute_group, attribute_groups, c_str, device::Device, prelude::*};
/// use kernel::sysfs::{Attribute, AttributeOps, ShowBuffer};
///
/// struct Zero;
///
/// #[vtable]
/// impl AttributeOps for Zero {
///     type Target = Device;
///
///     fn show(_dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
///         use core::fmt::Write;
///         Ok(writeln!(buf, "0")?)
///     }
/// }
///
/// static ZERO: Attribute<Zero> = Attribute::read_only(c_str!("zero"));
/// attribute_group!(static ZEROS: Device = [ZERO]);
/// attribute_groups!(static GROUPS: Device = [ZEROS]);
///
/// // SAFETY: The list has one group and a NULL.
/// unsafe {
///     assert_eq!(*GROUPS.as_raw(), ZEROS.as_raw());
///     assert!((*GROUPS.as_raw().add(1)).is_null());
/// }
/// ```
#[macro_export]
macro_rules! attribute_groups {
    ($vis:vis static $name:ident: $target:ty = [$($group:ident),+ $(,)?]) => {
        $vis static $name: $crate::sysfs::AttributeGroups<
            $target,
            { [$(::core::stringify!($group)),+].len() + 1 },
        > =
            // SAFETY: The list ends with `end()`, and only there.
            unsafe {
                $crate::sysfs::AttributeGroups::new([
                    $($crate::sysfs::GroupEntry::of(&$group),)+
                    $crate::sysfs::GroupEntry::end(),
                ])
            };
    };
}
