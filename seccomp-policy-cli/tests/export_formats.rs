//! `export --format kubelet|k8s|systemd`, each read back independently of
//! the writer.
//!
//! - `kubelet` is the OCI profile, byte for byte (tests/export.rs loads
//!   that into libseccomp; tests/runc.rs into runc).
//! - `k8s`: the YAML, read with yaml-rust2, is valid against the
//!   `SeccompProfile` CRD's v1beta1 OpenAPI schema from the
//!   security-profiles-operator's repository (tests/k8s/, with its source
//!   in its header), checked by the small validator below, and its `spec`
//!   is the OCI profile's content. What the schema cannot hold is refused.
//! - `systemd`: the drop-in, read as systemd reads `SystemCallFilter=`
//!   lines (systemd.exec(5): the first non-empty line decides the mode,
//!   an allow list starts with the `@default` group, `~` lines take names
//!   out or give them an errno), never allows a call the macro's program
//!   refuses for some arguments, gives exactly the program's verdict to
//!   every call the policy decides by number alone, and names on stderr
//!   every call it refuses that the policy allows under conditions. With
//!   `systemd-analyze`, `systemd-analyze verify` loads a unit using it and
//!   must find nothing to say about it (skipped, with the reason, without
//!   `systemd-analyze`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use seccomp_policy::policy::ArchPolicy;
use seccomp_policy::rule::{RuleSet, When};
use seccomp_policy::sim::{run as sim_run, SeccompData};
use seccomp_policy::{Arch, SockFilter};
use seccomp_policy_suite::harness::{Checked, Skip};
use serde_json::{json, Value};
use yaml_rust2::{Yaml, YamlLoader};

use common::{root, run, scratch, Run};

seccomp_policy::seccomp_policy!("../policy/seccomp.toml");

const SHIPPED: &str = "policy/seccomp.toml";

/// Cap sets tried: none, each alone, all.
fn cap_sets() -> Vec<Cap> {
    let mut sets = vec![Cap::NONE, Cap::ALL];
    for name in Cap::NAMES {
        sets.push(Cap::from_name(name).unwrap());
    }
    sets
}

fn export(format: &str, caps: Cap, more: &[&str]) -> Run {
    let names = caps.names().collect::<Vec<_>>().join(",");
    let mut args = vec!["export", SHIPPED, "--format", format];
    if !names.is_empty() {
        args.extend(["--cap", names.as_str()]);
    }
    args.extend(more);
    run(&args)
}

// ---------------------------------------------------------------- YAML

/// A YAML node as a JSON value: integers stay integers only where they
/// fit an `i64` (yaml-rust2 reads larger ones as reals), as a Kubernetes
/// API server reads them.
fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => json!(i),
        Yaml::Real(r) => json!(r.parse::<f64>().expect("a real")),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let Yaml::String(k) = k else {
                        panic!("a key that is not a string: {k:?}")
                    };
                    (k.clone(), to_json(v))
                })
                .collect(),
        ),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

fn read_yaml(text: &str) -> Value {
    let docs = YamlLoader::load_from_str(text).expect("valid YAML");
    assert_eq!(docs.len(), 1, "one document");
    to_json(&docs[0])
}

/// The v1beta1 `openAPIV3Schema` of the committed CRD.
fn v1beta1_schema() -> Value {
    let path = root().join("seccomp-policy-cli/tests/k8s/seccompprofile-crd.yaml");
    let crd = read_yaml(&std::fs::read_to_string(path).unwrap());
    assert_eq!(crd["kind"], "CustomResourceDefinition");
    assert_eq!(
        crd["spec"]["group"], "security-profiles-operator.x-k8s.io",
        "the CRD's group"
    );
    assert_eq!(crd["spec"]["names"]["kind"], "SeccompProfile");
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1beta1")
        .expect("a v1beta1 version");
    assert_eq!(version["served"], true, "v1beta1 is served");
    version["schema"]["openAPIV3Schema"].clone()
}

// ---------------------------------------------------------- the schema

/// Checks `value` against an OpenAPI v3 structural schema (the subset
/// Kubernetes CRDs use) and returns every violation, with its path.
/// Keywords it does not know fail the check rather than pass unchecked.
fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(keywords) = schema.as_object() else {
        errors.push(format!("{path}: the schema is not an object"));
        return;
    };
    for k in keywords.keys() {
        let known = [
            "description",
            "type",
            "properties",
            "required",
            "items",
            "enum",
            "format",
            "minimum",
            "maximum",
            "minItems",
            "maxItems",
            "default",
            "x-kubernetes-list-type",
        ];
        if !known.contains(&k.as_str()) {
            errors.push(format!(
                "{path}: the validator does not know the keyword `{k}`"
            ));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            errors.push(format!("{path}: {value} is not one of {allowed:?}"));
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(fields) = value.as_object() else {
                errors.push(format!("{path}: {value} is not an object"));
                return;
            };
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap();
                if !fields.contains_key(r) {
                    errors.push(format!("{path}: `{r}` is required"));
                }
            }
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in fields {
                    match props.get(k) {
                        Some(s) => validate(s, v, &format!("{path}.{k}"), errors),
                        None => errors.push(format!("{path}: unknown field `{k}`")),
                    }
                }
            }
        }
        Some("array") => {
            let Some(items) = value.as_array() else {
                errors.push(format!("{path}: {value} is not an array"));
                return;
            };
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    errors.push(format!("{path}: fewer than {min} items"));
                }
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                if items.len() as u64 > max {
                    errors.push(format!("{path}: more than {max} items"));
                }
            }
            if schema.get("x-kubernetes-list-type") == Some(&json!("set")) {
                for (i, a) in items.iter().enumerate() {
                    if items[..i].contains(a) {
                        errors.push(format!("{path}: {a} twice in a set"));
                    }
                }
            }
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    validate(s, v, &format!("{path}[{i}]"), errors);
                }
            }
        }
        Some("string") => {
            if !value.is_string() {
                errors.push(format!("{path}: {value} is not a string"));
            }
        }
        Some("integer") => {
            // Only integers that fit an i64 are integers here (see to_json).
            let Some(n) = value.as_i64() else {
                errors.push(format!("{path}: {value} is not a 64-bit integer"));
                return;
            };
            match schema.get("format").and_then(Value::as_str) {
                Some("int32") if i32::try_from(n).is_err() => {
                    errors.push(format!("{path}: {n} is not an int32"));
                }
                Some("int32" | "int64") | None => {}
                Some(f) => errors.push(format!("{path}: unknown integer format `{f}`")),
            }
            if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
                if n < min {
                    errors.push(format!("{path}: {n} is below {min}"));
                }
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
                if n > max {
                    errors.push(format!("{path}: {n} is above {max}"));
                }
            }
        }
        Some("boolean") => {
            if !value.is_boolean() {
                errors.push(format!("{path}: {value} is not a boolean"));
            }
        }
        Some(t) => errors.push(format!("{path}: unknown type `{t}`")),
        None => errors.push(format!("{path}: the schema gives no type")),
    }
}

fn violations(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate(schema, value, "", &mut errors);
    errors
}

/// What the API server checks of `metadata` beyond the schema's `object`:
/// a name that is an RFC 1123 subdomain.
fn valid_object_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn the_validator_catches_what_the_schema_forbids() {
    let schema = v1beta1_schema();
    let good = json!({
        "apiVersion": "security-profiles-operator.x-k8s.io/v1beta1",
        "kind": "SeccompProfile",
        "metadata": {"name": "p"},
        "spec": {
            "defaultAction": "SCMP_ACT_ERRNO",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]
        }
    });
    assert_eq!(violations(&schema, &good), Vec::<String>::new());
    let bad: &[(&str, Value, &str)] = &[
        (
            "/spec/defaultErrnoRet",
            json!(38),
            "unknown field `defaultErrnoRet`",
        ),
        (
            "/spec/defaultAction",
            json!("SCMP_ACT_NOPE"),
            "is not one of",
        ),
        (
            "/spec/architectures",
            json!(["SCMP_ARCH_LOONGARCH64"]),
            "is not one of",
        ),
        (
            "/spec/architectures",
            json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86_64"]),
            "twice in a set",
        ),
        ("/spec/syscalls/0/names", json!([]), "fewer than 1 items"),
        ("/spec/syscalls/0/args/0/value", json!(-1), "below 0"),
        (
            "/spec/syscalls/0/args/0/value",
            json!(1.8446744073709552e19),
            "not a 64-bit integer",
        ),
        (
            "/spec/syscalls/0/errnoRet",
            json!(1u64 << 31),
            "not an int32",
        ),
        (
            "/spec/syscalls/0/args/0/op",
            json!("SCMP_CMP_MASKED_NE"),
            "is not one of",
        ),
    ];
    for (pointer, v, want) in bad {
        let mut doc = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        doc.pointer_mut(parent).unwrap()[key] = v.clone();
        let found = violations(&schema, &doc);
        assert!(
            found.iter().any(|e| e.contains(want)),
            "{pointer} = {v}: {found:?}"
        );
    }
    let mut doc = good.clone();
    doc["spec"].as_object_mut().unwrap().remove("defaultAction");
    assert!(violations(&schema, &doc)
        .iter()
        .any(|e| e.contains("`defaultAction` is required")));
    let mut doc = good;
    doc["spec"]["syscalls"][0]["args"] =
        Value::Array(vec![json!({"index": 0, "op": "SCMP_CMP_EQ"}); 7]);
    assert!(violations(&schema, &doc)
        .iter()
        .any(|e| e.contains("more than 6 items")));
}

fn k8s_resources_are_valid_and_hold_the_oci_profile() {
    let schema = v1beta1_schema();
    let mut checked = 0;
    for caps in cap_sets() {
        let r = export("k8s", caps, &[]);
        assert_eq!(r.code, Some(0), "{caps}: {}", r.stderr);
        let doc = read_yaml(&r.out());
        assert_eq!(
            violations(&schema, &doc),
            Vec::<String>::new(),
            "{caps}: {}",
            r.out()
        );
        assert_eq!(
            doc["apiVersion"],
            "security-profiles-operator.x-k8s.io/v1beta1"
        );
        assert_eq!(doc["kind"], "SeccompProfile");
        let name = doc["metadata"]["name"].as_str().unwrap();
        assert!(valid_object_name(name), "{name}");
        assert!(r.stderr.contains("status.localhostProfile"), "{}", r.stderr);
        // The spec is the OCI profile's content.
        let oci = export("oci", caps, &[]);
        assert_eq!(oci.code, Some(0), "{}", oci.stderr);
        let oci: Value = serde_json::from_slice(&oci.stdout).unwrap();
        assert_eq!(doc["spec"]["defaultAction"], oci["defaultAction"]);
        assert_eq!(doc["spec"]["architectures"], oci["architectures"]);
        assert_eq!(doc["spec"]["syscalls"], oci["syscalls"], "{caps}");
        checked += 1;
    }
    let r = export("k8s", Cap::SSRF, &["--name", "ssrf.v1", "--arch", "arm64"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let doc = read_yaml(&r.out());
    assert_eq!(doc["metadata"]["name"], "ssrf.v1");
    assert_eq!(doc["spec"]["architectures"], json!(["SCMP_ARCH_AARCH64"]));
    assert_eq!(violations(&schema, &doc), Vec::<String>::new());
    println!("{checked} SeccompProfile resources valid against the CRD's v1beta1 schema");
}

fn k8s_refuses_what_its_schema_cannot_hold() {
    let dir = scratch("k8s-refusals");
    let cases = [
        (
            "default = \"ENOSYS\"\n[base]\nallow = [\"read\"]\n",
            &["--arch", "x86_64"][..],
            "error: the default action is errno 38, and a SeccompProfile cannot say",
        ),
        (
            "[base]\nallow = [\"read\", \"lseek(offset == -1)\"]\n",
            &["--arch", "x86_64"][..],
            "error: `lseek` compares argument 1 with 0xffffffffffffffff",
        ),
        (
            "[base]\nallow = [\"read\"]\n",
            &["--arch", "loong64"][..],
            "error: the SeccompProfile resource has no name for loongarch64",
        ),
        (
            "[base]\nallow = [\"read\"]\n",
            &["--name", "Not_A_Name"][..],
            "error: `Not_A_Name` is not a Kubernetes object name",
        ),
    ];
    for (i, (policy, more, want)) in cases.iter().enumerate() {
        let file = dir.join(format!("p{i}.toml"));
        std::fs::write(&file, policy).unwrap();
        let mut args = vec!["export", file.to_str().unwrap(), "--format", "k8s"];
        args.extend(*more);
        let r = run(&args);
        assert_ne!(r.code, Some(0), "{policy}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.starts_with(want), "{want}: {}", r.stderr);
        // The kubelet's file holds what the resource cannot.
        if !more.contains(&"--name") && !more.contains(&"loong64") {
            let mut args = vec!["export", file.to_str().unwrap(), "--format", "kubelet"];
            args.extend(*more);
            assert_eq!(run(&args).code, Some(0));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn kubelet_profiles_are_the_oci_profiles() {
    for caps in [Cap::NONE, Cap::ALL] {
        let k = export("kubelet", caps, &[]);
        let o = export("oci", caps, &[]);
        assert_eq!((k.code, o.code), (Some(0), Some(0)), "{}", k.stderr);
        assert_eq!(k.stdout, o.stdout);
        assert!(
            k.stderr.contains("/var/lib/kubelet/seccomp/"),
            "{}",
            k.stderr
        );
        assert!(k.stderr.contains("allowPrivilegeEscalation: false"));
    }
}

// ------------------------------------------------------------ systemd

/// What a drop-in does with one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Allow,
    Kill,
    Errno(u16),
}

/// A drop-in's `SystemCallFilter=`, `SystemCallErrorNumber=` and
/// `SystemCallArchitectures=` as systemd reads them.
#[derive(Debug)]
struct Filter {
    allow_list: bool,
    /// Names in the filter: allowed, or with their errno (`~NAME:ERRNO`
    /// in an allow list), or `None` for `kill`.
    entries: BTreeMap<String, Option<Option<u16>>>,
    default: Verdict,
    archs: Vec<String>,
}

impl Filter {
    fn verdict(&self, name: Option<&str>) -> Verdict {
        match name.and_then(|n| self.entries.get(n)) {
            Some(None) => Verdict::Allow,
            Some(Some(Some(e))) => Verdict::Errno(*e),
            Some(Some(None)) => Verdict::Kill,
            None => self.default,
        }
    }
}

/// systemd's `@default` group: `systemd-analyze syscall-filter @default`,
/// or systemd 252's list where that is missing.
fn default_group() -> Vec<String> {
    if let Ok(out) = std::process::Command::new("systemd-analyze")
        .args(["syscall-filter", "@default"])
        .output()
    {
        if out.status.success() {
            let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('@'))
                .map(str::to_owned)
                .collect();
            if !names.is_empty() {
                return names;
            }
        }
    }
    "arch_prctl brk cacheflush clock_getres clock_getres_time64 clock_gettime \
     clock_gettime64 clock_nanosleep clock_nanosleep_time64 execve exit exit_group futex \
     futex_time64 get_robust_list get_thread_area getegid getegid32 geteuid geteuid32 \
     getgid getgid32 getgroups getgroups32 getpgid getpgrp getpid getppid getrandom \
     getresgid getresgid32 getresuid getresuid32 getrlimit getsid gettid gettimeofday \
     getuid getuid32 membarrier mmap mmap2 munmap nanosleep pause prlimit64 \
     restart_syscall rseq rt_sigreturn sched_getaffinity sched_yield set_robust_list \
     set_thread_area set_tid_address set_tls sigreturn time ugetrlimit"
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn errno_number(arch: Arch, text: &str) -> u16 {
    text.parse()
        .ok()
        .or_else(|| seccomp_policy::errno::number(arch, text))
        .unwrap_or_else(|| panic!("errno {text}"))
}

fn parse_dropin(arch: Arch, text: &str, default_group: &[String]) -> Filter {
    let mut f = Filter {
        allow_list: false,
        entries: BTreeMap::new(),
        default: Verdict::Kill,
        archs: Vec::new(),
    };
    let mut mode_set = false;
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        assert_eq!(section, "[Service]", "{line}");
        let (key, value) = line.split_once('=').expect("KEY=VALUE");
        match key {
            "SystemCallFilter" if value.is_empty() => {
                f.entries.clear();
                mode_set = false;
            }
            "SystemCallFilter" => {
                let (invert, items) = match value.strip_prefix('~') {
                    Some(rest) => (true, rest),
                    None => (false, value),
                };
                if !mode_set {
                    mode_set = true;
                    f.allow_list = !invert;
                    assert!(f.allow_list, "the drop-in starts an allow list");
                    for n in default_group {
                        f.entries.insert(n.clone(), None);
                    }
                }
                for item in items.split_whitespace() {
                    let (name, errno) = match item.split_once(':') {
                        Some((n, "kill")) => (n, Some(None)),
                        Some((n, e)) => (n, Some(Some(errno_number(arch, e)))),
                        None => (item, None),
                    };
                    let names: Vec<String> = if name == "@default" {
                        default_group.to_vec()
                    } else {
                        assert!(!name.starts_with('@'), "group {name}");
                        vec![name.to_owned()]
                    };
                    for n in names {
                        match (invert, errno) {
                            (false, None) => {
                                f.entries.insert(n, None);
                            }
                            (false, Some(_)) => panic!("systemd ignores {item} in an allow list"),
                            (true, Some(e)) => {
                                f.entries.insert(n, Some(e));
                            }
                            (true, None) => {
                                f.entries.remove(&n);
                            }
                        }
                    }
                }
            }
            "SystemCallErrorNumber" => {
                f.default = match value {
                    "" | "kill" => Verdict::Kill,
                    e => Verdict::Errno(errno_number(arch, e)),
                }
            }
            "SystemCallArchitectures" => {
                f.archs = value.split_whitespace().map(str::to_owned).collect()
            }
            other => panic!("unexpected setting {other}"),
        }
    }
    f
}

/// The macro's program for `caps` with execve and execveat allowed.
fn with_exec(policy: &ArchPolicy<'_>, caps: u64) -> Vec<SockFilter> {
    let mut exec: Vec<u32> = ["execve", "execveat"]
        .iter()
        .filter_map(|n| seccomp_policy::syscalls::number(policy.arch, n))
        .collect();
    exec.sort_unstable();
    let p: PolicyProgram = policy
        .program(
            caps,
            RuleSet {
                allow: &exec,
                rules: &[],
            },
            policy.default,
        )
        .unwrap();
    p.as_slice().to_vec()
}

/// Argument vectors for a number with conditioned rules: zero, and each
/// compared constant, one off it and its complement in each slot.
fn probes(policy: &ArchPolicy<'_>, nr: u32) -> Vec<[u64; 6]> {
    let mut out = vec![[0u64; 6]];
    for set in std::iter::once(&policy.base).chain(policy.caps.iter()) {
        for rule in set.rules.iter().filter(|r| r.nr == nr) {
            let When::AnyOf(alts) = rule.when else {
                continue;
            };
            for conj in alts {
                let mut all = [0u64; 6];
                for c in conj.iter() {
                    all[c.arg as usize % 6] = c.value;
                }
                out.push(all);
                for c in conj.iter() {
                    for v in [
                        c.value,
                        c.value.wrapping_add(1),
                        c.value.wrapping_sub(1),
                        !c.value,
                    ] {
                        let mut a = [0u64; 6];
                        a[c.arg as usize % 6] = v;
                        out.push(a);
                        let mut b = all;
                        b[c.arg as usize % 6] = v;
                        out.push(b);
                    }
                }
            }
        }
    }
    out
}

fn program_verdict(ret: u32) -> Verdict {
    use seccomp_policy::bpf::{
        SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO,
        SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_LOG,
    };
    match ret & SECCOMP_RET_ACTION_FULL {
        SECCOMP_RET_ALLOW | SECCOMP_RET_LOG => Verdict::Allow,
        SECCOMP_RET_ERRNO => Verdict::Errno((ret & SECCOMP_RET_DATA) as u16),
        SECCOMP_RET_KILL_PROCESS => Verdict::Kill,
        other => panic!("the shipped policy has no action {other:#x}"),
    }
}

fn systemd_dropins_never_allow_more_than_the_policy() {
    let arch = Arch::NATIVE.expect("a supported architecture");
    let policy = POLICY.arch(arch).unwrap();
    let group = default_group();
    let conditioned: BTreeSet<u32> = std::iter::once(&policy.base)
        .chain(policy.caps.iter())
        .flat_map(|s| s.rules.iter())
        .filter(|r| matches!(r.when, When::AnyOf(_)))
        .map(|r| r.nr)
        .collect();
    let (mut exact, mut narrowed) = (0, 0);
    for caps in cap_sets() {
        let r = export("systemd", caps, &[]);
        assert_eq!(r.code, Some(0), "{caps}: {}", r.stderr);
        let text = r.out();
        let f = parse_dropin(arch, &text, &group);
        assert!(f.allow_list);
        assert_eq!(f.archs, ["native"]);
        let ours = with_exec(policy, caps.bits());
        let notes: BTreeSet<&str> = r
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("  "))
            .filter_map(|l| l.split_once(": ").map(|(n, _)| n))
            .collect();
        for nr in seccomp_policy_suite::libseccomp::sweep(arch) {
            let name = syscall_name(arch, nr);
            let mine = f.verdict(name);
            let tries = if conditioned.contains(&nr) {
                probes(policy, nr)
            } else {
                vec![[0; 6]]
            };
            let theirs: BTreeSet<Verdict> = tries
                .iter()
                .map(|a| {
                    let mut d = SeccompData::new(nr as i32, arch.audit_arch());
                    d.args = *a;
                    program_verdict(sim_run(&ours, &d).unwrap().ret)
                })
                .collect();
            let what = format!("{caps} {name:?} ({nr}): drop-in {mine:?}, policy {theirs:?}");
            if mine == Verdict::Allow {
                assert_eq!(theirs, [Verdict::Allow].into(), "allows more: {what}");
            }
            if theirs.len() == 1 && !conditioned.contains(&nr) {
                assert_eq!(
                    [mine].into_iter().collect::<BTreeSet<_>>(),
                    theirs,
                    "{what}"
                );
                exact += 1;
            } else if theirs.contains(&Verdict::Allow) && mine != Verdict::Allow {
                let name = name.expect("a conditioned call has a name");
                assert!(notes.contains(name), "{what} without a note: {}", r.stderr);
                assert!(
                    text.contains(&format!("#   {name}: ")),
                    "{what}: not in the drop-in's comments"
                );
                narrowed += 1;
            }
        }
    }
    println!(
        "systemd drop-ins on {arch}: {exact} verdicts exactly the policy's, {narrowed} calls \
         refused that the policy allows under conditions (each named)"
    );
}

fn systemd_analyze_verifies_the_dropins() -> Checked {
    let out = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .map_err(|e| Skip::new(format!("no systemd-analyze (apt-get install systemd): {e}")))?;
    if !out.status.success() {
        return Err(Skip::new("systemd-analyze --version fails"));
    }
    let dir = scratch("systemd");
    for caps in [Cap::NONE, Cap::ALL] {
        let unit_dir = dir.join(format!("caps{}", caps.bits()));
        let dropin_dir = unit_dir.join("seccomp-policy-test.service.d");
        std::fs::create_dir_all(&dropin_dir).unwrap();
        let unit = unit_dir.join("seccomp-policy-test.service");
        std::fs::write(
            &unit,
            "[Unit]\nDescription=seccomp-policy export test\n\n[Service]\nExecStart=/bin/true\n",
        )
        .unwrap();
        let dropin = dropin_dir.join("seccomp-policy.conf");
        let r = export("systemd", caps, &["-o", dropin.to_str().unwrap()]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let v = std::process::Command::new("systemd-analyze")
            .arg("verify")
            .arg(&unit)
            .output()
            .expect("systemd-analyze runs");
        let stderr = String::from_utf8_lossy(&v.stderr);
        println!(
            "{caps}: systemd-analyze verify: {:?} {}",
            v.status,
            stderr.trim()
        );
        assert!(v.status.success(), "{stderr}");
        for line in stderr.lines() {
            assert!(
                !line.contains("seccomp-policy"),
                "systemd-analyze says about the drop-in: {line}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    Ok(())
}

seccomp_policy_suite::tests![
    the_validator_catches_what_the_schema_forbids,
    k8s_resources_are_valid_and_hold_the_oci_profile,
    k8s_refuses_what_its_schema_cannot_hold,
    kubelet_profiles_are_the_oci_profiles,
    systemd_dropins_never_allow_more_than_the_policy,
    systemd_analyze_verifies_the_dropins,
];
