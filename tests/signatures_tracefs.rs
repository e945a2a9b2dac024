//! The generated x86_64 syscall signatures against the running kernel's own
//! description of its syscalls: the tracefs format files
//! `events/syscalls/sys_enter_<name>/format`. Each lists the syscall's
//! parameters in order, with the names and types of its `SYSCALL_DEFINEn`,
//! after the `__syscall_nr` field:
//!
//! ```text
//! field:int __syscall_nr;  offset:8;  size:4;  signed:1;
//! field:unsigned long clone_flags;  offset:16;  size:8;  signed:0;
//! field:int * parent_tidptr;  offset:32;  size:8;  signed:0;
//! ```
//!
//! For every x86_64 syscall that has both a tracepoint and a signature, the
//! parameter names, their order, pointer-ness and width must agree. The
//! width is read off the type with this file's own table ([`type_bits`]),
//! not the generator's; the `size:` column says nothing, since the kernel
//! records every argument as a `long`.
//!
//! The kernel only describes what it was built with (no tracepoint for
//! `init_module` without `CONFIG_MODULES`), and it may be newer than the
//! syscall tables (Linux 6.17), so syscalls present on one side only are
//! counted and listed, not failures.
//!
//! **Where it runs.** tracefs is only readable by root and may need
//! mounting (`mount -t tracefs nodev /sys/kernel/tracing`), and the rest of
//! the suite runs as any user. The comparison therefore goes through the
//! suite's harness: without root, or where the kernel has no syscall
//! tracepoints (`CONFIG_FTRACE_SYSCALLS`), it is reported as skipped with
//! the reason and counted as such; as root (CI) it mounts tracefs if needed
//! and runs. It only means something on x86_64, where it is built.
//! The format-file parser is tested without tracefs below.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs;
use std::path::{Path, PathBuf};

use seccomp_policy::Arch;
use seccomp_policy_compiler::tables::{self, Param, Params};
use seccomp_policy_suite::harness::{require, Checked, Skip};

/// Where tracefs is mounted, or is mounted by [`tracefs`].
const TRACEFS: &str = "/sys/kernel/tracing";
/// The same files through debugfs, on systems that mount it there.
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// x86_64 syscalls whose entry point is named differently from the syscall,
/// so their tracepoint is too (`arch/x86/entry/syscalls/syscall_64.tbl`).
const TRACEPOINT_NAMES: &[(&str, &str)] = &[
    ("fstat", "newfstat"),
    ("lstat", "newlstat"),
    ("sendfile", "sendfile64"),
    ("stat", "newstat"),
    ("umount2", "umount"),
    ("uname", "newuname"),
];

/// Differences between the signatures and this kernel that are understood,
/// with the reason. The test fails if the actual differences are not
/// exactly these, so the list cannot go stale.
const EXPLAINED: &[(&str, &str)] = &[];

/// One parameter as a format file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: String,
    ty: String,
}

/// The parameters of a `sys_enter_*` format file: the fields after
/// `__syscall_nr`, in order.
fn parse_format(text: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut after_nr = false;
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("field:") else {
            continue;
        };
        let decl = rest.split(';').next().expect("a field declaration");
        let split = decl
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or_else(|| panic!("no type in field `{decl}`"));
        let (ty, name) = (decl[..=split].trim(), &decl[split + 1..]);
        if name == "__syscall_nr" {
            after_nr = true;
        } else if after_nr {
            fields.push(Field {
                name: name.to_string(),
                ty: ty.to_string(),
            });
        }
    }
    assert!(after_nr, "no __syscall_nr field in:\n{text}");
    fields
}

/// Whether a format type is a pointer, and how many bits of it the kernel
/// reads on `x86_64`. Transcribed for this test from the kernel's types:
/// `include/linux/types.h` (`umode_t` is unsigned short; `pid_t`, `uid_t`,
/// `gid_t`, `key_t`, `clockid_t`, `timer_t`, `mqd_t` are int-sized; `loff_t`
/// is long long; `size_t`, `off_t` are long-sized), `include/linux/quota.h`
/// (`qid_t` is `uid32`), `include/linux/key.h` (`key_serial_t` is
/// `int32_t`), `include/linux/fs.h` (`rwf_t` is int),
/// `include/uapi/linux/aio_abi.h` (`aio_context_t` is `__kernel_ulong_t`),
/// `include/linux/capability.h` (`cap_user_header_t` and `cap_user_data_t`
/// are pointers).
fn type_bits(ty: &str) -> (bool, u8) {
    let words: Vec<&str> = ty.split_whitespace().filter(|w| *w != "const").collect();
    if words.iter().any(|w| w.contains('*')) {
        return (true, 64);
    }
    let base = words.join(" ");
    let bits = match base.as_str() {
        "umode_t" => 16,
        "int"
        | "unsigned int"
        | "unsigned"
        | "u32"
        | "__u32"
        | "__s32"
        | "uint32_t"
        | "pid_t"
        | "uid_t"
        | "gid_t"
        | "qid_t"
        | "key_t"
        | "key_serial_t"
        | "clockid_t"
        | "timer_t"
        | "mqd_t"
        | "rwf_t"
        | "enum landlock_rule_type" => 32,
        "long" | "unsigned long" | "size_t" | "off_t" | "loff_t" | "u64" | "__u64"
        | "aio_context_t" => 64,
        "cap_user_header_t" | "cap_user_data_t" => return (true, 64),
        other => panic!("type `{other}` (from `{ty}`): add it to type_bits"),
    };
    (false, bits)
}

/// The difference between a signature and a format file, if any.
fn compare(ours: Params, theirs: &[Field]) -> Option<String> {
    let describe = |p: &Param| format!("{}:{}{}", p.name, p.bits, if p.pointer { "*" } else { "" });
    let ours_s: Vec<String> = ours.iter().map(|p| describe(&p)).collect();
    let theirs_s: Vec<String> = theirs
        .iter()
        .map(|f| {
            let (pointer, bits) = type_bits(&f.ty);
            format!("{}:{}{}", f.name, bits, if pointer { "*" } else { "" })
        })
        .collect();
    // On x86_64 every parameter has its own slot, in order.
    for (i, p) in ours.iter().enumerate() {
        assert_eq!(p.arg, Some(i as u8), "{p:?}");
    }
    (ours_s != theirs_s).then(|| format!("ours {ours_s:?}, kernel {theirs_s:?}"))
}

/// The `events/syscalls` directory of tracefs, mounting tracefs on
/// [`TRACEFS`] if nothing provides it yet; the reason to skip, if neither
/// works.
fn tracefs() -> Result<PathBuf, Skip> {
    for dir in [TRACEFS, DEBUGFS_TRACING] {
        let events = Path::new(dir).join("events/syscalls");
        if events.is_dir() {
            return Ok(events);
        }
    }
    let source = CString::new("nodev").unwrap();
    let target = CString::new(TRACEFS).unwrap();
    let fstype = CString::new("tracefs").unwrap();
    // SAFETY: plain C strings that outlive the call, and no data argument.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    let err = std::io::Error::last_os_error();
    let events = Path::new(TRACEFS).join("events/syscalls");
    if events.is_dir() {
        return Ok(events);
    }
    Err(Skip::new(format!(
        "needs tracefs with syscall tracepoints: {TRACEFS}/events/syscalls cannot be read and \
         `mount -t tracefs nodev {TRACEFS}` {} (a kernel without CONFIG_FTRACE_SYSCALLS?)",
        if rc == 0 {
            "gave no syscall events".to_string()
        } else {
            format!("failed: {err}")
        }
    )))
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn signatures_agree_with_tracefs() -> Checked {
    require::root()?;
    let events = tracefs()?;
    let mut formats: BTreeMap<String, Vec<Field>> = BTreeMap::new();
    for entry in fs::read_dir(&events).expect("read events/syscalls") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().into_string().expect("a UTF-8 name");
        let Some(syscall) = name.strip_prefix("sys_enter_") else {
            continue;
        };
        let text = fs::read_to_string(entry.path().join("format")).expect("read a format file");
        formats.insert(syscall.to_string(), parse_format(&text));
    }
    assert!(
        formats.len() > 300,
        "only {} syscall tracepoints",
        formats.len()
    );

    let table = tables::table(Arch::X86_64);
    let tracepoint = |syscall: &str| -> String {
        TRACEPOINT_NAMES
            .iter()
            .find(|(s, _)| *s == syscall)
            .map_or(syscall, |(_, t)| t)
            .to_string()
    };
    let mut compared = 0;
    let mut agreed = 0;
    let mut differences: Vec<(String, String)> = Vec::new();
    let mut only_ours = Vec::new();
    let mut only_kernel = Vec::new();
    let mut matched_tracepoints = Vec::new();
    for (syscall, _) in table.syscalls {
        let tp = tracepoint(syscall);
        let theirs = formats.get(&tp);
        if theirs.is_some() {
            matched_tracepoints.push(tp);
        }
        match (tables::signature(Arch::X86_64, syscall), theirs) {
            (Some(ours), Some(theirs)) => {
                compared += 1;
                match compare(ours, theirs) {
                    None => agreed += 1,
                    Some(diff) => differences.push((syscall.to_string(), diff)),
                }
            }
            (Some(_), None) => only_ours.push(syscall),
            (None, Some(_)) => only_kernel.push(syscall),
            (None, None) => {}
        }
    }
    let unknown: Vec<&String> = formats
        .keys()
        .filter(|tp| !matched_tracepoints.contains(tp))
        .collect();

    println!("x86_64 signatures against {}:", events.display());
    println!("  compared {compared}, agreed {agreed}");
    for (syscall, diff) in &differences {
        println!("  differs: {syscall}: {diff}");
    }
    println!(
        "  signature but no tracepoint on this kernel ({}): {}",
        only_ours.len(),
        only_ours.join(" ")
    );
    println!(
        "  tracepoint but no signature ({}): {}",
        only_kernel.len(),
        only_kernel.join(" ")
    );
    println!(
        "  tracepoints of syscalls not in the x86_64 table ({}): {}",
        unknown.len(),
        unknown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );

    let mut explained: Vec<&str> = EXPLAINED.iter().map(|(s, _)| *s).collect();
    explained.sort_unstable();
    let differing: Vec<&str> = differences.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        differing, explained,
        "differences other than the explained ones"
    );
    assert!(compared > 300, "only {compared} syscalls compared");
    // Spot checks that the comparison compared something real.
    assert_eq!(formats["clone"][0].name, "clone_flags");
    assert_eq!(
        formats["ioctl"][1],
        Field {
            name: "cmd".into(),
            ty: "unsigned int".into()
        }
    );
    Ok(())
}

fn format_files_parse() {
    // events/syscalls/sys_enter_clone/format of Linux 6.18 on x86_64.
    let clone = "name: sys_enter_clone
ID: 196
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:unsigned long clone_flags;\toffset:16;\tsize:8;\tsigned:0;
\tfield:unsigned long newsp;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int * parent_tidptr;\toffset:32;\tsize:8;\tsigned:0;
\tfield:int * child_tidptr;\toffset:40;\tsize:8;\tsigned:0;
\tfield:unsigned long tls;\toffset:48;\tsize:8;\tsigned:0;

print fmt: \"clone_flags: 0x%08lx, newsp: 0x%08lx\", ((unsigned long)(REC->clone_flags))
";
    let fields = parse_format(clone);
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "clone_flags",
            "newsp",
            "parent_tidptr",
            "child_tidptr",
            "tls"
        ]
    );
    assert_eq!(fields[2].ty, "int *");
    assert_eq!(type_bits(&fields[0].ty), (false, 64));
    assert_eq!(type_bits(&fields[2].ty), (true, 64));
    assert_eq!(type_bits("const char *const *"), (true, 64));
    assert_eq!(type_bits("umode_t"), (false, 16));
    assert_eq!(type_bits("const cap_user_data_t"), (true, 64));
    let ours = tables::signature(Arch::X86_64, "clone").unwrap();
    assert_eq!(compare(ours, &fields), None);
    // A renamed parameter is a difference.
    let mut renamed = fields.clone();
    renamed[0].name = "flags".into();
    assert!(compare(ours, &renamed).is_some());
}

seccomp_policy_suite::tests![
    #[cfg(target_arch = "x86_64")]
    signatures_agree_with_tracefs,
    format_files_parse,
];
