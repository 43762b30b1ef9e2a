//! The ceremony path opens no network socket: `check`, and `sign --device ledger`, traced with
//! strace. A positive control (`sign --device speculos:…`, which must connect over TCP) shows the
//! trace would catch one.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;

fn inet_calls(dir: &Path, args: &[&str]) -> (i32, Vec<String>) {
    let log = dir.join("strace.log");
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=socket,connect", "-o", log.to_str().unwrap()])
        .arg(assert_cmd::cargo::cargo_bin("bounded-signer"))
        .args(args)
        .env("BOUNDED_SIGNER_HOME", dir.join("home"))
        .output()
        .expect("strace runs (scripts/setup installs it)");
    let calls = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("AF_INET") || l.contains("AF_INET6"))
        .map(str::to_string)
        .collect();
    (status.status.code().unwrap(), calls)
}

#[test]
fn check_and_sign_with_a_ledger_open_no_network_socket() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release_now(dir.path());
    let m = manifest.to_str().unwrap();
    let tx = root().join("examples/proposal-schedule.json");
    let tx = tx.to_str().unwrap();
    let (code, check) = inet_calls(dir.path(), &["check", "--manifest", m, "--approved-hash", &hash, tx]);
    assert_eq!(code, 0, "check approved");
    assert!(check.is_empty(), "check opened network sockets: {check:?}");
    // No Ledger is attached here: sign gets as far as looking for one over USB (exit 4).
    let (code, sign) = inet_calls(
        dir.path(),
        &["sign", "--manifest", m, "--approved-hash", &hash, "--device", "ledger", tx],
    );
    assert_eq!(code, 4, "sign reached the device stage and found no Ledger");
    assert!(sign.is_empty(), "sign --device ledger opened network sockets: {sign:?}");
    // Positive control: the same trace does see a TCP socket when one is opened.
    let (_, control) = inet_calls(
        dir.path(),
        &["sign", "--manifest", m, "--approved-hash", &hash, "--device", "speculos:127.0.0.1:9", tx],
    );
    assert!(control.iter().any(|l| l.contains("connect")), "the trace misses sockets: {control:?}");
}

/// The ceremony binary's dependency graph holds no HTTP client or async runtime: the online
/// collector (`bounded-signer-witness`) is a separate binary, and nothing it needs may leak in.
#[test]
fn the_ceremony_binary_links_no_http_or_async_runtime() {
    let tree_of = |package: &str| -> std::collections::BTreeSet<String> {
        let out = std::process::Command::new(env!("CARGO"))
            .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--locked"])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let tree = String::from_utf8(out.stdout).unwrap();
        tree.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect()
    };
    let forbidden =
        ["reqwest", "hyper", "h2", "tokio", "async-std", "alloy-provider", "alloy-transport-http", "ureq"];
    let crates = tree_of("bounded-signer");
    assert!(crates.contains("bounded-signer") && crates.contains("alloy-primitives"), "{crates:?}");
    let found: Vec<&&str> = forbidden.iter().filter(|c| crates.contains(**c)).collect();
    assert!(found.is_empty(), "the ceremony binary links {found:?}");
    // The same look finds them in the collector, which needs them: the check can fail.
    let collector = tree_of("bounded-signer-witness");
    for needed in ["reqwest", "tokio", "alloy-provider"] {
        assert!(collector.contains(needed), "the collector's graph lacks {needed}: {collector:?}");
    }
}
