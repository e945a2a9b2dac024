//! `PAYLOADS_TRACE=1`: each payload runs unfiltered under `strace -f`, and
//! the calls it made (in every process of its tree) are compared with the
//! names `policy/seccomp.toml` gives `[base]` and the payload's caps. This is
//! how the corpus decides what the policy must grant; the comparison is by
//! name, so a name with a condition counts as granted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use toml::de::{DeTable, DeValue};

use crate::corpus::Payload;
use crate::{missing_program, run, verdict, Context};

const STRACE: &str = "/usr/bin/strace";

/// The names of `[base]` and of each cap, conditions stripped.
struct PolicyNames {
    base: BTreeSet<String>,
    caps: BTreeMap<String, BTreeSet<String>>,
}

impl PolicyNames {
    fn read() -> Result<PolicyNames, String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policy/seccomp.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc = DeTable::parse(&text).map_err(|e| e.to_string())?;
        let names = |t: &DeValue<'_>| -> BTreeSet<String> {
            let mut set = BTreeSet::new();
            let allow = t.as_table().and_then(|t| t.get("allow"));
            for item in allow
                .and_then(|a| a.get_ref().as_array())
                .into_iter()
                .flatten()
            {
                if let Some(rule) = item.get_ref().as_str() {
                    set.insert(rule.split('(').next().unwrap_or_default().trim().to_owned());
                }
            }
            set
        };
        let doc = doc.get_ref();
        let base = doc
            .get("base")
            .map(|b| names(b.get_ref()))
            .unwrap_or_default();
        let mut caps = BTreeMap::new();
        if let Some(c) = doc.get("cap").and_then(|c| c.get_ref().as_table()) {
            for (name, t) in c {
                caps.insert(name.get_ref().to_string(), names(t.get_ref()));
            }
        }
        Ok(PolicyNames { base, caps })
    }

    fn granted(&self, caps: &[String]) -> BTreeSet<&str> {
        let mut set: BTreeSet<&str> = self.base.iter().map(String::as_str).collect();
        for c in caps {
            set.extend(self.caps.get(c).into_iter().flatten().map(String::as_str));
        }
        // The spawn path's exception.
        set.insert("execve");
        set
    }
}

/// The system call names in an `strace -f -o` file.
fn calls_in(trace: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for line in trace.lines() {
        // `PID name(args) = result`, `PID <... name resumed>`, `PID +++`.
        let rest = line
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        if rest.starts_with('<') || rest.starts_with("---") || rest.starts_with("+++") {
            continue;
        }
        if let Some((name, _)) = rest.split_once('(') {
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                set.insert(name.to_owned());
            }
        }
    }
    set
}

struct Traced {
    ok: Result<(), String>,
    calls: BTreeSet<String>,
}

pub fn run_all(payloads: &[Payload], ctx: &Context) -> ExitCode {
    let policy = match PolicyNames::read() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("payloads: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !Path::new(STRACE).exists() {
        eprintln!("payloads: PAYLOADS_TRACE needs {STRACE} (apt-get install strace)");
        return ExitCode::FAILURE;
    }
    if let Err(e) = std::fs::create_dir_all(&ctx.root) {
        eprintln!("payloads: {}: {e}", ctx.root.display());
        return ExitCode::FAILURE;
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<usize, Result<Traced, String>>> = Mutex::new(BTreeMap::new());
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut i = next.fetch_add(1, Ordering::Relaxed);
                while let Some(p) = payloads.get(i) {
                    let result = trace_one(p, ctx, i);
                    results.lock().unwrap().insert(i, result);
                    i = next.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut broken = 0;
    for (i, p) in payloads.iter().enumerate() {
        let caps = if p.caps.is_empty() {
            "[base]".to_owned()
        } else {
            format!("[base]+{}", p.caps.join("+"))
        };
        match &results[&i] {
            Err(e) => {
                broken += 1;
                println!("{} ({caps}): {e}", p.name);
            }
            Ok(t) => {
                let granted = policy.granted(&p.caps);
                let outside: Vec<&str> = t
                    .calls
                    .iter()
                    .map(String::as_str)
                    .filter(|c| !granted.contains(c))
                    .collect();
                let unfiltered = match &t.ok {
                    Ok(()) => "unfiltered: ok".to_owned(),
                    Err(e) => {
                        broken += 1;
                        format!("unfiltered: FAIL: {e}")
                    }
                };
                println!("{} ({caps}): {unfiltered}", p.name);
                println!("    outside {caps}: {}", list(&outside));
                for cap in &p.caps {
                    let only: Vec<&str> = t
                        .calls
                        .iter()
                        .map(String::as_str)
                        .filter(|c| {
                            policy.caps[cap].contains(*c)
                                && !policy.base.contains(*c)
                                && !p
                                    .caps
                                    .iter()
                                    .any(|o| o != cap && policy.caps[o].contains(*c))
                        })
                        .collect();
                    println!("    only {cap} grants: {}", list(&only));
                }
                for c in outside {
                    wanted.entry(c.to_owned()).or_default().push(p.name.clone());
                }
            }
        }
    }
    println!("\ncalls outside the policy, and the payloads making them:");
    for (call, names) in &wanted {
        println!("  {call}: {}", names.join(", "));
    }
    println!(
        "\n{} traced, {broken} not correct even unfiltered",
        payloads.len()
    );
    if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join(", ")
    }
}

fn trace_one(p: &Payload, ctx: &Context, i: usize) -> Result<Traced, String> {
    if let Some(why) = missing_program(p) {
        return Err(format!("skipped: {why}"));
    }
    let file = ctx.root.join(format!("trace-{i}.txt"));
    let file_text = file.to_string_lossy().into_owned();
    let ran = run(p, ctx, None, &[STRACE, "-f", "-qq", "-o", &file_text, "--"])?;
    let trace = std::fs::read_to_string(&file).map_err(|e| format!("{file_text}: {e}"))?;
    let _ = std::fs::remove_file(&file);
    Ok(Traced {
        ok: verdict(p, ctx, &ran),
        calls: calls_in(&trace),
    })
}
