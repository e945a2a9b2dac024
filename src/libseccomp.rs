//! libseccomp (Debian's 2.5.4) as an independent reference for the tests,
//! the syscall table check and the benchmarks, and a reading of the policy
//! file that does not go through the macro. This is the workspace's one
//! binding of libseccomp.
//!
//! The runtime library is linked by its file name, `libseccomp.so.2`, so the
//! tests need Debian's `libseccomp2` (on every base system), not the `-dev`
//! package. Signatures and constants are those of `/usr/include/seccomp.h`.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::ops::RangeInclusive;

use seccomp_policy::{Arch, SockFilter};

#[repr(C)]
struct ScmpVersion {
    major: c_uint,
    minor: c_uint,
    micro: c_uint,
}

#[link(name = "libseccomp.so.2", kind = "dylib", modifiers = "+verbatim")]
extern "C" {
    fn seccomp_version() -> *const ScmpVersion;
    fn seccomp_init(def_action: u32) -> *mut c_void;
    fn seccomp_release(ctx: *mut c_void);
    fn seccomp_arch_native() -> u32;
    fn seccomp_arch_add(ctx: *mut c_void, arch_token: u32) -> c_int;
    fn seccomp_arch_remove(ctx: *mut c_void, arch_token: u32) -> c_int;
    fn seccomp_arch_resolve_name(arch_name: *const c_char) -> u32;
    fn seccomp_attr_set(ctx: *mut c_void, attr: c_int, value: u32) -> c_int;
    fn seccomp_rule_add_exact(
        ctx: *mut c_void,
        action: u32,
        syscall: c_int,
        arg_cnt: c_uint,
        ...
    ) -> c_int;
    fn seccomp_export_bpf(ctx: *const c_void, fd: c_int) -> c_int;
    fn seccomp_rule_add_array(
        ctx: *mut c_void,
        action: u32,
        syscall: c_int,
        arg_cnt: c_uint,
        arg_array: *const ScmpArgCmp,
    ) -> c_int;
    fn seccomp_rule_add_exact_array(
        ctx: *mut c_void,
        action: u32,
        syscall: c_int,
        arg_cnt: c_uint,
        arg_array: *const ScmpArgCmp,
    ) -> c_int;
    fn seccomp_load(ctx: *const c_void) -> c_int;
    fn seccomp_syscall_resolve_name_arch(arch_token: u32, name: *const c_char) -> c_int;
    fn seccomp_syscall_resolve_num_arch(arch_token: u32, num: c_int) -> *mut c_char;
}

/// libseccomp's "no such syscall" (`__NR_SCMP_ERROR`).
pub const SCMP_ERROR: c_int = -1;
/// `SCMP_ACT_KILL_PROCESS`.
pub const SCMP_ACT_KILL_PROCESS: u32 = 0x8000_0000;
/// `SCMP_ACT_ALLOW`.
pub const SCMP_ACT_ALLOW: u32 = 0x7fff_0000;

/// `SCMP_ACT_ERRNO(errno)`.
pub const fn scmp_act_errno(errno: u16) -> u32 {
    0x0005_0000 | errno as u32
}

/// `enum scmp_filter_attr`: the action for a foreign architecture.
pub const SCMP_FLTATR_ACT_BADARCH: c_int = 2;
/// `enum scmp_filter_attr`: `seccomp_load` attaches with
/// `SECCOMP_FILTER_FLAG_TSYNC`.
pub const SCMP_FLTATR_CTL_TSYNC: c_int = 4;
/// `enum scmp_filter_attr`: the optimization level (1: rules by priority,
/// the default; 2: a binary tree sorted by syscall number).
pub const SCMP_FLTATR_CTL_OPTIMIZE: c_int = 8;

/// libseccomp's version, e.g. `"2.5.4"`.
pub fn version() -> String {
    // SAFETY: seccomp_version returns a pointer to a static struct.
    let v = unsafe { &*seccomp_version() };
    format!("{}.{}.{}", v.major, v.minor, v.micro)
}

/// libseccomp's token (its `AUDIT_ARCH_*` value) for an architecture name,
/// or `None` if this libseccomp does not know it.
pub fn arch_token(arch: Arch) -> Option<u32> {
    let c = CString::new(arch.libseccomp_name()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated string.
    match unsafe { seccomp_arch_resolve_name(c.as_ptr()) } {
        0 => None,
        t => Some(t),
    }
}

/// Every architecture of [`Arch::ALL`] that this libseccomp knows, with its
/// token. libseccomp 2.5.x has no LoongArch (added in 2.6.0); panics if any
/// other architecture is unknown, which would mean that our names for the
/// architectures and libseccomp's disagree.
pub fn known_arches() -> Vec<(Arch, u32)> {
    Arch::ALL
        .into_iter()
        .filter_map(|arch| match arch_token(arch) {
            Some(token) => Some((arch, token)),
            None if arch == Arch::Loongarch64 => None,
            None => panic!("libseccomp {} does not know {arch:?}", version()),
        })
        .collect()
}

/// libseccomp's native architecture.
pub fn native_token() -> u32 {
    // SAFETY: no arguments.
    unsafe { seccomp_arch_native() }
}

/// libseccomp's answer for `name` on `token`: a number, a negative
/// pseudo-number (`__PNR_*`: the call does not exist there, or it is one
/// reached through `socketcall`/`ipc`), or -1 (`__NR_SCMP_ERROR`: unknown).
pub fn resolve_name(token: u32, name: &str) -> c_int {
    let c = CString::new(name).unwrap();
    // SAFETY: `c` is a valid NUL-terminated string; any token is accepted.
    unsafe { seccomp_syscall_resolve_name_arch(token, c.as_ptr()) }
}

/// The name libseccomp gives number `nr` on `token`.
pub fn resolve_num(token: u32, nr: u32) -> Option<String> {
    // SAFETY: the result is NULL or a malloc'd string that we own and free.
    unsafe {
        let p = seccomp_syscall_resolve_num_arch(token, nr as c_int);
        if p.is_null() {
            return None;
        }
        let s = CStr::from_ptr(p).to_string_lossy().into_owned();
        libc::free(p.cast());
        Some(s)
    }
}

/// `__NR_Linux` of MIPS n64: its numbers start here.
pub const MIPS_N64_BASE: u32 = 5000;

/// `__ARM_NR_BASE`: ARM's private calls (`cacheflush`, `set_tls`, ...).
pub const ARM_PRIVATE_BASE: u32 = 0x0f_0000;

/// Where the syscall numbers of `arch` live: the first 1024 numbers from
/// the table's base (0; [`MIPS_N64_BASE`] on MIPS n64), and on ARM the
/// private calls from [`ARM_PRIVATE_BASE`]. `tests/libseccomp_tables.rs`
/// checks that every number of our tables is inside.
pub fn number_ranges(arch: Arch) -> Vec<RangeInclusive<u32>> {
    match arch {
        Arch::Mips64el => vec![MIPS_N64_BASE..=MIPS_N64_BASE + 1023],
        Arch::Arm => vec![0..=1023, ARM_PRIVATE_BASE..=ARM_PRIVATE_BASE + 0x10],
        _ => vec![0..=1023],
    }
}

/// The numbers the verdict tests try on `arch`: 0..=1023 on every
/// architecture (below MIPS n64's base, so all denied there) and every
/// number of [`number_ranges`], in order.
pub fn sweep(arch: Arch) -> Vec<u32> {
    let mut v: BTreeSet<u32> = (0..=1023).collect();
    v.extend(number_ranges(arch).into_iter().flatten());
    v.into_iter().collect()
}

/// Every number libseccomp names on `token`, with the name, over
/// [`number_ranges`]. (libseccomp's MIPS resolver also names 0..=1023 as if
/// [`MIPS_N64_BASE`] had been added; those are outside the ranges.)
pub fn arch_numbers(token: u32, arch: Arch) -> BTreeMap<u32, String> {
    number_ranges(arch)
        .into_iter()
        .flatten()
        .filter_map(|nr| resolve_num(token, nr).map(|n| (nr, n)))
        .collect()
}

/// How a policy name was mapped to a number on one architecture.
#[derive(Default, Debug)]
pub struct Resolved {
    /// The numbers of the names that exist on the architecture.
    pub numbers: BTreeSet<u32>,
    /// Names resolved directly by `seccomp_syscall_resolve_name_arch`.
    pub direct: usize,
    /// Names libseccomp gives a socketcall/ipc pseudo-number, whose direct
    /// number was found by resolving the architecture's numbers back to names.
    pub multiplexed: usize,
    /// Names that do not exist on the architecture, by libseccomp.
    pub absent: Vec<String>,
}

/// Maps syscall names to numbers on `token` with libseccomp alone.
///
/// A name with a number `>= 0` is taken as is. A negative answer means the
/// call does not exist there, except on the architectures where libseccomp
/// answers a pseudo-number for calls that also go through `socketcall(2)` or
/// `ipc(2)` (x86, ppc64le, s390x): their direct number, if there is one, is
/// the one libseccomp itself names in `numbers` (from [`arch_numbers`]).
pub fn resolve_names<'a>(
    token: u32,
    numbers: &BTreeMap<u32, String>,
    names: impl IntoIterator<Item = &'a str>,
) -> Resolved {
    let mut r = Resolved::default();
    for name in names {
        let got = resolve_name(token, name);
        if got >= 0 {
            r.numbers.insert(got as u32);
            r.direct += 1;
        } else if let Some((&nr, _)) = numbers.iter().find(|(_, n)| n.as_str() == name) {
            r.numbers.insert(nr);
            r.multiplexed += 1;
        } else {
            r.absent.push(name.to_owned());
        }
    }
    r
}

/// A libseccomp filter context for one architecture, released on drop.
pub struct Filter {
    ctx: *mut c_void,
    token: u32,
}

impl Filter {
    /// `seccomp_init(default)` for architecture `token` only. The native
    /// architecture is removed first when it is another: a context holds
    /// architectures of one byte order only, so s390x could not be added
    /// beside x86_64.
    pub fn new(default: u32, token: u32) -> Filter {
        // SAFETY: plain calls on a context we own; checked for failure.
        unsafe {
            let ctx = seccomp_init(default);
            assert!(!ctx.is_null(), "seccomp_init failed");
            let f = Filter { ctx, token };
            let native = seccomp_arch_native();
            if native != token {
                assert_eq!(seccomp_arch_remove(ctx, native), 0, "seccomp_arch_remove");
                assert_eq!(seccomp_arch_add(ctx, token), 0, "seccomp_arch_add");
            }
            f
        }
    }

    /// `seccomp_attr_set`; panics on failure.
    pub fn attr(&mut self, attr: c_int, value: u32) {
        // SAFETY: a live context; libseccomp validates the values.
        let rc = unsafe { seccomp_attr_set(self.ctx, attr, value) };
        assert_eq!(rc, 0, "seccomp_attr_set({attr}, {value})");
    }

    /// `seccomp_rule_add_exact(ctx, action, nr, 0)`: the negative errno on
    /// failure.
    ///
    /// libseccomp takes `nr` as a number of the *native* architecture (or a
    /// pseudo-number) and translates it by name into every architecture of
    /// the context (`arch_syscall_translate`); use [`Filter::allow`] or
    /// [`Filter::allow_name`] to name a call of another architecture.
    pub fn rule(&mut self, action: u32, nr: c_int) -> Result<(), c_int> {
        // SAFETY: a live context, no argument comparisons.
        let rc = unsafe { seccomp_rule_add_exact(self.ctx, action, nr, 0) };
        if rc == 0 {
            Ok(())
        } else {
            Err(rc)
        }
    }

    /// Allows the call `name`: its native number (or pseudo-number), which
    /// libseccomp translates into the context's architecture.
    pub fn allow_name(&mut self, name: &str) -> Result<(), c_int> {
        let nr = resolve_name(native_token(), name);
        self.rule(SCMP_ACT_ALLOW, nr)
    }

    /// Allows number `nr` of the context's architecture: as it is on the
    /// native architecture, else through the name libseccomp gives it there.
    /// Panics if libseccomp names no call `nr` on that architecture.
    pub fn allow(&mut self, nr: u32) -> Result<(), c_int> {
        if self.token == native_token() {
            let nr = c_int::try_from(nr).expect("a syscall number");
            return self.rule(SCMP_ACT_ALLOW, nr);
        }
        let name = resolve_num(self.token, nr)
            .unwrap_or_else(|| panic!("libseccomp names no call {nr} on {:#x}", self.token));
        self.allow_name(&name)
    }

    /// A filter for `token` that allows the numbers `numbers` of that
    /// architecture ([`Filter::allow`]) and answers every other call with
    /// `default`, built with libseccomp's default optimization or, when
    /// `tree`, its binary tree (`SCMP_FLTATR_CTL_OPTIMIZE` = 2). Panics if
    /// a rule is refused.
    pub fn allowing(token: u32, numbers: &[u32], default: u32, tree: bool) -> Filter {
        let mut f = Filter::new(default, token);
        if tree {
            f.attr(SCMP_FLTATR_CTL_OPTIMIZE, 2);
        }
        for &nr in numbers {
            f.allow(nr)
                .unwrap_or_else(|e| panic!("libseccomp refused a rule for {nr}: {e}"));
        }
        f
    }

    /// `seccomp_load`: sets `no_new_privs` (libseccomp's default) and
    /// attaches the filter to the calling process; the negative errno on
    /// failure.
    pub fn load(&self) -> Result<(), c_int> {
        // SAFETY: a live context.
        let rc = unsafe { seccomp_load(self.ctx) };
        if rc == 0 {
            Ok(())
        } else {
            Err(rc)
        }
    }

    /// `seccomp_export_bpf` to the descriptor `fd`; the negative errno on
    /// failure.
    pub fn export_to(&self, fd: c_int) -> Result<(), c_int> {
        // SAFETY: a live context; libseccomp only writes to `fd`.
        let rc = unsafe { seccomp_export_bpf(self.ctx, fd) };
        if rc == 0 {
            Ok(())
        } else {
            Err(rc)
        }
    }

    /// The filter as libseccomp would load it: exported into a memfd
    /// (libseccomp 2.5 has no export to memory), read back as
    /// `struct sock_filter`s. libseccomp writes them in the byte order of
    /// the context's architecture (big-endian for s390x), which its token
    /// tells (`__AUDIT_ARCH_LE`, `0x4000_0000`).
    pub fn export(&self) -> Vec<SockFilter> {
        let be = self.token & 0x4000_0000 == 0;
        let u16_of = |b: [u8; 2]| {
            if be {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        };
        let u32_of = |b: [u8; 4]| {
            if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        // SAFETY: a memfd we own, closed once.
        let fd = unsafe { libc::memfd_create(c"libseccomp-export".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
        self.export_to(fd).expect("seccomp_export_bpf");
        // SAFETY: a descriptor we own.
        let len = unsafe { libc::lseek(fd, 0, libc::SEEK_END) };
        let len = usize::try_from(len).expect("lseek");
        assert_eq!(len % 8, 0, "exported {len} bytes");
        let mut bytes = vec![0u8; len];
        // SAFETY: reads at most `len` bytes into the live buffer of `len`.
        let n = unsafe { libc::pread(fd, bytes.as_mut_ptr().cast(), len, 0) };
        assert_eq!(usize::try_from(n).ok(), Some(len), "pread");
        // SAFETY: closing the memfd we own.
        unsafe { libc::close(fd) };
        bytes
            .chunks_exact(8)
            .map(|c| SockFilter {
                code: u16_of([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32_of([c[4], c[5], c[6], c[7]]),
            })
            .collect()
    }
}

impl Drop for Filter {
    fn drop(&mut self) {
        // SAFETY: the context is live and released once.
        unsafe { seccomp_release(self.ctx) }
    }
}

/// The policy file's syscall names, read with a general TOML parser and
/// plain string handling, so that the reference does not share the
/// front end's schema checks, rule parser or tables: `base` and every cap in
/// declaration order.
#[derive(Debug)]
pub struct PolicyFile {
    /// `[base] allow`: the names allowed whatever the arguments.
    pub base: Vec<String>,
    /// `[cap.NAME] allow`, in file order: the names allowed whatever the
    /// arguments.
    pub caps: Vec<(String, Vec<String>)>,
    /// Names with a condition in some `allow`, or a key of some `actions`:
    /// their verdict depends on the arguments or is an action, so a number
    /// alone does not decide it.
    pub conditioned: BTreeSet<String>,
}

impl PolicyFile {
    /// Reads `policy/seccomp.toml` of this package.
    pub fn shipped() -> PolicyFile {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policy/seccomp.toml");
        let text = std::fs::read_to_string(path).expect("read the policy file");
        PolicyFile::parse(&text)
    }

    /// Reads a policy's tables: `base.allow`, `base.actions`, and the same
    /// in each `cap.NAME`. A rule's syscall is the text before `(`.
    pub fn parse(text: &str) -> PolicyFile {
        use toml::de::{DeTable, DeValue};
        fn as_table<'a, 'b>(v: &'a DeValue<'b>) -> &'a DeTable<'b> {
            match v {
                DeValue::Table(t) => t,
                _ => panic!("not a table"),
            }
        }
        let doc = DeTable::parse(text).expect("the policy is valid TOML");
        let doc = doc.get_ref();
        let mut conditioned = BTreeSet::new();
        let mut table = |t: &DeTable<'_>| -> Vec<String> {
            let mut allow = Vec::new();
            if let Some(list) = t.get("allow") {
                let DeValue::Array(items) = list.get_ref() else {
                    panic!("allow is not an array")
                };
                for item in items {
                    let DeValue::String(rule) = item.get_ref() else {
                        panic!("a rule is not a string")
                    };
                    match rule.split_once('(') {
                        Some((name, _)) => {
                            conditioned.insert(name.trim().to_owned());
                        }
                        None => allow.push(rule.trim().to_owned()),
                    }
                }
            }
            if let Some(actions) = t.get("actions") {
                let DeValue::Table(actions) = actions.get_ref() else {
                    panic!("actions is not a table")
                };
                for (key, _) in actions {
                    let name = key.get_ref().split('(').next().unwrap_or_default();
                    conditioned.insert(name.trim().to_owned());
                }
            }
            allow
        };
        let base = table(as_table(doc.get("base").expect("a [base] table").get_ref()));
        let mut caps = Vec::new();
        if let Some(c) = doc.get("cap") {
            let mut entries: Vec<_> = as_table(c.get_ref()).iter().collect();
            entries.sort_by_key(|(k, _)| k.span().start);
            for (name, t) in entries {
                caps.push((name.get_ref().to_string(), table(as_table(t.get_ref()))));
            }
        }
        PolicyFile {
            base,
            caps,
            conditioned,
        }
    }

    /// The names allowed with the caps in `bits` (bit `i` = `caps[i]`).
    pub fn names(&self, bits: u64) -> BTreeSet<&str> {
        let mut v: BTreeSet<&str> = self.base.iter().map(String::as_str).collect();
        for (i, (_, list)) in self.caps.iter().enumerate() {
            if bits & (1 << i) != 0 {
                v.extend(list.iter().map(String::as_str));
            }
        }
        v
    }

    /// Every name in the file.
    pub fn all_names(&self) -> BTreeSet<&str> {
        self.names(u64::MAX)
    }

    /// The allowed numbers for every cap combination (index = cap bits), by
    /// libseccomp's resolution of the file's names on one architecture.
    /// Base and each cap are resolved once; a combination is their union.
    pub fn combination_sets(
        &self,
        token: u32,
        numbers: &BTreeMap<u32, String>,
    ) -> Vec<BTreeSet<u32>> {
        let base = resolve_names(token, numbers, self.base.iter().map(String::as_str));
        let caps: Vec<Resolved> = self
            .caps
            .iter()
            .map(|(_, l)| resolve_names(token, numbers, l.iter().map(String::as_str)))
            .collect();
        (0..1u64 << caps.len())
            .map(|bits| {
                let mut s = base.numbers.clone();
                for (i, c) in caps.iter().enumerate() {
                    if bits & (1 << i) != 0 {
                        s.extend(&c.numbers);
                    }
                }
                s
            })
            .collect()
    }
}

/// `struct scmp_arg_cmp` of `<seccomp.h>`: one comparison of a rule.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScmpArgCmp {
    /// The argument index, 0..=5.
    pub arg: c_uint,
    /// `enum scmp_compare`: one of the `SCMP_CMP_*` constants below.
    pub op: c_int,
    /// The value, or the mask for `SCMP_CMP_MASKED_EQ`.
    pub datum_a: u64,
    /// The value for `SCMP_CMP_MASKED_EQ`.
    pub datum_b: u64,
}

/// `SCMP_CMP_NE` (`enum scmp_compare`).
pub const SCMP_CMP_NE: c_int = 1;
/// `SCMP_CMP_LT`.
pub const SCMP_CMP_LT: c_int = 2;
/// `SCMP_CMP_LE`.
pub const SCMP_CMP_LE: c_int = 3;
/// `SCMP_CMP_EQ`.
pub const SCMP_CMP_EQ: c_int = 4;
/// `SCMP_CMP_GE`.
pub const SCMP_CMP_GE: c_int = 5;
/// `SCMP_CMP_GT`.
pub const SCMP_CMP_GT: c_int = 6;
/// `SCMP_CMP_MASKED_EQ`: `(arg & datum_a) == datum_b`.
pub const SCMP_CMP_MASKED_EQ: c_int = 7;

impl Filter {
    /// `seccomp_rule_add_exact_array(ctx, action, nr, ...)` with the call
    /// named by `name` (see [`Filter::allow_name`]) and these comparisons:
    /// the negative errno on failure.
    pub fn rule_named(
        &mut self,
        action: u32,
        name: &str,
        cmps: &[ScmpArgCmp],
    ) -> Result<(), c_int> {
        self.rule_args(action, resolve_name(native_token(), name), cmps)
    }

    /// `seccomp_rule_add_exact_array(ctx, action, nr, ...)` with `nr` a
    /// number (or pseudo-number) of the native architecture, as a C caller
    /// writes `SCMP_SYS(name)`: the negative errno on failure.
    pub fn rule_args(&mut self, action: u32, nr: c_int, cmps: &[ScmpArgCmp]) -> Result<(), c_int> {
        // SAFETY: a live context and a live array of `cmps.len()` comparisons.
        let rc = unsafe {
            seccomp_rule_add_exact_array(self.ctx, action, nr, cmps.len() as c_uint, cmps.as_ptr())
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(rc)
        }
    }
}

// OCI seccomp profiles, loaded the way runc loads them
// (libcontainer/seccomp/seccomp_linux.go: `InitSeccomp` and `matchCall`).
// The names of actions and operators serve `policy_rules` below too.

/// One argument condition of an OCI profile entry (`LinuxSeccompArg`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciArg {
    /// `index`.
    pub index: u32,
    /// `value` (the mask for `SCMP_CMP_MASKED_EQ`).
    pub value: u64,
    /// `valueTwo`.
    pub value_two: u64,
    /// `op`, e.g. `"SCMP_CMP_MASKED_EQ"`.
    pub op: String,
}

/// One entry of an OCI profile's `syscalls` (`LinuxSyscall`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciSyscall {
    /// `names`.
    pub names: Vec<String>,
    /// `action`, e.g. `"SCMP_ACT_ERRNO"`.
    pub action: String,
    /// `errnoRet`.
    pub errno_ret: Option<u32>,
    /// `args`.
    pub args: Vec<OciArg>,
}

/// What loading a profile did, for the test's report.
#[derive(Debug, Default)]
pub struct OciLoad {
    /// Rules added.
    pub rules: usize,
    /// Names libseccomp could not resolve, which runc skips.
    pub unknown_names: Vec<String>,
    /// Entries skipped because their action is the default (as runc does).
    pub default_entries: usize,
}

/// `SCMP_ACT_*` of a profile as libseccomp's action value; `None` for an
/// action this binding does not know.
pub fn oci_action(name: &str, errno_ret: Option<u32>) -> Option<u32> {
    Some(match name {
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => 0,
        "SCMP_ACT_KILL_PROCESS" => 0x8000_0000,
        "SCMP_ACT_TRAP" => 0x0003_0000,
        // runc's default errno is EPERM.
        "SCMP_ACT_ERRNO" => 0x0005_0000 | (errno_ret.unwrap_or(1) & 0xffff),
        "SCMP_ACT_NOTIFY" => 0x7fc0_0000,
        "SCMP_ACT_LOG" => 0x7ffc_0000,
        "SCMP_ACT_ALLOW" => 0x7fff_0000,
        _ => return None,
    })
}

/// `enum scmp_compare` of an `SCMP_CMP_*` name.
fn oci_op(name: &str) -> Option<c_int> {
    Some(match name {
        "SCMP_CMP_NE" => SCMP_CMP_NE,
        "SCMP_CMP_LT" => SCMP_CMP_LT,
        "SCMP_CMP_LE" => SCMP_CMP_LE,
        "SCMP_CMP_EQ" => SCMP_CMP_EQ,
        "SCMP_CMP_GE" => SCMP_CMP_GE,
        "SCMP_CMP_GT" => SCMP_CMP_GT,
        "SCMP_CMP_MASKED_EQ" => SCMP_CMP_MASKED_EQ,
        _ => return None,
    })
}

impl Filter {
    /// Adds a profile's entries as runc does: an entry whose action is
    /// `default` is skipped; each name is resolved as a native number or
    /// pseudo-number (an unknown name is skipped); an entry without
    /// arguments is one rule; with arguments on distinct indices, one rule
    /// with all of them; otherwise one rule per argument. Above 32 entries
    /// libseccomp's binary tree is enabled, as runc does. Rules go through
    /// `seccomp_rule_add_array`, which translates them into the context's
    /// architectures. Panics on an action or operator this binding does not
    /// know, or when libseccomp refuses a rule.
    pub fn add_oci_syscalls(&mut self, default: u32, syscalls: &[OciSyscall]) -> OciLoad {
        let mut load = OciLoad::default();
        if syscalls.len() > 32 {
            self.attr(SCMP_FLTATR_CTL_OPTIMIZE, 2);
        }
        for s in syscalls {
            let action = oci_action(&s.action, s.errno_ret)
                .unwrap_or_else(|| panic!("unknown action {}", s.action));
            if action == default {
                load.default_entries += 1;
                continue;
            }
            let conds: Vec<ScmpArgCmp> = s
                .args
                .iter()
                .map(|a| ScmpArgCmp {
                    arg: a.index,
                    op: oci_op(&a.op).unwrap_or_else(|| panic!("unknown operator {}", a.op)),
                    datum_a: a.value,
                    datum_b: a.value_two,
                })
                .collect();
            let mut indices: Vec<u32> = s.args.iter().map(|a| a.index).collect();
            indices.sort_unstable();
            let distinct = indices.windows(2).all(|w| w[0] != w[1]);
            let groups: Vec<Vec<ScmpArgCmp>> = if conds.is_empty() || distinct {
                vec![conds]
            } else {
                conds.into_iter().map(|c| vec![c]).collect()
            };
            for name in &s.names {
                let nr = resolve_name(native_token(), name);
                if nr == SCMP_ERROR {
                    load.unknown_names.push(name.clone());
                    continue;
                }
                for g in &groups {
                    // SAFETY: a live context and an array of `g.len()` conditions.
                    let rc = unsafe {
                        seccomp_rule_add_array(self.ctx, action, nr, g.len() as c_uint, g.as_ptr())
                    };
                    assert_eq!(rc, 0, "libseccomp refused {name} {action:#x} {g:?}");
                    load.rules += 1;
                }
            }
        }
        load
    }
}

/// One libseccomp rule: `seccomp_rule_add_exact_array(ctx, action, nr,
/// cmps)`, the call given by its native number as a C caller gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRule {
    /// The syscall's name.
    pub name: &'static str,
    /// Its number (or pseudo-number) on the native architecture.
    pub nr: c_int,
    /// libseccomp's action value.
    pub action: u32,
    /// The comparisons, all of which must hold.
    pub cmps: Vec<ScmpArgCmp>,
}

/// The rules that make libseccomp decide every call as the policy does on
/// one architecture for one cap set: the export's entries
/// (`seccomp_policy_lint_export::oci::arch_entries`), which write each
/// syscall's verdict as disjoint regions of argument values, one per action,
/// with 32-bit comparisons as masked compares of the low word. (The policy's
/// rules taken one by one would not do: libseccomp lets an unconditional
/// rule replace a syscall's conditional ones, and compares all 64 bits of
/// an `int`.) Panics on an action or operator [`oci_action`] does not know.
pub fn policy_rules(entries: &seccomp_policy_lint_export::oci::ArchEntries) -> Vec<PolicyRule> {
    let native = native_token();
    let mut out = Vec::new();
    for (&name, list) in &entries.syscalls {
        let nr = resolve_name(native, name);
        for e in list {
            let action = oci_action(e.action.0, e.action.1.map(u32::from))
                .unwrap_or_else(|| panic!("unknown action {:?}", e.action));
            let cmps = e
                .args
                .iter()
                .map(|c| ScmpArgCmp {
                    arg: u32::from(c.index),
                    op: oci_op(c.op).unwrap_or_else(|| panic!("unknown operator {}", c.op)),
                    datum_a: c.value,
                    datum_b: c.value_two,
                })
                .collect();
            out.push(PolicyRule {
                name,
                nr,
                action,
                cmps,
            });
        }
    }
    out
}

impl Filter {
    /// A filter for `token` with `rules`, answering every other call (and
    /// every call of another architecture) with `default`, built with
    /// libseccomp's default optimization or, when `tree`, its binary tree
    /// (`SCMP_FLTATR_CTL_OPTIMIZE` = 2). Panics if a rule is refused.
    pub fn with_rules(token: u32, default: u32, rules: &[PolicyRule], tree: bool) -> Filter {
        let mut f = Filter::new(default, token);
        f.attr(SCMP_FLTATR_ACT_BADARCH, default);
        if tree {
            f.attr(SCMP_FLTATR_CTL_OPTIMIZE, 2);
        }
        for r in rules {
            f.rule_args(r.action, r.nr, &r.cmps)
                .unwrap_or_else(|e| panic!("libseccomp refused {r:?}: {e}"));
        }
        f
    }
}
