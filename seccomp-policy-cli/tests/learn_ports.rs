//! Learn converges for TCP ports: a real program (Python) connects to a
//! TCP server this test starts on 127.0.0.1 (a port the kernel picks),
//! under the shipped policy's SSRF cap with `--var PORTS=` another port,
//! so `run` fails the connect with `EACCES` (the program prints the
//! errno). `learn` lists the server's port for `connect`, and not the UDP
//! port the program also connects and sends to (Landlock checks TCP only);
//! `learn --merge` adds it to a copy of the policy, and `run` with the
//! same variables then prints what the server sent.

mod common;

use std::io::Write as _;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};

use common::{root, run, Run};
use seccomp_policy_suite::harness::{require, Checked, Skip};

seccomp_policy_suite::tests![
    ports_learned_and_merged_let_run_succeed,
    a_tcp_bind_to_port_0_is_port_0,
];

const PYTHON: &str = "/usr/bin/python3";

/// Connects over UDP to `argv[2]` and sends to it, then over TCP to
/// `argv[1]`: prints the errno if that fails (and exits 3), else the line
/// the server sent.
const PAYLOAD: &str = "import socket, sys\n\
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
    u.connect(('127.0.0.1', int(sys.argv[2])))\n\
    u.send(b'x')\n\
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n\
    try:\n    s.connect(('127.0.0.1', int(sys.argv[1])))\n\
    except OSError as e:\n    print('errno', e.errno)\n    sys.exit(3)\n\
    print(s.recv(100).decode().strip())\n";

/// A scratch directory for the policy copy, removed at the end.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The JSON advice on the last line of stdout.
fn advice(r: &Run) -> serde_json::Value {
    let out = r.out();
    let line = out.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {out:?}\n{}", r.stderr))
}

/// The `(port, list)` of each port entry the advice offers.
fn ports(v: &serde_json::Value) -> Vec<(u64, String)> {
    v["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["port"].as_u64().unwrap_or(u64::MAX),
                p["list"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `run` fails with EACCES (13, the kernel's asm-generic/errno-base.h);
/// `learn` lists the TCP port only; after `learn --merge`, `run` succeeds.
fn ports_learned_and_merged_let_run_succeed() -> Checked {
    require::program(PYTHON)?;
    require::landlock()?;
    let server = TcpListener::bind("127.0.0.1:0").map_err(|e| Skip::new(e.to_string()))?;
    let port = server
        .local_addr()
        .map_err(|e| Skip::new(e.to_string()))?
        .port();
    // Another port, held so that it stays another: the one PORTS grants.
    let other = TcpListener::bind("127.0.0.1:0").map_err(|e| Skip::new(e.to_string()))?;
    let other_port = other
        .local_addr()
        .map_err(|e| Skip::new(e.to_string()))?
        .port();
    let udp = UdpSocket::bind("127.0.0.1:0").map_err(|e| Skip::new(e.to_string()))?;
    let udp_port = udp
        .local_addr()
        .map_err(|e| Skip::new(e.to_string()))?
        .port();
    std::thread::spawn(move || {
        for mut conn in server.incoming().flatten() {
            let _ = conn.write_all(b"hello ports\n");
        }
    });

    let dir =
        Path::new("/var/tmp").join(format!("seccomp-policy-learn-ports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Skip::new(format!("{}: {e}", dir.display())))?;
    let scratch = Scratch(dir);
    let policy = scratch
        .0
        .join("seccomp.toml")
        .to_string_lossy()
        .into_owned();
    let shipped = std::fs::read_to_string(root().join("policy/seccomp.toml")).expect("policy");
    std::fs::write(&policy, &shipped).expect("copy");

    let vars = format!("PORTS={other_port}");
    let (p, u) = (port.to_string(), udp_port.to_string());
    let command = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--cap", "SSRF", "--var", &vars, "--"]);
        all.extend([PYTHON, "-I", "-c", PAYLOAD, &p, &u]);
        run(&all)
    };

    let before = command(&["run", &policy]);
    assert_eq!(
        before.out(),
        "errno 13\n",
        "EACCES under run: {}",
        before.stderr
    );
    assert_eq!(before.code, Some(3), "{}", before.stderr);

    // With --calls-only no port is learned.
    let calls_only = command(&["learn", &policy, "--calls-only", "--format", "json"]);
    common::assert_code(&calls_only, 0, "learn --calls-only");
    assert!(
        ports(&advice(&calls_only)).is_empty(),
        "{}",
        calls_only.stderr
    );

    let learned = command(&["learn", &policy, "--merge", "--format", "json"]);
    common::assert_code(&learned, 0, "learn --merge");
    assert_eq!(
        learned.out().lines().next(),
        Some("hello ports"),
        "{}",
        learned.stderr
    );
    assert!(
        learned.stderr.contains(&format!(
            "1 TCP port beyond the grant's net tables:\n  connect     {port}  1 call "
        )),
        "{}",
        learned.stderr
    );
    assert!(
        !learned.stderr.contains(&format!(" {udp_port} ")),
        "{}",
        learned.stderr
    );
    let v = advice(&learned);
    assert_eq!(ports(&v), [(u64::from(port), "connect".to_owned())]);
    assert_eq!(v["net_table"], "[base.net]");
    assert_eq!(v["written"], policy.as_str());
    let written = std::fs::read_to_string(&policy).expect("written");
    let net_at = written.find("[base.net]").expect("[base.net] made");
    assert!(
        written[net_at..].contains(&format!("    {port},")),
        "{written}"
    );
    common::assert_code(&run(&["check", &policy]), 0, "check");

    let after = command(&["run", &policy]);
    common::assert_code(&after, 0, "run under the merged policy");
    assert_eq!(after.out(), "hello ports\n", "{}", after.stderr);
    drop(other);
    Ok(())
}

/// Landlock checks a TCP `bind` to port 0 (a port the kernel picks) as
/// port 0 (the kernel's Landlock documentation, "Network flags"): under a
/// policy whose `net` table binds nothing, learn lists `bind 0` for the
/// TCP socket, once, and nothing for a UDP socket bound the same way.
fn a_tcp_bind_to_port_0_is_port_0() -> Checked {
    require::program(PYTHON)?;
    require::landlock()?;
    let dir =
        Path::new("/var/tmp").join(format!("seccomp-policy-learn-bind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Skip::new(format!("{}: {e}", dir.display())))?;
    let scratch = Scratch(dir);
    let policy = scratch.0.join("bind.toml").to_string_lossy().into_owned();
    std::fs::write(
        &policy,
        "[base]\nallow = [\"read\"]\n[base.net]\nconnect = [443]\nbind = []\n",
    )
    .expect("policy");
    let code = "import socket\n\
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
        u.bind(('127.0.0.1', 0))\n\
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n\
        t.bind(('127.0.0.1', 0))\n\
        print(t.getsockname()[1] > 0)\n";
    let learned = run(&[
        "learn", &policy, "--format", "json", "--", PYTHON, "-I", "-c", code,
    ]);
    common::assert_code(&learned, 0, "learn");
    assert_eq!(
        learned.out().lines().next(),
        Some("True"),
        "{}",
        learned.stderr
    );
    assert_eq!(
        ports(&advice(&learned)),
        [(0, "bind".to_owned())],
        "{}",
        learned.stderr
    );
    assert!(
        learned
            .stderr
            .contains("1 TCP port beyond the grant's net tables:\n  bind        0  1 call "),
        "{}",
        learned.stderr
    );
    Ok(())
}
