//! Shared by the fuzz targets: the built-in plan, loaded once, a switch to
//! show results, and an
//! allocator that turns one oversized allocation into a crash.
//!
//! libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks, and these
//! targets are built with `--sanitizer none`, so it would do nothing here:
//! `-rss_limit_mb` still catches memory that is touched, and this allocator
//! catches a single request over [`MALLOC_LIMIT`] (say, a length read from
//! the input and passed to `Vec::with_capacity`) before it is made. It aborts,
//! so libFuzzer reports a deadly signal and saves the input.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write as _;
use std::sync::LazyLock;

use anju_core::plan::Plan;

/// The largest single allocation a target may ask for (as the script's
/// `-malloc_limit_mb=1024`).
pub const MALLOC_LIMIT: usize = 1024 << 20;

/// The built-in plan (`plans/haining-2023-2027.toml`), loaded once.
#[allow(dead_code)]
pub static PLAN: LazyLock<Plan> = LazyLock::new(|| match anju_core::builtin_plan() {
    Ok(p) => p,
    Err(e) => panic!("the built-in plan does not load: {e}"),
});

/// Whether to print what each input read as (`ANJU_FUZZ_SHOW=1`), to check a
/// seed or a reproducer by hand: `target/.../release/xlsx FILE`.
#[allow(dead_code)]
pub static SHOW: LazyLock<bool> = LazyLock::new(|| std::env::var_os("ANJU_FUZZ_SHOW").is_some());

pub struct Limited;

#[cold]
fn too_big(size: usize) -> ! {
    // No allocation from here on: a fixed message, then the number by hand.
    let mut digits = [0u8; 20];
    let mut n = size;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(b"==ERROR: fuzz target: out-of-memory (malloc(");
    let _ = err.write_all(&digits[i..]);
    let _ = err.write_all(b")) over the 1024 MiB limit of one allocation\n");
    std::process::abort()
}

// SAFETY: every call is passed on to the system allocator unchanged; only
// the size is looked at first.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MALLOC_LIMIT {
            too_big(layout.size());
        }
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MALLOC_LIMIT {
            too_big(layout.size());
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MALLOC_LIMIT {
            too_big(new_size);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
