//! A hand-written binding of `PluginAPI/include/baton_plugin.h` (ABI 1.6):
//! only the types this plugin uses, laid out exactly as the header's (all
//! `#[repr(C)]`, LP64). No bindgen, no crates: the header is the contract.
//!
//! Compatibility rule kept here as in C: never copy a struct the host
//! allocated (`*context`); read its fields through the pointer, and read a
//! field newer than ABI 1.0 only when `struct_size` covers it.

use std::ffi::c_void;
use std::os::raw::c_char;

pub type Status = i32;
pub const OK: Status = 0;
pub const REJECT: Status = 1;
pub const NOT_FOUND: Status = 3;
pub const ERROR: Status = -1;

pub const ABI_MAJOR: u32 = 1;
pub const ABI_MINOR: u32 = 6;
/// `BATON_PLUGIN_SECOND_INSTANCE` (ABI 1.6): the tally reads everything from
/// the host store, so a second, read-only instance may answer check_tx,
/// query and the functions beside the first.
pub const SECOND_INSTANCE: u64 = 1;
pub const HOST_SIZE_1_0: u32 = 80;

/// Borrowed bytes (`baton_bytes`): frozen, never grows.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Bytes {
    pub ptr: *const u8,
    pub len: usize,
}

impl Bytes {
    pub fn of(slice: &[u8]) -> Bytes {
        Bytes { ptr: slice.as_ptr(), len: slice.len() }
    }

    /// # Safety
    /// `ptr` must point at `len` readable bytes for the borrow (the ABI's rule).
    pub unsafe fn as_slice<'a>(self) -> &'a [u8] {
        if self.len == 0 || self.ptr.is_null() {
            &[]
        } else {
            std::slice::from_raw_parts(self.ptr, self.len)
        }
    }
}

/// `baton_writer`: appends copies of bytes into memory the receiver owns.
#[repr(C)]
pub struct Writer {
    pub struct_size: u32,
    pub reserved: u32,
    pub ctx: *mut c_void,
    pub write: unsafe extern "C" fn(ctx: *mut c_void, data: *const u8, len: usize) -> Status,
}

pub type KvVisitor = unsafe extern "C" fn(ctx: *mut c_void, key: Bytes, value: Bytes) -> i32;

/// `baton_host`: the host's table (its 1.0 layout, which has not grown).
#[repr(C)]
pub struct Host {
    pub struct_size: u32,
    pub abi_major: u32,
    pub abi_minor: u32,
    pub reserved: u32,
    pub host_data: *mut c_void,
    pub log: unsafe extern "C" fn(host: *const Host, level: i32, message: *const c_char, len: usize),
    pub kv_get: unsafe extern "C" fn(host: *const Host, key: Bytes, value: *const Writer) -> Status,
    pub kv_put: unsafe extern "C" fn(host: *const Host, key: Bytes, value: Bytes) -> Status,
    pub kv_delete: unsafe extern "C" fn(host: *const Host, key: Bytes) -> Status,
    pub kv_iterate:
        unsafe extern "C" fn(host: *const Host, prefix: Bytes, visit: Option<KvVisitor>, ctx: *mut c_void) -> Status,
    pub complete: unsafe extern "C" fn(host: *const Host, token: u64, status: Status, data: Bytes) -> Status,
    pub sha256: unsafe extern "C" fn(host: *const Host, data: Bytes, digest: *mut u8),
}

/// `baton_block_context` up to ABI 1.1 (`finality_proof`, unused here).
#[repr(C)]
pub struct BlockContext {
    pub struct_size: u32,
    pub reserved: u32,
    pub height: u64,
    pub view: u64,
    pub timestamp_ms: u64,
    pub block_id: [u8; 32],
    pub parent_id: [u8; 32],
    pub proposer: Bytes,
    pub pending_payloads: *const Bytes,
    pub pending_count: usize,
    pub finality_proof: Bytes,
}

/// `baton_function` (ABI 1.3).
#[repr(C)]
pub struct Function {
    pub struct_size: u32,
    pub reserved: u32,
    pub name: *const c_char,
    pub symbol: *const c_char,
    pub signature: *const c_char,
    pub description: *const c_char,
}

pub type Create = unsafe extern "C" fn(*const Plugin, *const Host, Bytes, *const Writer, *mut *mut c_void) -> Status;
pub type Destroy = unsafe extern "C" fn(*mut c_void);
pub type CheckTx = unsafe extern "C" fn(*mut c_void, Bytes, *const Writer) -> Status;
pub type Produce = unsafe extern "C" fn(
    *mut c_void, *const BlockContext, *const Bytes, usize, *mut u8, u64, *const Writer, *const Writer,
) -> Status;
pub type Validate = unsafe extern "C" fn(*mut c_void, *const BlockContext, Bytes, u64, *const Writer) -> Status;
pub type Commit = unsafe extern "C" fn(*mut c_void, *const BlockContext, Bytes, *mut u8, *const Writer) -> Status;
pub type Query = unsafe extern "C" fn(*mut c_void, Bytes, *const Writer, *const Writer) -> Status;
pub type BlockTransactions = unsafe extern "C" fn(*mut c_void, Bytes, *const Writer, *const Writer) -> Status;

/// `baton_plugin`, the descriptor `baton_plugin_entry` returns (ABI 1.6 layout).
#[repr(C)]
pub struct Plugin {
    pub struct_size: u32,
    pub abi_major: u32,
    pub abi_minor: u32,
    pub reserved: u32,
    pub name: *const c_char,
    pub version: *const c_char,
    pub description: *const c_char,
    pub plugin_data: *mut c_void,
    pub create: Option<Create>,
    pub destroy: Option<Destroy>,
    pub check_tx: Option<CheckTx>,
    pub produce_block: Option<Produce>,
    pub validate_block: Option<Validate>,
    pub commit_block: Option<Commit>,
    pub query: Option<Query>,
    pub block_transactions: Option<BlockTransactions>,
    pub functions: *const *const Function,
    pub function_count: usize,
    /// ABI 1.4: none (nothing to migrate).
    pub migrate_state: Option<unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char, *const Writer) -> Status>,
    /// ABI 1.6: `BATON_PLUGIN_*` bits.
    pub flags: u64,
}

// The descriptor and declarations are immutable statics the host only reads.
unsafe impl Sync for Plugin {}
unsafe impl Sync for Function {}

/// A table of declarations, as a static.
#[repr(transparent)]
pub struct FunctionTable<const N: usize>(pub [*const Function; N]);
unsafe impl<const N: usize> Sync for FunctionTable<N> {}

/// A C string from a NUL-terminated byte literal (`b"name\0"`), in a
/// constant: written this way rather than with `c"…"` literals so the crate
/// builds with Debian's rustc (1.63) as well as a current one.
pub const fn c_str(bytes: &'static [u8]) -> *const c_char {
    assert!(!bytes.is_empty() && bytes[bytes.len() - 1] == 0, "a C string must end with NUL");
    bytes.as_ptr() as *const c_char
}

/// Appends to a host writer; false when the host refused (too large).
///
/// # Safety
/// `writer` must be a writer the host passed to the current call.
pub unsafe fn write(writer: *const Writer, bytes: &[u8]) -> bool {
    let w = &*writer;
    (w.write)(w.ctx, bytes.as_ptr(), bytes.len()) == OK
}

// Layout checks against the header's static assertions (LP64).
const _: () = assert!(std::mem::size_of::<Bytes>() == 16);
const _: () = assert!(std::mem::size_of::<Writer>() == 24);
const _: () = assert!(std::mem::size_of::<Host>() == HOST_SIZE_1_0 as usize);
const _: () = assert!(std::mem::size_of::<BlockContext>() == 144);
const _: () = assert!(std::mem::size_of::<Function>() == 40);
const _: () = assert!(std::mem::size_of::<Plugin>() == 144);
