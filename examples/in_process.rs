//! A program that confines itself: it builds the W^X policy of
//! `examples/w_xor_x.toml` for its own architecture, installs it in its own
//! process with `install::apply`, and then asks for memory both ways. The
//! read-write mapping works; the writable and executable one is refused.
//!
//! ```text
//! $ cargo run --example in_process
//! read-write: mapped
//! read-write-execute: refused (Operation not permitted (os error 1))
//! ```

use std::io;

use seccomp_policy::{install, Arch};

seccomp_policy::seccomp_policy!("examples/w_xor_x.toml");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arch = Arch::NATIVE.ok_or("not a supported architecture")?;
    let prog = program(arch, Cap::NONE)?;
    // This process and every thread of it, from here on; it cannot be undone.
    install::apply(&prog)?;

    let asks = [
        ("read-write", libc::PROT_READ | libc::PROT_WRITE),
        (
            "read-write-execute",
            libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
        ),
    ];
    for (what, prot) in asks {
        // SAFETY: a new anonymous mapping; nothing else refers to it.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                4096,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            println!("{what}: refused ({})", io::Error::last_os_error());
        } else {
            println!("{what}: mapped");
            // SAFETY: unmapping the mapping made just above.
            unsafe { libc::munmap(p, 4096) };
        }
    }
    Ok(())
}
