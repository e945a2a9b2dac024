//! A global allocator that counts the allocations of each thread, to prove
//! that a piece of code touches no heap: building and installing a filter
//! may run between `fork` and `exec`, where the allocator's lock may be held
//! by a thread that no longer exists.
//!
//! A test or benchmark binary installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;` and measures
//! with [`allocations_during`]; without that line the count stays 0, so
//! [`Counting::installed`] tells whether it is in place.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting every `alloc` and `realloc` of the
/// calling thread.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; counting has no effect on it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's guarantees for `layout`, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`, as the caller
        // guarantees for this allocator.
        unsafe { System.dealloc(ptr, layout) };
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `dealloc`, and `new_size` as the caller guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

impl Counting {
    /// Whether this binary's global allocator is [`Counting`]: one
    /// allocation must be seen.
    pub fn installed() -> bool {
        allocations_during(|| std::hint::black_box(vec![1u8; 64])).1 == 1
    }
}

/// Allocations made on this thread while `f` runs.
pub fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let value = f();
    (value, ALLOCATIONS.with(Cell::get) - before)
}
