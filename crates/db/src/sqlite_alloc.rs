//! SQLite allocating through the process's allocator.
//!
//! sqlx copies every column value of a SQLite row on the connection's worker thread
//! (`sqlite3_value_dup`), and the row is dropped on a runtime thread. glibc's malloc, SQLite's
//! default, serves such cross-thread frees through its arena locks and slow paths: in a profile
//! of the problem list under load `_int_malloc`, `_int_free` and their kin took 35 % of the
//! process's CPU (BENCHMARKS.md, fourth pass). The binary's global allocator (mimalloc) frees
//! across threads without locks; SQLite is given it here.

use libsqlite3_sys as ffi;
use std::alloc::{Layout, alloc, dealloc, realloc};
use std::ffi::{c_int, c_void};

/// Each block starts with its size (SQLite asks for it back, `xSize`); 16 bytes keep what
/// SQLite gets aligned as malloc's would be.
const HEADER: usize = 16;

fn layout(n: usize) -> Option<Layout> {
    Layout::from_size_align(n.checked_add(HEADER)?, HEADER).ok()
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Some(l) = usize::try_from(n).ok().and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size (the header)
    let base = unsafe { alloc(l) };
    if base.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the block is at least HEADER bytes, aligned for a usize
    unsafe {
        base.cast::<usize>().write(l.size() - HEADER);
        base.add(HEADER).cast()
    }
}

/// The block and the layout it was allocated with, from what SQLite holds.
///
/// # Safety
/// `p` is a non-null pointer returned by `x_malloc` or `x_realloc` and not yet freed.
unsafe fn block(p: *mut c_void) -> (*mut u8, Layout) {
    // SAFETY: per the contract, HEADER bytes before `p` hold the size
    unsafe {
        let base = p.cast::<u8>().sub(HEADER);
        let n = base.cast::<usize>().read();
        (base, Layout::from_size_align_unchecked(n + HEADER, HEADER))
    }
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what it allocated here, once
    unsafe {
        let (base, l) = block(p);
        dealloc(base, l);
    }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    if p.is_null() {
        return unsafe { x_malloc(n) };
    }
    let Some(new) = usize::try_from(n).ok().and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `p` came from here; the new size is non-zero and fits a Layout
    unsafe {
        let (base, l) = block(p);
        let moved = realloc(base, l, new.size());
        if moved.is_null() {
            return std::ptr::null_mut();
        }
        moved.cast::<usize>().write(new.size() - HEADER);
        moved.add(HEADER).cast()
    }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: `p` came from here
    let (_, l) = unsafe { block(p) };
    c_int::try_from(l.size() - HEADER).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    n.saturating_add(7) & !7
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Gives SQLite the process's allocator. Call it once, first thing in `main`: SQLite accepts it
/// only before its first use (later it returns false and changes nothing).
pub fn use_process_allocator() -> bool {
    let methods = ffi::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: the option is documented to be set before sqlite3_initialize and is refused
    // with SQLITE_MISUSE afterwards; SQLite copies the methods, so a local struct suffices.
    unsafe {
        ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const _) == ffi::SQLITE_OK
    }
}
