//! Approval quorums: `check`, `sign` and `safe sign` take `--trust T --approvals FILE…` instead of
//! `--approved-hash`, count distinct trusted approvers of the exact file, and refuse a quorum not
//! met and an approver who also holds a role of the release, each alone. The approvals are made
//! by `approve` on the emulator, as approvers make them.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::{Value, json};

/// Approves `manifest` on the emulator with the account at m/44'/60'/0'/0/`index`.
fn approval(dir: &Path, emu: &Emu, manifest: &Path, index: u32) -> PathBuf {
    let out =
        dir.join(format!("approver-{index}-{}.approval", manifest.file_stem().unwrap().to_str().unwrap()));
    let path = format!("m/44'/60'/0'/0/{index}");
    let o = bin()
        .env("BOUNDED_SIGNER_HOME", dir.join(format!("approver-home-{index}")))
        .args(["--json", "approve", "--manifest", manifest.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(["--device", &emu.device(), "--path", &path, "--force"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    out
}

fn trust_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn check_with(manifest: &Path, trust: Option<&Path>, approvals: &[&Path], home: &Path) -> Output {
    let mut cmd = bin();
    cmd.env("BOUNDED_SIGNER_HOME", home).args(["--json", "check", "--manifest", manifest.to_str().unwrap()]);
    if let Some(t) = trust {
        cmd.args(["--trust", t.to_str().unwrap()]);
    }
    for a in approvals {
        cmd.args(["--approvals", a.to_str().unwrap()]);
    }
    cmd.arg(root().join("examples/proposal-schedule.json")).output().unwrap()
}

fn standings(v: &Value) -> Vec<String> {
    v["approvals"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["standing"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_quorum_of_trusted_approvers_approves_and_anything_less_refuses_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let home = d.join("home");
    let (manifest, hash) = release_now(d);
    let emu = Emu::start(&[]);
    let (a1, a2) = (approval(d, &emu, &manifest, 1), approval(d, &emu, &manifest, 2));
    let trust = trust_file(
        d,
        "trust.toml",
        &format!("threshold = 2\napprovers = [\"{SPECULOS_1}\", \"{SPECULOS_2}\"]\n"),
    );

    let out = check_with(&manifest, Some(&trust), &[&a1, &a2], &home);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(v["manifest_hash"], hash.as_str());
    assert_eq!(standings(&v), ["counted", "counted"]);
    let approvals_check = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "approvals").unwrap();
    assert_eq!(approvals_check["ok"], true);

    // One approver, or the same one twice: not met, and nothing else is evaluated.
    for (given, expected) in [(vec![&a1], vec!["counted"]), (vec![&a2, &a2], vec!["counted", "duplicate"])] {
        let given: Vec<&Path> = given.iter().map(|p| p.as_path()).collect();
        let out = check_with(&manifest, Some(&trust), &given, &home);
        assert_eq!(code(&out), 3, "{}", stdout(&out));
        let v = json(&out);
        assert_eq!(v["reasons"], json!(["approval_quorum_not_met"]));
        assert_eq!(v["checks"].as_array().unwrap().len(), 1, "alone: {}", v["checks"]);
        assert_eq!(standings(&v), expected);
        assert!(v["checks"][0]["hint"].as_str().unwrap().contains("approve"), "{}", v["checks"][0]);
    }

    // An approver the trust file does not name, and an approval of another manifest, do not count.
    let other_toml =
        std::fs::read_to_string(d.join("release.toml")).unwrap().replace("box-v2-upgrade", "box-v2-other");
    std::fs::write(d.join("other.toml"), other_toml).unwrap();
    let other = d.join("other.cbor");
    let built =
        run(&["manifest", "build", d.join("other.toml").to_str().unwrap(), "-o", other.to_str().unwrap()]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let a0 = approval(d, &emu, &manifest, 0);
    let a1_other = approval(d, &emu, &other, 1);
    let out = check_with(&manifest, Some(&trust), &[&a0, &a1_other, &a2], &home);
    assert_eq!(code(&out), 3);
    assert_eq!(standings(&json(&out)), ["not_trusted", "other_manifest", "counted"]);

    // Another file with the same approvals (the bytes changed): not met, and never decoded.
    let mut tampered = std::fs::read(&manifest).unwrap();
    let at = tampered.windows(14).position(|w| w == b"box-v2-upgrade").unwrap();
    tampered[at] = b'B';
    let tampered_path = d.join("tampered.cbor");
    std::fs::write(&tampered_path, &tampered).unwrap();
    let out = check_with(&tampered_path, Some(&trust), &[&a1, &a2], &home);
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(v["reasons"], json!(["approval_quorum_not_met"]));
    assert_eq!(standings(&v), ["other_manifest", "other_manifest"]);

    // The trust file defaults to the state home's.
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(&trust, home.join("trust.toml")).unwrap();
    let out = check_with(&manifest, None, &[&a1, &a2], &home);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn an_approver_who_executes_or_co_signs_is_a_role_conflict_unless_roles_may_mix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (manifest, _) = release_now(d);
    let emu = Emu::start(&[]);
    // SPECULOS_0 is the example's executor.
    let (a0, a1) = (approval(d, &emu, &manifest, 0), approval(d, &emu, &manifest, 1));
    let approvers = format!("approvers = [\"{SPECULOS_0}\", \"{SPECULOS_1}\"]\n");
    let strict = trust_file(d, "strict.toml", &format!("threshold = 2\n{approvers}"));
    let out = check_with(&manifest, Some(&strict), &[&a0, &a1], &d.join("home"));
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(v["reasons"], json!(["role_conflict"]));
    assert_eq!(v["checks"].as_array().unwrap().len(), 1);
    assert!(v["checks"][0]["detail"].as_str().unwrap().contains("is the executor"), "{}", v["checks"][0]);
    let mixed = trust_file(d, "mixed.toml", &format!("threshold = 2\n{approvers}separate_roles = false\n"));
    let out = check_with(&manifest, Some(&mixed), &[&a0, &a1], &d.join("home"));
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn sign_takes_a_quorum_and_the_proof_is_exactly_one_of_the_two() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (manifest, hash) = release_now(d);
    let emu = Emu::start(&[]);
    let (a1, a2) = (approval(d, &emu, &manifest, 1), approval(d, &emu, &manifest, 2));
    let trust = trust_file(
        d,
        "trust.toml",
        &format!("threshold = 2\napprovers = [\"{SPECULOS_1}\", \"{SPECULOS_2}\"]\n"),
    );
    let schedule = root().join("examples/proposal-schedule.json");
    let out = bin()
        .env("BOUNDED_SIGNER_HOME", d.join("home"))
        .args([
            "--json",
            "sign",
            "--manifest",
            manifest.to_str().unwrap(),
            "--trust",
            trust.to_str().unwrap(),
        ])
        .args(["--approvals", a1.to_str().unwrap(), "--approvals", a2.to_str().unwrap()])
        .args(["--device", &emu.device(), schedule.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["verdict"]["approvals"]["counted"], 2, "{}", v["verdict"]);

    // Both proofs, or neither: a usage error.
    let both = bin()
        .args(["check", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
        .args(["--approvals", a1.to_str().unwrap(), schedule.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&both), 2, "{}", stderr(&both));
    let neither = bin()
        .args(["check", "--manifest", manifest.to_str().unwrap(), schedule.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&neither), 2, "{}", stderr(&neither));
}

#[test]
fn bad_trust_and_approval_files_are_input_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (manifest, _) = release_now(d);
    let home = d.join("home");
    let junk = d.join("junk.approval");
    std::fs::write(&junk, [0xa5, 0x00, 0x61, b'x']).unwrap();
    let good = trust_file(d, "good.toml", &format!("threshold = 1\napprovers = [\"{SPECULOS_1}\"]\n"));
    let out = check_with(&manifest, Some(&good), &[&junk], &home);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("junk.approval"), "{}", stdout(&out));
    for (name, text, says) in [
        ("zero.toml", format!("threshold = 0\napprovers = [\"{SPECULOS_1}\"]\n"), "threshold"),
        ("twice.toml", format!("threshold = 1\napprovers = [\"{SPECULOS_1}\", \"{SPECULOS_1}\"]\n"), "twice"),
        ("extra.toml", format!("threshold = 1\napprovers = [\"{SPECULOS_1}\"]\nquorum = 3\n"), "quorum"),
        ("address.toml", "threshold = 1\napprovers = [\"0x1234\"]\n".to_string(), "approvers[0]"),
    ] {
        let t = trust_file(d, name, &text);
        let out = check_with(&manifest, Some(&t), &[], &home);
        assert_eq!(code(&out), 2, "{name}: {}", stdout(&out));
        let err = stdout(&out);
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
    }
    // No trust file where the default says.
    let out = check_with(&manifest, None, &[&junk], &d.join("empty-home"));
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("trust.toml"), "{}", stdout(&out));
}
