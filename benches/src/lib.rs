//! Shared pieces of the benchmarks: the shipped policy, the two reference
//! filter generators (libseccomp through its C API, seccompiler), a fork
//! helper, and the ratio tables printed after the criterion runs.
//!
//! The benchmark targets are in `benches/`; `BENCHMARKS.md` at the root of
//! the repository has the commands and the latest numbers.

use std::collections::{BTreeMap, BTreeSet};

use seccomp_policy::{Arch, SockFilter};

seccomp_policy::seccomp_policy!("../policy/seccomp.toml");

/// The union of `base` and the caps in `caps` on `arch`, sorted and unique:
/// the set the reference generators are given.
pub fn numbers(arch: Arch, caps: u64) -> Vec<u32> {
    let ap = POLICY.arch(arch).expect("arch compiled into the policy");
    let mut set: BTreeSet<u32> = ap.base.allow.iter().copied().collect();
    for (i, cap) in ap.caps.iter().enumerate() {
        if caps & (1 << i) != 0 {
            set.extend(cap.allow.iter().copied());
        }
    }
    set.into_iter().collect()
}

/// libseccomp (the system's `libseccomp.so.2`) through its C API.
pub mod libseccomp {
    use std::ffi::CStr;
    use std::os::raw::{c_char, c_int, c_uint, c_void};

    use seccomp_policy::{Arch, SockFilter};

    /// `SCMP_FLTATR_CTL_TSYNC`.
    pub const FLTATR_CTL_TSYNC: c_int = 4;
    /// `SCMP_FLTATR_CTL_OPTIMIZE` (1: priority-sorted list, the default; 2: binary tree).
    pub const FLTATR_CTL_OPTIMIZE: c_int = 8;
    /// `SCMP_ACT_KILL_PROCESS`.
    pub const ACT_KILL_PROCESS: u32 = 0x8000_0000;
    /// `SCMP_ACT_ALLOW`.
    pub const ACT_ALLOW: u32 = 0x7fff_0000;

    /// `SCMP_ACT_ERRNO(e)`.
    pub const fn act_errno(e: u16) -> u32 {
        0x0005_0000 | e as u32
    }

    #[repr(C)]
    struct ScmpVersion {
        major: c_uint,
        minor: c_uint,
        micro: c_uint,
    }

    #[link(name = "libseccomp.so.2", kind = "dylib", modifiers = "+verbatim")]
    extern "C" {
        fn seccomp_init(def_action: u32) -> *mut c_void;
        fn seccomp_release(ctx: *mut c_void);
        fn seccomp_arch_native() -> u32;
        fn seccomp_arch_add(ctx: *mut c_void, arch_token: u32) -> c_int;
        fn seccomp_arch_remove(ctx: *mut c_void, arch_token: u32) -> c_int;
        fn seccomp_attr_set(ctx: *mut c_void, attr: c_int, value: u32) -> c_int;
        fn seccomp_rule_add_array(
            ctx: *mut c_void,
            action: u32,
            syscall: c_int,
            arg_cnt: c_uint,
            arg_array: *const c_void,
        ) -> c_int;
        fn seccomp_export_bpf(ctx: *const c_void, fd: c_int) -> c_int;
        fn seccomp_load(ctx: *const c_void) -> c_int;
        fn seccomp_syscall_resolve_num_arch(arch_token: u32, num: c_int) -> *mut c_char;
        fn seccomp_syscall_resolve_name(name: *const c_char) -> c_int;
        fn seccomp_version() -> *const ScmpVersion;
    }

    /// The library's version, e.g. `2.5.4`.
    pub fn version() -> String {
        // SAFETY: returns a pointer to a static struct.
        let v = unsafe { &*seccomp_version() };
        format!("{}.{}.{}", v.major, v.minor, v.micro)
    }

    /// The number libseccomp's rule API expects for `nr` of `arch`: it takes
    /// native numbers and translates them by name to each filter arch.
    pub fn rule_number(arch: Arch, nr: u32) -> i32 {
        // SAFETY: plain C calls; the returned string is freed below.
        unsafe {
            if arch.audit_arch() == seccomp_arch_native() {
                return nr as i32;
            }
            let name = seccomp_syscall_resolve_num_arch(arch.audit_arch(), nr as c_int);
            assert!(
                !name.is_null(),
                "libseccomp does not know {nr} on {}",
                arch.name()
            );
            let native = seccomp_syscall_resolve_name(name);
            let text = CStr::from_ptr(name).to_string_lossy().into_owned();
            libc::free(name.cast());
            assert!(native != -1, "libseccomp cannot resolve {text}");
            native
        }
    }

    /// A filter context (`scmp_filter_ctx`), released on drop.
    pub struct Filter(*mut c_void);

    impl Filter {
        /// `seccomp_init(deny)` for `arch` only; `optimize` sets
        /// `SCMP_FLTATR_CTL_OPTIMIZE` when given.
        pub fn new(arch: Arch, deny: u32, optimize: Option<u32>) -> Filter {
            // SAFETY: plain C calls on a context we own.
            unsafe {
                let ctx = seccomp_init(deny);
                assert!(!ctx.is_null(), "seccomp_init failed");
                let native = seccomp_arch_native();
                if arch.audit_arch() != native {
                    assert_eq!(seccomp_arch_add(ctx, arch.audit_arch()), 0);
                    assert_eq!(seccomp_arch_remove(ctx, native), 0);
                }
                if let Some(level) = optimize {
                    assert_eq!(seccomp_attr_set(ctx, FLTATR_CTL_OPTIMIZE, level), 0);
                }
                Filter(ctx)
            }
        }

        /// Sets `SCMP_FLTATR_CTL_TSYNC`.
        pub fn tsync(&mut self, on: bool) {
            // SAFETY: a context we own.
            assert_eq!(
                unsafe { seccomp_attr_set(self.0, FLTATR_CTL_TSYNC, on as u32) },
                0
            );
        }

        /// Allows the syscall with libseccomp rule number `nr` (see
        /// [`rule_number`]); returns libseccomp's result (0 or `-errno`).
        pub fn allow(&mut self, nr: i32) -> i32 {
            // SAFETY: no argument comparisons, so a null array is fine.
            unsafe { seccomp_rule_add_array(self.0, ACT_ALLOW, nr, 0, std::ptr::null()) }
        }

        /// `seccomp_export_bpf` to `fd`; returns 0 or `-errno`.
        pub fn export_to(&self, fd: i32) -> i32 {
            // SAFETY: a context we own and a descriptor the caller owns.
            unsafe { seccomp_export_bpf(self.0, fd) }
        }

        /// The program, exported through a memfd (libseccomp 2.5 has no
        /// export to memory; `seccomp_export_bpf_mem` arrived in 2.6).
        pub fn export(&self) -> Vec<SockFilter> {
            // SAFETY: a memfd we own, read back in full.
            unsafe {
                let fd = libc::memfd_create(c"bpf".as_ptr(), 0);
                assert!(fd >= 0);
                assert_eq!(self.export_to(fd), 0);
                let len = libc::lseek(fd, 0, libc::SEEK_CUR) as usize;
                let mut buf = vec![0u8; len];
                assert_eq!(
                    libc::pread(fd, buf.as_mut_ptr().cast(), len, 0),
                    len as isize
                );
                libc::close(fd);
                buf.chunks_exact(8)
                    .map(|c| SockFilter {
                        code: u16::from_ne_bytes([c[0], c[1]]),
                        jt: c[2],
                        jf: c[3],
                        k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
                    })
                    .collect()
            }
        }

        /// `seccomp_load`: sets `no_new_privs` (libseccomp's default) and
        /// attaches the filter; returns 0 or `-errno`.
        pub fn load(&self) -> i32 {
            // SAFETY: a context we own.
            unsafe { seccomp_load(self.0) }
        }
    }

    impl Drop for Filter {
        fn drop(&mut self) {
            // SAFETY: the context is ours and released once.
            unsafe { seccomp_release(self.0) }
        }
    }

    /// A filter allowing `numbers` of `arch`, denying the rest with `deny`.
    pub fn filter(arch: Arch, numbers: &[u32], deny: u32, optimize: Option<u32>) -> Filter {
        let mut f = Filter::new(arch, deny, optimize);
        for &nr in numbers {
            assert_eq!(f.allow(rule_number(arch, nr)), 0, "rule for {nr}");
        }
        f
    }
}

/// seccompiler (Firecracker's filter compiler).
pub mod seccompiler {
    use super::*;
    use ::seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};

    /// seccompiler's name for `arch`, if it supports it.
    pub fn target(arch: Arch) -> Option<TargetArch> {
        match arch {
            Arch::X86_64 => Some(TargetArch::x86_64),
            Arch::Aarch64 => Some(TargetArch::aarch64),
            Arch::Riscv64 => Some(TargetArch::riscv64),
            _ => None,
        }
    }

    /// Compiles a filter that allows `numbers` unconditionally and answers
    /// every other call with `mismatch`.
    pub fn compile(arch: Arch, numbers: &[u32], mismatch: SeccompAction) -> BpfProgram {
        let rules: BTreeMap<i64, Vec<_>> = numbers.iter().map(|&n| (n as i64, vec![])).collect();
        let filter = SeccompFilter::new(
            rules,
            mismatch,
            SeccompAction::Allow,
            target(arch).expect("arch supported by seccompiler"),
        )
        .expect("valid filter");
        filter.try_into().expect("compiles")
    }

    /// [`compile`] with `KillProcess`, as this crate's instructions.
    pub fn program(arch: Arch, numbers: &[u32]) -> Vec<SockFilter> {
        to_ours(&compile(arch, numbers, SeccompAction::KillProcess))
    }

    /// Converts seccompiler's instructions.
    pub fn to_ours(p: &BpfProgram) -> Vec<SockFilter> {
        p.iter()
            .map(|i| SockFilter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect()
    }
}

/// Forking a child that reports one number back through a pipe.
pub mod child {
    /// Forks; the child runs `f` and writes its result (or exits with the
    /// error code `f` returns) and ends with `_exit`. Returns what the child
    /// wrote; panics if it wrote nothing, naming how it ended.
    ///
    /// `f` runs in a copy of a single-threaded process, so it may allocate.
    pub fn run<F: FnOnce() -> Result<u64, i32>>(f: F) -> u64 {
        let mut fds = [0; 2];
        // SAFETY: plain system calls; the child only runs `f` and `_exit`s.
        unsafe {
            assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
            let pid = libc::fork();
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                libc::close(fds[0]);
                let code = match f() {
                    Ok(v) => {
                        let b = v.to_ne_bytes();
                        libc::write(fds[1], b.as_ptr().cast(), b.len());
                        0
                    }
                    Err(code) => code,
                };
                libc::_exit(code);
            }
            libc::close(fds[1]);
            let mut b = [0u8; 8];
            let n = libc::read(fds[0], b.as_mut_ptr().cast(), b.len());
            libc::close(fds[0]);
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
            assert!(
                n == 8 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "child failed: read {n} bytes, wait status {status:#x}"
            );
            u64::from_ne_bytes(b)
        }
    }

    /// Forks a child that exits at once, and waits for it: the baseline.
    pub fn bare() {
        // SAFETY: the child only `_exit`s.
        unsafe {
            let pid = libc::fork();
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                libc::_exit(0);
            }
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        }
    }

    /// `CLOCK_MONOTONIC` in nanoseconds (through the vDSO: no system call
    /// on a machine with a stable clock source).
    pub fn now_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: writes `ts`.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

/// Reading criterion's results back to print ratio tables.
pub mod report {
    use std::path::{Path, PathBuf};
    use std::time::SystemTime;

    /// Where the benchmarks keep criterion's data: `$CARGO_TARGET_DIR/criterion`,
    /// else `target/criterion` beside this package's manifest.
    pub fn criterion_dir() -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(d) => PathBuf::from(d).join("criterion"),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion"),
        }
    }

    /// The mean (ns) and its 95% confidence interval of benchmark `id`
    /// (`group/function/parameter` of a `BenchmarkId` whose function has no
    /// `/`), if it was measured after `since`.
    pub fn mean_ns(id: &str, since: SystemTime) -> Option<(f64, f64, f64)> {
        let path = criterion_dir().join(id).join("new/estimates.json");
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < since {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        let m = &v["mean"];
        Some((
            m["point_estimate"].as_f64()?,
            m["confidence_interval"]["lower_bound"].as_f64()?,
            m["confidence_interval"]["upper_bound"].as_f64()?,
        ))
    }

    /// A duration in ns, µs or ms.
    pub fn fmt_ns(ns: f64) -> String {
        if ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else if ns >= 1e3 {
            format!("{:.2} µs", ns / 1e3)
        } else {
            format!("{ns:.1} ns")
        }
    }
}

/// The version of `package` in this package's lock file.
pub fn locked_version(package: &str) -> Option<&'static str> {
    let lock = include_str!("../Cargo.lock");
    let needle = format!("name = \"{package}\"\nversion = \"");
    let at = lock.find(&needle)? + needle.len();
    lock[at..].split('"').next()
}
