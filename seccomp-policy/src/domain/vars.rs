//! The values of a policy's variables (`$WORKDIR`, `$TMPDIR`, `$PORTS` and
//! those the policy declares with `vars = [...]`), given by the harness at
//! run time.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Variable values for the paths and ports of a policy's `fs` and `net`
/// tables. A built-in variable not set here takes its default:
/// `WORKDIR` the command's working directory, `TMPDIR` the `TMPDIR` the
/// command is given, else this process's, else `/tmp`, `PORTS` `*` (any
/// port). A declared
/// variable not set leaves its entries out (counted in the report).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

impl Vars {
    /// No values: every built-in variable takes its default.
    pub fn new() -> Vars {
        Vars::default()
    }

    /// Sets `name` (without `$`) to `value`: a path for a path variable; for
    /// a port variable, ports separated by commas (`443,8080`) or `*`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Vars {
        self.values.insert(name.into(), value.into());
        self
    }

    /// These values, and `TMPDIR` the command's own when the harness set
    /// one for it (`cmd.env("TMPDIR", ...)`) and gave none here: a
    /// payload's temporary directory is where its `TMPDIR` points.
    #[must_use]
    pub fn for_command(&self, cmd: &std::process::Command) -> Vars {
        let mut vars = self.clone();
        if vars.get("TMPDIR").is_none() {
            let set = cmd
                .get_envs()
                .find(|(k, _)| *k == "TMPDIR")
                .and_then(|(_, v)| v);
            if let Some(dir) = set.filter(|v| !v.is_empty()) {
                vars.set("TMPDIR", dir.to_string_lossy());
            }
        }
        vars
    }

    /// `name`'s value as set, without defaults.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// `name`'s value, or its default for a built-in variable; `workdir`
    /// is the command's working directory, when it has its own.
    pub(crate) fn value(&self, name: &str, workdir: Option<&std::path::Path>) -> Option<String> {
        if let Some(v) = self.get(name) {
            return Some(v.to_owned());
        }
        match name {
            "WORKDIR" => workdir
                .map(PathBuf::from)
                .or_else(|| std::env::current_dir().ok())
                .map(|p| p.to_string_lossy().into_owned()),
            "TMPDIR" => Some(
                std::env::var_os("TMPDIR")
                    .filter(|v| !v.is_empty())
                    .map_or_else(|| "/tmp".to_owned(), |v| v.to_string_lossy().into_owned()),
            ),
            "PORTS" => Some("*".to_owned()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_values_win_and_builtins_have_defaults() {
        let mut vars = Vars::new();
        assert_eq!(vars.value("PORTS", None).as_deref(), Some("*"));
        assert_eq!(
            vars.value("WORKDIR", Some(std::path::Path::new("/srv/job")))
                .as_deref(),
            Some("/srv/job")
        );
        assert_eq!(vars.value("CACHE", None), None);
        vars.set("PORTS", "443,8080").set("CACHE", "/var/cache/x");
        assert_eq!(vars.value("PORTS", None).as_deref(), Some("443,8080"));
        assert_eq!(vars.value("CACHE", None).as_deref(), Some("/var/cache/x"));
    }
}
