//! Reading a policy file: bytes from disk to text, or a diagnostic that says
//! what went wrong and where the path was looked for.

use std::path::Path;

use seccomp_policy_core::text::{quoted, PATH_MAX};

use crate::diag::{loc_at, Code, Diagnostic};

/// Reads the policy file at `path`, which the user wrote as `display`
/// relative to the invoking crate (the macro's reading).
///
/// # Errors
///
/// A file that is missing, unreadable, not a regular file, over
/// [`MAX_POLICY_BYTES`] or not UTF-8 is an error naming `display`; a
/// missing one says where relative paths start.
pub fn read_policy(path: &Path, display: &str) -> Result<String, Diagnostic> {
    read_policy_file(path, display).map_err(|diag| {
        if diag.loc.is_none() && !path.exists() {
            diag.with_help(format!(
                "the path is relative to the directory holding the crate's Cargo.toml \
                 (CARGO_MANIFEST_DIR); here that is {}",
                quoted(&path.to_string_lossy()).max(PATH_MAX)
            ))
        } else {
            diag
        }
    })
}

/// Reads the policy file at `path`, which the user wrote as `display` (the
/// command-line tool's reading: the path is the user's own).
///
/// # Errors
///
/// As [`read_policy_bytes`]'s, and a file that is not UTF-8, located at its
/// first bad byte.
pub(crate) fn read_policy_file(path: &Path, display: &str) -> Result<String, Diagnostic> {
    let bytes = read_policy_bytes(path, display)?;
    policy_text(bytes).map_err(|(diag, _)| diag)
}

/// The most bytes a policy file may have: 16 MiB. A policy is a short text;
/// anything near this size is the wrong file, and reading stops here.
pub const MAX_POLICY_BYTES: u64 = 16 * 1024 * 1024;

/// What to do when the path names something that is not a policy file.
const NOT_A_POLICY_HELP: &str =
    "name the policy file itself: a regular file (or a symlink to one) of at most 16 MiB";

/// The bytes of the policy file at `path` (written by the user as
/// `display`), read only when it is a regular file once symlinks are
/// followed, and never more than [`MAX_POLICY_BYTES`]: a device such as
/// `/dev/zero` would never end, and a FIFO with no writer would never
/// answer.
///
/// The file is opened without blocking (a FIFO put in its place after the
/// check does not hang the open), checked again once open, and read through
/// a reader that stops one byte past the limit, so a file that grows while
/// it is read cannot exceed it either.
///
/// # Errors
///
/// A file that is missing, unreadable, not a regular file or over the
/// limit, as a diagnostic naming `display` and saying what to do.
pub fn read_policy_bytes(path: &Path, display: &str) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read as _;

    let cannot = |why: String| {
        Diagnostic::whole_file(format!(
            "cannot read policy file {}: {why}",
            quoted(display).max(PATH_MAX)
        ))
        .with_code(Code::CannotRead)
    };
    let refuse = |why: String| cannot(why).with_help(NOT_A_POLICY_HELP);
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(refuse(format!(
                "it is {}, not a regular file",
                file_kind(meta.file_type())
            )));
        }
        if meta.len() > MAX_POLICY_BYTES {
            return Err(too_big(&refuse, meta.len(), ""));
        }
        Ok(())
    };
    check(&std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?)?;
    let file = open_nonblocking(path).map_err(|e| cannot(e.to_string()))?;
    check(&file.metadata().map_err(|e| cannot(e.to_string()))?)?;
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(e.to_string()))?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        // It grew while it was read.
        return Err(too_big(&refuse, bytes.len() as u64, "at least "));
    }
    Ok(bytes)
}

fn too_big(refuse: &impl Fn(String) -> Diagnostic, len: u64, more: &str) -> Diagnostic {
    refuse(format!(
        "it is {more}{len} bytes, more than the 16 MiB ({MAX_POLICY_BYTES} bytes) a policy file \
         may have"
    ))
}

/// The bytes as the policy's text, or the error at the first byte that is
/// not UTF-8 with the text as far as it can be shown (lossily), for the
/// error's snippet.
///
/// # Errors
///
/// Bytes that are not UTF-8.
pub fn policy_text(bytes: Vec<u8>) -> Result<String, (Diagnostic, String)> {
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let prefix = std::str::from_utf8(&err.as_bytes()[..valid]).unwrap_or_default();
        let diag = Diagnostic::at(
            loc_at(prefix, prefix.len()),
            "the policy file is not valid UTF-8",
        )
        .with_code(Code::NotUtf8)
        .with_help("save the policy file as UTF-8 text");
        (diag, String::from_utf8_lossy(err.as_bytes()).into_owned())
    })
}

/// What a file that is not a regular file is, in words.
fn file_kind(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Opens `path` for reading; on Unix without blocking, which only changes
/// anything for a FIFO or a device (a regular file's reads never block).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_reports_io_errors() {
        let dir = std::env::temp_dir().join(format!("seccomp-policy-parse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();

        let good = dir.join("good.toml");
        std::fs::write(&good, "[base]\nallow = []\n").unwrap();
        assert_eq!(
            read_policy(&good, "good.toml").unwrap(),
            "[base]\nallow = []\n"
        );

        let missing = dir.join("missing.toml");
        let diag = read_policy(&missing, "policy/missing.toml").unwrap_err();
        assert_eq!(
            diag.render("policy/missing.toml"),
            format!(
                "cannot read policy file `policy/missing.toml`: No such file or directory (os error 2)\n\
                 help: the path is relative to the directory holding the crate's Cargo.toml \
                 (CARGO_MANIFEST_DIR); here that is `{}`",
                missing.display()
            )
        );

        let diag = read_policy_file(&missing, "missing.toml").unwrap_err();
        assert_eq!(
            diag.render("missing.toml"),
            "cannot read policy file `missing.toml`: No such file or directory (os error 2)"
        );

        let diag = read_policy(&dir, "policy").unwrap_err();
        assert!(diag.loc.is_none());
        assert!(diag
            .message
            .starts_with("cannot read policy file `policy`: "));

        let latin1 = dir.join("latin1.toml");
        std::fs::write(&latin1, b"[base]\nallow = [\"caf\xe9\"]\n").unwrap();
        let diag = read_policy(&latin1, "latin1.toml").unwrap_err();
        assert_eq!(
            diag.render("latin1.toml"),
            "latin1.toml:2:14: the policy file is not valid UTF-8\n\
             help: save the policy file as UTF-8 text"
        );

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_regular_files_of_at_most_16_mib_are_read() {
        let help = "help: name the policy file itself: a regular file (or a symlink to one) \
                    of at most 16 MiB";
        let diag = read_policy_file(Path::new("/dev/zero"), "/dev/zero").unwrap_err();
        assert_eq!(
            diag.render("/dev/zero"),
            format!(
                "cannot read policy file `/dev/zero`: it is a character device, not a regular \
                 file\n{help}"
            )
        );
        let dir = std::env::temp_dir().join(format!("seccomp-policy-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let diag = read_policy_bytes(&dir, "d").unwrap_err();
        assert_eq!(
            diag.message,
            "cannot read policy file `d`: it is a directory, not a regular file"
        );
        let big = dir.join("big.toml");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_POLICY_BYTES + 1).unwrap();
        let diag = read_policy_bytes(&big, "big.toml").unwrap_err();
        assert_eq!(
            diag.render("big.toml"),
            format!(
                "cannot read policy file `big.toml`: it is 16777217 bytes, more than the 16 MiB \
                 (16777216 bytes) a policy file may have\n{help}"
            )
        );
        file.set_len(MAX_POLICY_BYTES).unwrap();
        assert_eq!(read_policy_bytes(&big, "big.toml").unwrap().len(), 1 << 24);
        // A symlink is followed to what it names.
        let link = dir.join("link.toml");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        let diag = read_policy_bytes(&link, "link.toml").unwrap_err();
        assert!(diag
            .message
            .ends_with("it is a character device, not a regular file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
