//! Kill `sign` at random points (SIGKILL, ≥ 50 times) while it talks to the emulator and writes
//! the journal: afterwards the journal verifies and no action is ever signed with two signing
//! hashes.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bounded_signer::journal::{self, Kind};
use common::*;

fn sign_cmd(home: &std::path::Path, manifest: &std::path::Path, hash: &str, tx: &str, dev: &str) -> Command {
    let mut c = sign_command(home, manifest, hash, tx, dev);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

#[test]
fn killed_signs_leave_a_verifiable_journal_and_no_double_signature() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release_now(dir.path());
    let schedule = root().join("examples/proposal-schedule.json").to_str().unwrap().to_string();
    let mut other: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schedule).unwrap()).unwrap();
    other["maxFeePerGas"] = "31000000000".into();
    let refeed = dir.path().join("refeed.json");
    std::fs::write(&refeed, other.to_string()).unwrap();
    let proposals = [schedule, refeed.to_str().unwrap().to_string()];

    // How long one whole sign takes here, to spread the kills over it.
    let probe_home = dir.path().join("probe");
    let start = Instant::now();
    let status = sign_cmd(&probe_home, &manifest, &hash, &proposals[0], &emu.device()).status().unwrap();
    assert!(status.success());
    let span = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX).max(1000);

    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut kills = 0;
    let mut homes = Vec::new();
    let mut batch = 0;
    while kills < 60 && batch < 60 {
        batch += 1;
        let home = dir.path().join(format!("home{batch}"));
        for attempt in 0..6 {
            let tx = &proposals[(usize::from(next() % 2 == 1) + attempt) % 2];
            let mut child = sign_cmd(&home, &manifest, &hash, tx, &emu.device()).spawn().unwrap();
            std::thread::sleep(Duration::from_micros(next() % (span + span / 4)));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                kills += 1;
            }
            child.wait().unwrap();
            // Whatever happened, the complete records form a valid chain.
            let contents = journal::read(&home.join(journal::FILE_NAME));
            assert!(contents.is_ok(), "batch {batch} attempt {attempt}: {:?}", contents.err());
        }
        homes.push(home);
    }
    assert!(kills >= 50, "only {kills} runs were still going when killed");

    for home in &homes {
        // One more run to completion seals any torn tail; then the journal verifies.
        let status = sign_cmd(home, &manifest, &hash, &proposals[0], &emu.device()).status().unwrap();
        assert!(matches!(status.code(), Some(0 | 5)), "{status:?}");
        let out = bin().env("BOUNDED_SIGNER_HOME", home).args(["journal", "verify"]).output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let records = journal::read(&home.join(journal::FILE_NAME)).unwrap().records;
        let mut signed: Vec<_> = records
            .iter()
            .filter(|r| r.body.kind == Kind::Signed)
            .map(|r| r.body.signing_hash.unwrap())
            .collect();
        signed.dedup();
        assert!(signed.len() <= 1, "{}: action signed with two hashes: {signed:?}", home.display());
    }
    println!("{kills} sign runs killed mid-flight over {} state homes", homes.len());
}
