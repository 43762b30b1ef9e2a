//! Helpers shared by the integration tests: run the built binary, parse its JSON.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

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
