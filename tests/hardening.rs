//! The faults a hostile review found (issue 6), each driven through the binary: every test here
//! failed on the code before its fix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use alloy_primitives::{Address, B256, U256, address, hex};
use firmware_policy::{Action, ActionKind, Manifest, Rollback};

const NOW: &str = "2026-11-21T12:00:00Z";
const TIMELOCK: Address = address!("0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2");
const EXECUTOR: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");

fn word(v: usize) -> [u8; 32] {
    U256::from(v).to_be_bytes::<32>()
}

/// TimelockController `executeBatch` whose `n` payload offsets all point at one shared `inner`.
fn aliased_execute_batch(n: usize, inner: &[u8]) -> Vec<u8> {
    let mut out = hex!("e38335e5").to_vec();
    let targets_at = 5 * 32;
    let values_at = targets_at + 32 + 32 * n;
    let payloads_at = values_at + 32 + 32 * n;
    for v in [targets_at, values_at, payloads_at, 0, 0] {
        out.extend_from_slice(&word(v));
    }
    for filler in [TIMELOCK.into_word(), B256::ZERO] {
        out.extend_from_slice(&word(n));
        for _ in 0..n {
            out.extend_from_slice(filler.as_slice());
        }
    }
    out.extend_from_slice(&word(n));
    for _ in 0..n {
        out.extend_from_slice(&word(32 * n));
    }
    out.extend_from_slice(&word(inner.len()));
    out.extend_from_slice(inner);
    while (out.len() - 4) % 32 != 0 {
        out.push(0);
    }
    out
}

/// Four levels of 40 aliased payloads: a 20 KB calldata whose naive tree has 40^4 = 2.56 M leaves.
fn exploding_calldata() -> Vec<u8> {
    let mut data = hex!("3659cfe6").to_vec();
    data.extend_from_slice(TIMELOCK.into_word().as_slice());
    for _ in 0..4 {
        data = aliased_execute_batch(40, &data);
    }
    data
}

/// Runs the binary with its address space capped at 1 GiB, so a blow-up fails instead of
/// swapping the machine.
fn run_capped(args: &[&str]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("bounded-signer");
    std::process::Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn aliased_abi_tails_cost_linear_work_and_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let data = exploding_calldata();
    assert!(data.len() < 24 * 1024);
    let request = serde_json::json!({
        "type": 2, "chainId": 11155111, "nonce": 7, "to": TIMELOCK.to_string(), "value": "0",
        "data": hex::encode_prefixed(&data), "gas": 100000, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1,
    });
    let tx = dir.path().join("tx.json");
    std::fs::write(&tx, request.to_string()).unwrap();
    let m = manifest.to_str().unwrap();
    let out = run_capped(&[
        "--json",
        "check",
        "--manifest",
        m,
        "--approved-hash",
        &hash,
        "--now",
        NOW,
        tx.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let v = json(&out);
    let reasons = v["reasons"].as_array().unwrap();
    assert!(reasons.contains(&"calldata_not_canonical".into()), "{reasons:?}");
    assert_eq!(v["calls"]["canonical"], false);
    assert_eq!(v["calls"]["children"], serde_json::json!([]));
    // decode of the same bytes is linear too.
    let out = run_capped(&["--json", "decode", tx.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// A manifest whose only action is the exploding batch, encoded canonically (what a hostile
/// party could hand the signer as "the manifest").
fn hostile_manifest(dir: &std::path::Path) -> String {
    let m = Manifest {
        release: "hostile".into(),
        chain_id: 11155111,
        executor: EXECUTOR,
        not_before: 1,
        expires_at: 2_000_000_000,
        allowed_targets: vec![TIMELOCK],
        labels: vec![],
        rollback: Rollback { manifest_hash: B256::with_last_byte(1), note: String::new() },
        actions: vec![Action {
            name: "boom".into(),
            kind: ActionKind::Call,
            to: TIMELOCK,
            value: U256::ZERO,
            data: exploding_calldata(),
            nonce: None,
            gas_limit_max: None,
            max_fee_per_gas_max: None,
            max_priority_fee_per_gas_max: None,
            authorizations: vec![],
            replaceable: false,
            abi: vec![],
            approved_hashes: vec![],
            safe_tx: None,
            expect: Default::default(),
            layout: None,
        }],
        safes: vec![],
        max_state_age: firmware_policy::manifest::effects::DEFAULT_MAX_STATE_AGE,
        code: Vec::new(),
        authority: Vec::new(),
    };
    let path = dir.join("hostile.manifest.cbor");
    std::fs::write(&path, m.to_canonical_bytes().as_slice()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn an_unapproved_manifest_is_never_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = hostile_manifest(dir.path());
    let hostile_hash = format!("{:#x}", alloy_primitives::keccak256(std::fs::read(&hostile).unwrap()));
    let (_, approved) = example_manifest(dir.path());
    let proposal = root().join("examples/proposal-schedule.json");
    let p = proposal.to_str().unwrap();

    // `manifest show` refuses it (linear decoders), naming the field.
    let out = run_capped(&["manifest", "show", &hostile]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("actions[0].data"), "{}", stderr(&out));

    // Against the real approved hash: refused for the hash alone, exit 3.
    let out = run_capped(&[
        "--json",
        "check",
        "--manifest",
        &hostile,
        "--approved-hash",
        &approved,
        "--now",
        NOW,
        p,
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["reasons"], serde_json::json!(["manifest_hash_mismatch"]));
    assert_eq!(v["manifest_hash"], hostile_hash.as_str());
    assert_eq!(v["checks"].as_array().unwrap().len(), 1);

    // Approved by its own hash it is decoded, and then refused as input.
    let out = run_capped(&[
        "--json",
        "check",
        "--manifest",
        &hostile,
        "--approved-hash",
        &hostile_hash,
        "--now",
        NOW,
        p,
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));

    // Bytes that are not even well-formed CBOR are an input error whatever the hash.
    let bad = dir.path().join("bad.cbor");
    std::fs::write(&bad, [0xa2, 0x01]).unwrap();
    let out =
        run(&["check", "--manifest", bad.to_str().unwrap(), "--approved-hash", &approved, "--now", NOW, p]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("byte 2"), "{}", stderr(&out));
}

fn check_args<'a>(manifest: &'a str, hash: &'a str, tx: &'a str) -> Vec<&'a str> {
    vec!["check", "--manifest", manifest, "--approved-hash", hash, "--now", NOW, tx]
}

fn assert_exit_2(out: &std::process::Output, needle: &str) {
    assert_eq!(code(out), 2, "{}", stderr(out));
    assert!(stderr(out).contains(needle), "stderr lacks {needle:?}: {}", stderr(out));
    assert!(!stderr(out).contains("panicked"));
}

#[test]
fn json_requests_with_duplicate_keys_floats_or_huge_integers_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let m = manifest.to_str().unwrap();
    let schedule = std::fs::read_to_string(root().join("examples/proposal-schedule.json")).unwrap();
    // The approved proposal with a second "to": first-wins and last-wins readers would differ.
    let duplicated = schedule.replacen('{', r#"{"to": "0x00000000000000000000000000000000000000ee","#, 1);
    let out = run(&check_args(m, &hash, &duplicated));
    assert_exit_2(&out, "duplicate key \"to\"");
    let float = schedule.replacen('{', r#"{"value": 0.5,"#, 1).replace(r#""value": "0","#, "");
    assert_exit_2(&run(&check_args(m, &hash, &float)), "value: a float is not a quantity");
    let huge = schedule
        .replacen('{', &format!(r#"{{"value": 2{},"#, "0".repeat(77)), 1)
        .replace(r#""value": "0","#, "");
    assert_exit_2(&run(&check_args(m, &hash, &huge)), "value: an integer above 2^256-1");
}

#[test]
fn a_doubled_0x_prefix_is_refused_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let m = manifest.to_str().unwrap();
    let schedule = std::fs::read_to_string(root().join("examples/proposal-schedule.json")).unwrap();
    let data_0x0x = schedule.replacen(r#""data": "0x"#, r#""data": "0x0x"#, 1);
    assert!(data_0x0x != schedule, "the example has a data field");
    assert_exit_2(&run(&check_args(m, &hash, &data_0x0x)), "data: not a hex digit at character 3");
    let hash_0x0x = format!("0x{hash}");
    let p = root().join("examples/proposal-schedule.json");
    assert_exit_2(&run(&check_args(m, &hash_0x0x, p.to_str().unwrap())), "--approved-hash");
    assert_exit_2(&run(&["decode", "--calldata", "0x0x3659cfe6"]), "not a hex digit");
    assert_exit_2(&run(&["decode", "0x0x02c0"]), "not a hex digit");
    let toml = std::fs::read_to_string(root().join("examples/box-v2-upgrade.toml")).unwrap().replacen(
        "data = \"0x",
        "data = \"0x0x",
        1,
    );
    let t = dir.path().join("r.toml");
    std::fs::write(&t, toml).unwrap();
    let out = dir.path().join("r.cbor");
    assert_exit_2(
        &run(&["manifest", "build", t.to_str().unwrap(), "-o", out.to_str().unwrap()]),
        "actions[0].data",
    );
}

#[test]
fn tx_paths_that_are_not_files_are_named_or_read_as_pipes() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let m = manifest.to_str().unwrap();
    assert_exit_2(&run(&check_args(m, &hash, "/dev/zero")), "is a character device");
    let d = dir.path().to_str().unwrap();
    assert_exit_2(&run(&check_args(m, &hash, d)), "is a directory");
    let sock_path = dir.path().join("s.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock_path).unwrap();
    assert_exit_2(&run(&check_args(m, &hash, sock_path.to_str().unwrap())), "is a socket");
    assert_exit_2(&run(&["manifest", "show", d]), "is a directory");

    // A FIFO is read like a file, within the size limit.
    let fifo = dir.path().join("tx.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let proposal = std::fs::read(root().join("examples/proposal-schedule.json")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, proposal).unwrap())
    };
    let out = run(&check_args(m, &hash, fifo.to_str().unwrap()));
    writer.join().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

fn assert_nothing_raw(out: &std::process::Output) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let raw: Vec<char> =
            text.chars().filter(|c| firmware_policy::text::is_deceptive_char(*c) && *c != '\n').collect();
        assert!(raw.is_empty(), "{name} carries raw {raw:?}: {text}");
    }
}

#[test]
fn journal_strings_and_toml_lines_reach_the_terminal_escaped() {
    use bounded_signer::journal::{Body, FILE_NAME, Kind, Record, Signs};
    let home = tempfile::tempdir().unwrap();
    // A forged but well-chained record whose text fields carry terminal controls.
    let mut body = Body::new(Kind::Failed);
    body.time = 1_800_000_000;
    body.manifest_hash = Some(B256::with_last_byte(1));
    body.action = Some(0);
    body.action_name = Some("evil\u{1b}[2J\u{202e}\u{200b}name".into());
    body.signer = Some(EXECUTOR);
    body.signs = Some(Signs::Transaction);
    body.signing_hash = Some(B256::with_last_byte(2));
    body.released = Some(true);
    body.detail = Some("detail\u{2066}\r\u{1b}]0;pwned\u{7}".into());
    let hash = body.hash();
    let line = serde_json::to_string(&Record { body, hash }).unwrap() + "\n";
    std::fs::write(home.path().join(FILE_NAME), line).unwrap();
    for args in [&["journal", "show"][..], &["journal", "verify"], &["--json", "journal", "show"]] {
        let out = bin().env("BOUNDED_SIGNER_HOME", home.path()).args(args).output().unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_nothing_raw(&out);
    }
    let out = bin().env("BOUNDED_SIGNER_HOME", home.path()).args(["journal", "show"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("evil\\u{1b}[2J\\u{202e}\\u{200b}name"));

    let toml = home.path().join("r.toml");
    std::fs::write(&toml, "format = \"bounded-signer/manifest/v1\"\nrelease = \"a\u{1b}[31mb\u{202e}\n")
        .unwrap();
    let out = run(&[
        "manifest",
        "build",
        toml.to_str().unwrap(),
        "-o",
        home.path().join("o.cbor").to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert_nothing_raw(&out);
    // Arguments clap quotes back are escaped too.
    assert_nothing_raw(&run(&["check", "--bogus\u{1b}[2J"]));
}

#[test]
fn manifest_text_refuses_invisible_format_characters() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(root().join("examples/box-v2-upgrade.toml")).unwrap();
    for sneaky in ["\u{200b}", "\u{ad}", "\u{2028}", "\u{3164}", "\u{e0041}", "\u{feff}", "\u{2060}"] {
        let toml = base.replacen("release = \"box-v2-upgrade\"", &format!("release = \"box{sneaky}-v2\""), 1);
        let t = dir.path().join("r.toml");
        std::fs::write(&t, toml).unwrap();
        let out = run(&[
            "manifest",
            "build",
            t.to_str().unwrap(),
            "-o",
            dir.path().join("o.cbor").to_str().unwrap(),
        ]);
        assert_exit_2(&out, "invisible format character");
        assert_nothing_raw(&out);
    }
}

#[test]
fn sign_out_into_a_missing_directory_is_refused_before_the_device() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, hash) = release_now(dir.path());
    let proposal = root().join("examples/proposal-schedule.json");
    let missing = dir.path().join("no-such-dir/result.json");
    let out = sign_command(&home, &manifest, &hash, proposal.to_str().unwrap(), &emu.device())
        .args(["--out", missing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("no such directory"), "{}", stderr(&out));
    // Nothing reached the device or the journal.
    let journal = home.join(bounded_signer::journal::FILE_NAME);
    assert!(!journal.exists() || std::fs::read_to_string(&journal).unwrap().is_empty());
    let screens = std::process::Command::new("curl").args(["-s", &format!("{}/events", emu.api)]).output();
    if let Ok(screens) = screens {
        assert!(!String::from_utf8_lossy(&screens.stdout).contains("Tx hash"));
    }
}

#[test]
fn a_result_that_cannot_be_written_after_signing_is_still_delivered() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, hash) = release_now(dir.path());
    let proposal = root().join("examples/proposal-schedule.json");
    // /proc/self exists and is a directory, but no one (root included) can create a file in it.
    let unwritable = "/proc/self/bounded-signer-result.json";
    let out = sign_command(&home, &manifest, &hash, proposal.to_str().unwrap(), &emu.device())
        .args(["--out", unwritable])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json(&out);
    assert!(doc["signature"]["r"].as_str().unwrap().starts_with("0x"), "{doc}");
    assert!(doc["signed_tx"].as_str().unwrap().starts_with("0x02"));
    assert_eq!(doc["error"]["kind"], "internal");
    let message = doc["error"]["message"].as_str().unwrap();
    assert_eq!(message, format!("could not write {unwritable}; the signature is journaled"));
    assert!(doc["error"]["hint"].as_str().is_some());

    // Human mode: the result on stdout, the error on stderr; the journal returns the same result.
    let m = manifest.to_str().unwrap();
    let device = emu.device();
    let out = bin()
        .env("BOUNDED_SIGNER_HOME", &home)
        .args(["sign", "--manifest", m, "--approved-hash", &hash, "--device", &device])
        .args([proposal.to_str().unwrap(), "--out", unwritable])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(doc["signed_tx"].as_str().unwrap()), "{stdout}");
    assert!(stderr(&out).contains("could not write"), "{}", stderr(&out));
}

#[test]
fn only_a_closed_pipe_is_a_quiet_end() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _) = example_manifest(dir.path());
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("bounded-signer"))
        .args(["manifest", "show", manifest.to_str().unwrap()])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("could not write the output"), "{}", stderr(&out));
    // A reader that stops early (`| head -1`) is no error.
    let script = format!(
        "\"$0\" manifest show {} | head -c 10 >/dev/null; exit ${{PIPESTATUS[0]}}",
        manifest.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .arg(assert_cmd::cargo::cargo_bin("bounded-signer"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

fn journal_json(home: &std::path::Path) -> serde_json::Value {
    let out = bin().env("BOUNDED_SIGNER_HOME", home).args(["--json", "journal", "show"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    json(&out)
}

/// The example proposal with another fee: the same action, another signing hash.
fn refeed(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(root().join("examples/proposal-schedule.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["maxPriorityFeePerGas"] = "1000000001".into();
    let p = dir.join("refeed.json");
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn only_a_certain_failure_releases_an_action() {
    let proposal = root().join("examples/proposal-schedule.json");
    let proposal = proposal.to_str().unwrap();
    // Configuration, address, then three chunks: the connection drops once the last is sent.
    for (flags, released) in [
        (&["--fault", "disconnect-after=4"][..], false),
        (&["--fault", "wrong-signature"], false),
        (&["--fault", "disconnect-after=3"], true),
        (&["--approve", "reject"], true),
    ] {
        let emu = Emu::start(flags);
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let (manifest, hash) = release_now(dir.path());
        let out = sign_command(&home, &manifest, &hash, proposal, &emu.device()).output().unwrap();
        assert_eq!(code(&out), 4, "{flags:?}: {}", stderr(&out));
        let records = journal_json(&home)["records"].as_array().unwrap().clone();
        let last = &records.last().unwrap()["body"];
        assert_eq!(
            (last["kind"].as_str(), last["released"].as_bool()),
            (Some("failed"), Some(released)),
            "{flags:?}"
        );
        // Another payload for the action: refused while the device may have signed.
        let other = sign_command(&home, &manifest, &hash, &refeed(dir.path()), "speculos:127.0.0.1:9")
            .output()
            .unwrap();
        assert_eq!(code(&other), if released { 4 } else { 5 }, "{flags:?}: {}", stderr(&other));
    }
}

#[test]
fn a_forged_journaled_signature_is_never_returned() {
    use bounded_signer::journal::{Body, FILE_NAME, Record};
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, hash) = release_now(dir.path());
    let proposal = root().join("examples/proposal-schedule.json");
    let proposal = proposal.to_str().unwrap();
    let out = sign_command(&home, &manifest, &hash, proposal, &emu.device()).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    drop(emu);
    // Replace the signed record's signature with another key's over the same hash, re-chained.
    let path = home.join(FILE_NAME);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut records: Vec<Record> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let signed = records.last_mut().unwrap();
    let key = k256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap();
    let (sig, recid) = key.sign_prehash_recoverable(signed.body.signing_hash.unwrap().as_slice()).unwrap();
    let forged = alloy_primitives::Signature::from_signature_and_parity(sig, recid.is_y_odd());
    signed.body.signature = Some(forged.as_bytes().to_vec().into());
    let body: Body = signed.body.clone();
    signed.hash = body.hash();
    let lines: Vec<String> = records.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    // The chain verifies (it was re-chained), but the record is not returned as a result.
    let verify = bin().env("BOUNDED_SIGNER_HOME", &home).args(["journal", "verify"]).output().unwrap();
    assert_eq!(code(&verify), 0, "{}", stderr(&verify));
    let out = sign_command(&home, &manifest, &hash, proposal, "speculos:127.0.0.1:9").output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(json(&out).get("signed_tx").is_none());
    assert!(stderr(&out).contains("not by the executor"), "{}", stderr(&out));
}

#[test]
fn the_journal_head_detects_truncation_and_replacement() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, hash) = release_now(dir.path());
    let proposal = root().join("examples/proposal-schedule.json");
    let out =
        sign_command(&home, &manifest, &hash, proposal.to_str().unwrap(), &emu.device()).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["journal"]["records"], 2, "{doc}");
    let head = format!("{}:{}", doc["journal"]["records"], doc["journal"]["head"].as_str().unwrap());
    let verify = |home: &std::path::Path| {
        bin().env("BOUNDED_SIGNER_HOME", home).args(["journal", "verify", "--head", &head]).output().unwrap()
    };
    assert_eq!(code(&verify(&home)), 0, "{}", stderr(&verify(&home)));
    // Human numbering from 1, in show and verify alike.
    let shown = bin().env("BOUNDED_SIGNER_HOME", &home).args(["journal", "show"]).output().unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(shown.contains("#1 ") && shown.contains("#2 ") && !shown.contains("#0 "), "{shown}");
    // Truncated to its first record: the chain still verifies, the head does not.
    let path = home.join(bounded_signer::journal::FILE_NAME);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{}\n", text.lines().next().unwrap())).unwrap();
    let plain = bin().env("BOUNDED_SIGNER_HOME", &home).args(["journal", "verify"]).output().unwrap();
    assert_eq!(code(&plain), 0);
    let out = verify(&home);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("fewer than the 2 recorded"), "{}", stderr(&out));
    // A fresh home: nothing extends the head.
    let fresh = dir.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    assert_eq!(code(&verify(&fresh)), 2);
}
