//! Helpers shared by the integration tests: run the built binary, parse its JSON.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};

use assert_cmd::Command;

pub(crate) fn bin() -> Command {
    Command::cargo_bin("bounded-signer").expect("binary built")
}

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

pub(crate) fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[allow(dead_code)]
pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

/// Builds the bundled example manifest into `dir` and returns (path, hash).
pub(crate) fn example_manifest(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("box.manifest.cbor");
    let toml = root().join("examples/box-v2-upgrade.toml");
    let out = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
    (path, hash)
}

pub(crate) fn vectors(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("tests/vectors").join(name)).expect("vector file");
    serde_json::from_str(&text).expect("vector json")
}

/// A running `bounded-signer emulator`, killed on drop.
pub(crate) struct Emu {
    child: Child,
    pub(crate) apdu: String,
    pub(crate) api: String,
}

impl Emu {
    pub(crate) fn start(flags: &[&str]) -> Emu {
        let mut child = Process::new(assert_cmd::cargo::cargo_bin("bounded-signer"))
            .args(["emulator", "--apdu-port", "0", "--api-port", "0"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let (apdu, api) = line.trim().split_once(' ').unwrap();
        Emu {
            child,
            apdu: apdu.strip_prefix("apdu=").unwrap().to_string(),
            api: api.strip_prefix("api=").unwrap().to_string(),
        }
    }

    pub(crate) fn device(&self) -> String {
        format!("speculos:{}", self.apdu)
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example release with its window around now, built into `dir`: (manifest path, hash).
pub(crate) fn release_now(dir: &Path) -> (PathBuf, String) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let text: String = std::fs::read_to_string(root().join("examples/box-v2-upgrade.toml"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("not_before") {
                format!("not_before = {}\n", now - 3600)
            } else if l.starts_with("expires_at") {
                format!("expires_at = {}\n", now + 86_400)
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let toml = dir.join("release.toml");
    std::fs::write(&toml, text).unwrap();
    let out = dir.join("release.manifest.cbor");
    let o = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (out, json(&o)["manifest_hash"].as_str().unwrap().to_string())
}

/// `bounded-signer --json sign` of `tx` with the state home at `home` (stdio left to the caller).
pub(crate) fn sign_command(home: &Path, manifest: &Path, hash: &str, tx: &str, device: &str) -> Process {
    let mut command = Process::new(assert_cmd::cargo::cargo_bin("bounded-signer"));
    command.env("BOUNDED_SIGNER_HOME", home).args([
        "--json",
        "sign",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        hash,
        "--device",
        device,
        tx,
    ]);
    command
}
