//! Reading the corpus: every `*.toml` file beside this one holds payloads.
//!
//! ```toml
//! family = "python3"            # the program family of every payload here
//!
//! [[payload]]
//! name = "py-os-remove"         # unique in the corpus
//! caps = ["FILE_IO"]            # granted on top of [base]; default none
//! needs = ["FILE_IO"]           # caps that must be refused when dropped;
//!                               # default: all of `caps`
//! run = ["/usr/bin/python3", "-I", "-c", "..."]  # absolute program path
//!                               # (or one of `files`: "{dir}/name")
//! stdin = "..."                 # default: none (/dev/null)
//! files = { "in.txt" = "..." }  # made in the payload's directory first
//! executable = ["in.txt"]       # of `files`, made mode 0755
//! env = { NAME = "value" }      # on top of PATH, HOME, TMPDIR, LANG
//! status = 0                    # the exit status it must end with
//! stdout = ["...", "..."]       # must appear in stdout, in this order
//! stderr = ["..."]              # must appear in stderr, in this order
//! outputs = { "out.txt" = "..." }   # files it must leave, with this text in;
//!                               # without a needed cap it must not (unless
//!                               # `files` already held the text)
//! refused = ["killed"]          # how it must end without a needed cap:
//!                               # "killed" (SIGSYS), "errno" (exits
//!                               # non-zero saying each of `refused_says`),
//!                               # "child-killed" (exits 159, as a shell
//!                               # does when a program it ran is killed),
//!                               # "denied" (exits non-zero saying how its
//!                               # program reports EACCES: the Landlock
//!                               # domain refused a path or a port; or
//!                               # says so, then dies of a signal);
//!                               # default "killed" or "denied"
//! refused_says = ["PermissionError"]
//! pending = "why"               # fails for now; NEEDS.md says what rule
//!                               # would make it pass
//!
//! [payload.without.SSRF]        # `refused`, `refused_says` for one cap
//! refused = ["killed", "errno"]
//! refused_says = ["Operation not permitted"]
//! ```
//!
//! In every string of `run`, `stdin`, `files`, `env`, `stdout`, `stderr` and
//! `outputs`, `{dir}` is the payload's own directory (also its working
//! directory, `HOME` and `TMPDIR`), `{url}` the test's HTTP server
//! (`http://127.0.0.1:PORT`) and `{port}` its port.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use toml::de::{DeTable, DeValue};

/// How a payload may end when one cap it needs is not granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is a form a refusal may take, and any set of them is meaningful"
)]
pub struct Refusal {
    /// Killed by `SIGSYS`.
    pub killed: bool,
    /// Ended with a non-zero status, its output saying each of `says` (the
    /// policy answered the call with an errno).
    pub errno: bool,
    /// What the errno form must say.
    pub says: Vec<String>,
    /// Ended with status 159 (128 + `SIGSYS`): a program it ran was killed,
    /// and a shell reported it so.
    pub child_killed: bool,
    /// Ended with a non-zero status, saying one of [`DENIED_SAYS`]: the
    /// Landlock domain refused a file or a port (`EACCES`).
    pub denied: bool,
}

/// How the corpus's programs report `EACCES` from `open` or `connect`:
/// strerror's text, Python's `[Errno 13]`, and the words of `SQLite` and of
/// Python's `tempfile`, which say what they could not do instead.
pub const DENIED_SAYS: [&str; 4] = [
    "Permission denied",
    "[Errno 13]",
    "unable to open database",
    "No usable temporary directory",
];

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let forms: Vec<&str> = [
            (self.killed, "killed"),
            (self.errno, "errno"),
            (self.child_killed, "child-killed"),
            (self.denied, "denied"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        f.write_str(&forms.join(" or "))
    }
}

/// One payload of the corpus.
#[derive(Clone, Debug)]
pub struct Payload {
    /// Unique name.
    pub name: String,
    /// Program family (`python3`, `coreutils`, ...).
    pub family: String,
    /// The corpus file and line it comes from.
    pub origin: String,
    /// Caps granted on top of `[base]`.
    pub caps: Vec<String>,
    /// Caps that must be refused when dropped (a subset of `caps`).
    pub needs: Vec<String>,
    /// Program and arguments.
    pub run: Vec<String>,
    /// Standard input, if any.
    pub stdin: Option<String>,
    /// Files made in the payload's directory before it runs.
    pub files: Vec<(String, String)>,
    /// Which of `files` are made executable.
    pub executable: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// The exit status it must end with.
    pub status: i32,
    /// Text that must appear in stdout, in order.
    pub stdout: Vec<String>,
    /// Text that must appear in stderr, in order.
    pub stderr: Vec<String>,
    /// Files it must leave, and text each must contain.
    pub outputs: Vec<(String, String)>,
    /// How it must end without each cap of `needs`.
    pub without: BTreeMap<String, Refusal>,
    /// Why it is expected to fail for now, if it is.
    pub pending: Option<String>,
}

const PAYLOAD_KEYS: &[&str] = &[
    "name",
    "caps",
    "needs",
    "run",
    "stdin",
    "files",
    "executable",
    "env",
    "status",
    "stdout",
    "stderr",
    "outputs",
    "refused",
    "refused_says",
    "without",
    "pending",
];

/// Reads every `*.toml` file in `dir`, in name order. `known_cap` says
/// whether a cap name exists in the policy.
pub fn load(dir: &Path, known_cap: &dyn Fn(&str) -> bool) -> Result<Vec<Payload>, Vec<String>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| vec![format!("{}: {e}", dir.display())])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut payloads = Vec::new();
    let mut errors = Vec::new();
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut reader = Reader {
            file: &file,
            text: &text,
            errors: &mut errors,
            known_cap,
        };
        payloads.extend(reader.file());
    }
    let mut seen = BTreeMap::new();
    for p in &payloads {
        if let Some(first) = seen.insert(p.name.clone(), p.origin.clone()) {
            errors.push(format!(
                "{}: payload `{}` is also defined at {first}",
                p.origin, p.name
            ));
        }
    }
    if payloads.is_empty() && errors.is_empty() {
        errors.push(format!("{}: no payloads", dir.display()));
    }
    if errors.is_empty() {
        Ok(payloads)
    } else {
        Err(errors)
    }
}

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    errors: &'a mut Vec<String>,
    known_cap: &'a dyn Fn(&str) -> bool,
}

type Value<'i> = toml::Spanned<DeValue<'i>>;

impl Reader<'_> {
    fn at(&self, offset: usize) -> String {
        let line = self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        format!("{}:{line}", self.file)
    }

    fn error(&mut self, offset: usize, message: impl fmt::Display) {
        let at = self.at(offset);
        self.errors.push(format!("{at}: {message}"));
    }

    fn file(&mut self) -> Vec<Payload> {
        let text = self.text;
        let doc = match DeTable::parse(text) {
            Ok(d) => d,
            Err(e) => {
                self.errors.push(format!("{}: {e}", self.file));
                return Vec::new();
            }
        };
        let doc = doc.get_ref();
        let mut family = None;
        let mut list = None;
        for (key, value) in doc {
            match key.get_ref().as_ref() {
                "family" => family = self.string(value),
                "payload" => list = Some(value),
                other => self.error(key.span().start, format!("unknown key `{other}`")),
            }
        }
        let Some(family) = family else {
            self.error(0, "no `family = \"...\"` at the top");
            return Vec::new();
        };
        let Some(list) = list else {
            self.error(0, "no `[[payload]]`");
            return Vec::new();
        };
        let Some(items) = list.get_ref().as_array() else {
            self.error(list.span().start, "`payload` must be `[[payload]]` tables");
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.payload(&family, item))
            .collect()
    }

    #[allow(
        clippy::too_many_lines,
        reason = "reads a payload table key by key, each key's errors beside its reading"
    )]
    fn payload(&mut self, family: &str, item: &Value<'_>) -> Option<Payload> {
        let start = item.span().start;
        let Some(table) = item.get_ref().as_table() else {
            self.error(start, "a payload must be a table");
            return None;
        };
        let errors_before = self.errors.len();
        for (key, _) in table {
            if !PAYLOAD_KEYS.contains(&key.get_ref().as_ref()) {
                self.error(
                    key.span().start,
                    format!(
                        "unknown key `{}`; payload keys: {}",
                        key.get_ref(),
                        PAYLOAD_KEYS.join(", ")
                    ),
                );
            }
        }
        let get = |k: &str| table.get(k);
        let name = match get("name") {
            Some(v) => self.string(v)?,
            None => {
                self.error(start, "a payload needs a `name`");
                return None;
            }
        };
        let caps = get("caps").map_or_else(Vec::new, |v| self.strings(v));
        let needs = get("needs").map_or_else(|| caps.clone(), |v| self.strings(v));
        for (list, what) in [(&caps, "caps"), (&needs, "needs")] {
            for cap in list {
                if !(self.known_cap)(cap) {
                    self.error(start, format!("`{name}`: unknown cap `{cap}` in `{what}`"));
                }
            }
        }
        for cap in &needs {
            if !caps.contains(cap) {
                self.error(
                    start,
                    format!("`{name}`: `needs` has `{cap}`, which `caps` does not grant"),
                );
            }
        }
        let run = match get("run") {
            Some(v) => self.strings(v),
            None => Vec::new(),
        };
        if !run
            .first()
            .is_some_and(|p| p.starts_with('/') || p.starts_with("{dir}/"))
        {
            self.error(
                start,
                format!("`{name}`: `run` must start with an absolute program path or `{{dir}}/`"),
            );
        }
        let stdin = get("stdin").and_then(|v| self.string(v));
        let files = get("files").map_or_else(Vec::new, |v| self.string_table(v));
        let executable = get("executable").map_or_else(Vec::new, |v| self.strings(v));
        for x in &executable {
            if !files.iter().any(|(f, _)| f == x) {
                self.error(
                    start,
                    format!("`{name}`: executable `{x}` is not in `files`"),
                );
            }
        }
        let env = get("env").map_or_else(Vec::new, |v| self.string_table(v));
        let status = match get("status") {
            Some(v) => match v.get_ref().as_integer().map(|i| i.as_str().parse::<i32>()) {
                Some(Ok(n)) => n,
                _ => {
                    self.error(v.span().start, "`status` must be a small integer");
                    0
                }
            },
            None => 0,
        };
        let stdout = get("stdout").map_or_else(Vec::new, |v| self.strings(v));
        let stderr = get("stderr").map_or_else(Vec::new, |v| self.strings(v));
        let outputs = get("outputs").map_or_else(Vec::new, |v| self.string_table(v));
        if stdout.is_empty() && stderr.is_empty() && outputs.is_empty() {
            self.error(
                start,
                format!(
                    "`{name}`: say what its output must contain (`stdout`, `stderr` or `outputs`)"
                ),
            );
        }
        let default = self.refusal(&name, table, false);
        let mut without: BTreeMap<String, Refusal> = needs
            .iter()
            .map(|c| (c.clone(), default.clone().unwrap_or_default()))
            .collect();
        if let Some(w) = get("without") {
            match w.get_ref().as_table() {
                Some(t) => {
                    for (cap, spec) in t {
                        let cap = cap.get_ref().to_string();
                        if !needs.contains(&cap) {
                            self.error(
                                spec.span().start,
                                format!("`{name}`: `without.{cap}`, but `{cap}` is not in `needs`"),
                            );
                        }
                        match spec.get_ref().as_table() {
                            Some(spec) => {
                                if let Some(r) = self.refusal(&name, spec, true) {
                                    without.insert(cap, r);
                                }
                            }
                            None => self.error(spec.span().start, "`without.CAP` must be a table"),
                        }
                    }
                }
                None => self.error(w.span().start, "`without` must be a table of caps"),
            }
        }
        for (cap, r) in &without {
            if !r.killed && !r.errno && !r.child_killed && !r.denied {
                self.error(start, format!("`{name}`: no refusal form without `{cap}`"));
            }
        }
        let pending = get("pending").and_then(|v| self.string(v));
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Payload {
            name,
            family: family.to_owned(),
            origin: self.at(start),
            caps,
            needs,
            run,
            stdin,
            files,
            executable,
            env,
            status,
            stdout,
            stderr,
            outputs,
            without,
            pending,
        })
    }

    /// `refused` and `refused_says` of a table; `killed` or `denied` by
    /// default.
    /// `only` when the table may hold nothing else (`without.CAP`).
    fn refusal(&mut self, name: &str, table: &DeTable<'_>, only: bool) -> Option<Refusal> {
        let mut r = Refusal {
            killed: true,
            denied: true,
            ..Refusal::default()
        };
        if let Some(v) = table.get("refused") {
            r.killed = false;
            r.denied = false;
            for form in self.strings(v) {
                match form.as_str() {
                    "killed" => r.killed = true,
                    "errno" => r.errno = true,
                    "child-killed" => r.child_killed = true,
                    "denied" => r.denied = true,
                    other => self.error(
                        v.span().start,
                        format!(
                            "`{name}`: refusal `{other}`; use \"killed\", \"errno\", \
                             \"child-killed\" or \"denied\""
                        ),
                    ),
                }
            }
        }
        if let Some(v) = table.get("refused_says") {
            r.says = self.strings(v);
        }
        if only {
            for (key, v) in table {
                if !["refused", "refused_says"].contains(&key.get_ref().as_ref()) {
                    self.error(
                        v.span().start,
                        format!(
                            "unknown key `{}`; use `refused`, `refused_says`",
                            key.get_ref()
                        ),
                    );
                }
            }
        }
        if r.errno && r.says.is_empty() {
            let at = table.get("refused").map_or(0, |v| v.span().start);
            self.error(
                at,
                format!(
                    "`{name}`: an errno refusal needs `refused_says`, what the payload says then"
                ),
            );
            return None;
        }
        Some(r)
    }

    fn string(&mut self, v: &Value<'_>) -> Option<String> {
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.error(v.span().start, "expected a string");
                None
            }
        }
    }

    fn strings(&mut self, v: &Value<'_>) -> Vec<String> {
        match v.get_ref().as_array() {
            Some(items) => items.iter().filter_map(|i| self.string(i)).collect(),
            None => {
                self.error(v.span().start, "expected an array of strings");
                Vec::new()
            }
        }
    }

    fn string_table(&mut self, v: &Value<'_>) -> Vec<(String, String)> {
        match v.get_ref().as_table() {
            Some(t) => t
                .iter()
                .filter_map(|(k, v)| Some((k.get_ref().to_string(), self.string(v)?)))
                .collect(),
            None => {
                self.error(v.span().start, "expected a table of strings");
                Vec::new()
            }
        }
    }
}
