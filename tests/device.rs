//! `sign`, `address` and `journal` driving the built binary against `bounded-signer emulator`
//! running as its own process, over the Speculos APDU port: the same transport as real Speculos.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Stdio;

use common::*;
use serde_json::Value;

fn sign(home: &Path, manifest: &Path, hash: &str, tx: &str, device: &str) -> std::process::Output {
    sign_command(home, manifest, hash, tx, device).output().unwrap()
}

fn proposal(name: &str) -> String {
    root().join("examples").join(name).to_str().unwrap().to_string()
}

/// The schedule proposal with other fees: the same action, another signing hash.
fn refeed(dir: &Path) -> String {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(proposal("proposal-schedule.json")).unwrap()).unwrap();
    v["maxFeePerGas"] = Value::String("31000000000".into());
    let p = dir.join("refeed.json");
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

fn journal_kinds(home: &Path) -> Vec<String> {
    let out = bin().env("BOUNDED_SIGNER_HOME", home).args(["--json", "journal", "show"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    json(&out)["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"]["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn address_over_the_speculos_port() {
    let emu = Emu::start(&[]);
    let out = run(&["--json", "address", "--device", &emu.device()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["address"], SPECULOS_0);
    assert_eq!(v["path"], "m/44'/60'/0'/0/0");
    assert!(v["public_key"].as_str().unwrap().starts_with("0x04ef5b152e3f15eb"));
    let out = run(&["--json", "address", "--device", &emu.device(), "--path", "44h/60h/0h/0/1"]);
    assert_eq!(json(&out)["address"], "0xd692Cb1346262F584D17B4B470954501f6715a82");
    let out = run(&["address", "--device", &emu.device(), "--path", "m/44'/60'/0'/0/0/1/2/3/4/5/6"]);
    assert_eq!(code(&out), 2, "more than 10 levels is input");
}

#[test]
fn sign_journal_and_one_signature_per_action() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, hash) = release_now(dir.path());
    let out = sign(&home, &manifest, &hash, &proposal("proposal-schedule.json"), &emu.device());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let first = json(&out);
    assert_eq!(first["verdict"]["verdict"], "approved");
    assert_eq!(first["from"], SPECULOS_0);
    assert_eq!(first["action"], 0);
    assert_eq!(first["signature"]["v"], first["signature"]["y_parity"].to_string());
    assert!(
        stderr(&out).contains(first["signing_hash"].as_str().unwrap()),
        "the hash the device shows is printed"
    );
    assert_eq!(journal_kinds(&home), ["intent", "signed"]);
    // The same payload again: the journaled result, the device untouched (the emulator is gone).
    drop(emu);
    let out = sign(&home, &manifest, &hash, &proposal("proposal-schedule.json"), "speculos:127.0.0.1:9");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["signed_tx"], first["signed_tx"]);
    // The same action with another signing hash: exit 5, before any device.
    let out = sign(&home, &manifest, &hash, &refeed(dir.path()), "speculos:127.0.0.1:9");
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert_eq!(json(&out)["error"]["kind"], "already_signed");
    // The tampered proposal: refused, exit 3, nothing journaled.
    let out = sign(&home, &manifest, &hash, &proposal("proposal-tampered.json"), "speculos:127.0.0.1:9");
    assert_eq!(code(&out), 3);
    assert_eq!(
        json(&out)["reasons"],
        serde_json::json!(["nested_target_not_allowed", "payload_not_approved"])
    );
    assert_eq!(journal_kinds(&home), ["intent", "signed"]);
    let out = bin().env("BOUNDED_SIGNER_HOME", &home).args(["journal", "verify"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A signed transaction is refused by sign (exit 2).
    let signed = first["signed_tx"].as_str().unwrap();
    let out = sign(&home, &manifest, &hash, signed, "speculos:127.0.0.1:9");
    assert_eq!(code(&out), 2);
}

#[test]
fn signer_mismatch_is_a_policy_refusal() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release_now(dir.path());
    let out = bin()
        .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
        .args(["--json", "sign", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
        .args(["--device", &emu.device(), "--path", "m/44'/60'/0'/0/1", &proposal("proposal-schedule.json")])
        .output()
        .unwrap();
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(json(&out)["reasons"], serde_json::json!(["signer_mismatch"]));
}

/// Each fault: exit 4, a message a person can act on, and nothing journaled as signed.
#[test]
fn fault_matrix() {
    let cases: &[(&[&str], &str)] = &[
        (&["--fault", "locked"], "Unlock"),
        (&["--fault", "wrong-app"], "Open the Ethereum app"),
        (&["--fault", "garbage"], "malformed answer"),
        (&["--fault", "wrong-signature"], "does not recover"),
        (&["--fault", "disconnect-after=3"], "disconnected"),
        (&["--approve", "reject"], "Rejected on the device"),
        (&["--blind-signing", "off"], "Enable blind signing"),
    ];
    for (flags, needle) in cases {
        let emu = Emu::start(flags);
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let (manifest, hash) = release_now(dir.path());
        let out = sign(&home, &manifest, &hash, &proposal("proposal-schedule.json"), &emu.device());
        assert_eq!(code(&out), 4, "{flags:?}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["error"]["kind"], "device", "{flags:?}");
        let text = format!("{} {}", doc["error"]["message"], doc["error"]["hint"]);
        assert!(text.contains(needle), "{flags:?}: {text}");
        let kinds = journal_kinds(&home);
        assert!(!kinds.iter().any(|k| k == "signed"), "{flags:?}: {kinds:?}");
        // A failure after the intent is journaled as failed (whether it releases the action is
        // tests/hardening.rs's subject).
        if kinds.iter().any(|k| k == "intent") {
            assert_eq!(kinds.last().map(String::as_str), Some("failed"), "{flags:?}");
        }
    }
}

#[test]
fn no_device_is_exit_4_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release_now(dir.path());
    let out = sign(
        &dir.path().join("home"),
        &manifest,
        &hash,
        &proposal("proposal-schedule.json"),
        "speculos:127.0.0.1:9",
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(json(&out)["error"]["message"].as_str().unwrap().contains("cannot reach the device"));
}

#[test]
fn emulator_refuses_a_busy_port() {
    let emu = Emu::start(&[]);
    let port = emu.apdu.rsplit_once(':').unwrap().1.to_string();
    let out = run(&["emulator", "--apdu-port", &port, "--api-port", "0"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn rehearse_runs_the_whole_ceremony() {
    let out = run(&["--json", "rehearse"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["device_tx_hash_matches"], true);
    assert_eq!(v["signed"]["from"], SPECULOS_0);
    assert_eq!(v["tampered"]["verdict"], "refused");
    assert_eq!(
        (v["approvals_counted"].as_u64(), v["approval_screens_match"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(v["signed"]["verdict"]["approvals"]["counted"], 2);
    assert_eq!(v["simulation"], serde_json::Value::Null);
}

#[test]
fn rehearse_simulate_shows_the_gate_offline() {
    let out = run(&["--json", "rehearse", "--simulate"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["ok"], true);
    let gate = &v["simulation"];
    assert_eq!(gate["without_witness"], serde_json::json!(["witness_missing"]));
    assert_eq!(gate["signed"], true);
    assert_eq!(gate["flipped_proof_byte"], serde_json::json!(["witness_invalid"]));
    assert_eq!(gate["another_block_hash"], serde_json::json!(["witness_invalid"]));
    let sim = &gate["simulation"];
    assert_eq!(sim["status"], "success");
    // The witness's own block, and its time (the rehearsal's clock).
    let block: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/gate/execute.witness.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sim["block"], block["block"]);
    assert_eq!(sim["timestamp"], block["timestamp"]);
    assert_eq!(sim["logs"][0]["event"]["name"], "Upgraded");
    let told = stderr(&out);
    for line in
        ["== 4. The simulation gate (--simulate)", "Simulation: on block", "slot eip1967.implementation"]
    {
        assert!(told.contains(line), "{line:?} in\n{told}");
    }
}

/// A person at the device: wait for the review to reach "Accept risk", read the Tx hash, press.
fn press_after_review(api: &str, button: &str) -> String {
    for _ in 0..500 {
        let texts = screen_texts(api);
        if texts.iter().any(|t| t.starts_with("Accept risk")) {
            let lines: Vec<&str> = texts.iter().map(String::as_str).collect();
            let hash = bounded_signer::ledger_screens::read_hex_value(&lines, "Tx hash");
            http(api, "POST", &format!("/button/{button}"));
            return hash;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the review never reached its last screen");
}

#[test]
fn manual_approval_through_the_rest_api() {
    for (button, want) in [("both", 0), ("left", 4)] {
        let emu = Emu::start(&["--approve", "manual"]);
        http(&emu.api, "DELETE", "/events");
        let dir = tempfile::tempdir().unwrap();
        let (manifest, hash) = release_now(dir.path());
        let schedule = proposal("proposal-schedule.json");
        let child = sign_command(&dir.path().join("home"), &manifest, &hash, &schedule, &emu.device())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let shown = press_after_review(&emu.api, button);
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), want, "{button}: {}", stderr(&out));
        // The hash the device showed is the signing hash the tool printed.
        let printed =
            stderr(&out).lines().find_map(|l| l.strip_prefix("Signing hash: ").map(str::to_string)).unwrap();
        assert_eq!(shown, printed, "{button}");
        let current = http(&emu.api, "GET", "/events?currentscreenonly=true");
        assert_eq!(current["events"][0]["text"], "Ethereum");
    }
}

/// The run's variable parts (the manifest hash of a window around now, and instants) as
/// placeholders, so the rest can be held against a golden file.
fn normalized(text: &str, manifest_hash: &str) -> String {
    let text = text.replace(manifest_hash, "<manifest hash>");
    let mut out = String::new();
    let mut rest = text.as_str();
    // An instant is `YYYY-MM-DDTHH:MM:SSZ`, 20 characters.
    while let Some(i) = rest.find("Z").filter(|&i| i >= 19) {
        let candidate = &rest[i - 19..=i];
        let is_instant = candidate.as_bytes()[4] == b'-' && candidate.as_bytes()[10] == b'T';
        if is_instant {
            out.push_str(&rest[..i - 19]);
            out.push_str("<instant>");
        } else {
            out.push_str(&rest[..=i]);
        }
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out
}

const WAITING: &str = "Waiting for you to approve on the Ledger…";

#[test]
fn sign_shows_what_the_device_will_show_before_it_asks() {
    use std::io::BufRead;
    let golden_path = root().join("tests/golden/sign-before-the-device.txt");
    for json_mode in [false, true] {
        let emu = Emu::start(&["--approve", "manual"]);
        let dir = tempfile::tempdir().unwrap();
        let (manifest, hash) = release_now(dir.path());
        let mut args = vec!["sign", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash];
        let device = emu.device();
        let schedule = proposal("proposal-schedule.json");
        args.extend(["--device", &device, &schedule]);
        if json_mode {
            args.insert(0, "--json");
        }
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bounded-signer"))
            .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The story is read while the device waits for the person: it was flushed before.
        let story: Box<dyn std::io::Read + Send> = if json_mode {
            Box::new(child.stderr.take().unwrap())
        } else {
            Box::new(child.stdout.take().unwrap())
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(story).lines();
            let mut before = String::new();
            for line in lines.by_ref() {
                let line = line.unwrap();
                before.push_str(&line);
                before.push('\n');
                if line == WAITING {
                    tx.send(before.clone()).unwrap();
                }
            }
            before
        });
        let before =
            rx.recv_timeout(std::time::Duration::from_secs(30)).expect("the story before the device asks");
        press_after_review(&emu.api, "both");
        let out = child.wait_with_output().unwrap();
        let whole = reader.join().unwrap();
        assert_eq!(code(&out), 0, "{whole}");
        let got = normalized(&before, &hash);
        if std::env::var_os("UPDATE_GOLDEN").is_some() && !json_mode {
            std::fs::write(&golden_path, &got).unwrap();
        }
        let golden = std::fs::read_to_string(&golden_path).unwrap();
        assert_eq!(got, golden, "json mode {json_mode}: the text before the device is asked");
        if json_mode {
            // stdout holds only the document.
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["from"], SPECULOS_0);
        } else {
            assert!(whole.contains("\nSigned\n"), "{whole}");
        }
    }
}

/// The example release with its schedule action opted in to replacement.
fn replaceable_release(dir: &Path) -> (std::path::PathBuf, String) {
    let (_, _) = release_now(dir);
    let toml = dir.join("release.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replacen(
        "name = \"schedule\"\n",
        "name = \"schedule\"\nreplaceable = true\n",
        1,
    );
    std::fs::write(&toml, text).unwrap();
    let out = dir.join("replaceable.manifest.cbor");
    let o = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (out, json(&o)["manifest_hash"].as_str().unwrap().to_string())
}

/// The schedule proposal with `edit` applied, written to `name`.
fn edited(dir: &Path, name: &str, edit: impl Fn(&mut Value)) -> String {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(proposal("proposal-schedule.json")).unwrap()).unwrap();
    edit(&mut v);
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_replaceable_action_takes_a_fee_bump_and_nothing_else() {
    let emu = Emu::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (manifest, hash) = replaceable_release(dir.path());
    let device = emu.device();
    let sign_tx = |tx: &str| sign(&home, &manifest, &hash, tx, &device);
    // The first signature: 30 gwei max fee, 2 gwei priority.
    let out = sign_tx(&proposal("proposal-schedule.json"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // 10 % more in one field only: not a replacement.
    let small = edited(dir.path(), "small.json", |v| v["maxFeePerGas"] = "33000000000".into());
    let out = sign_tx(&small);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("maxPriorityFeePerGas 2000000000 is less than 110 %"), "{}", stderr(&out));
    // Every fee at least 110 %, within the caps: signed, and the journal says it replaces.
    let bumped = edited(dir.path(), "bumped.json", |v| {
        v["maxFeePerGas"] = "33000000000".into();
        v["maxPriorityFeePerGas"] = "2200000000".into();
    });
    let out = sign_tx(&bumped);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("replaces the action's earlier signature"), "{}", stderr(&out));
    // The same replacement again is the journaled signature, not a third one.
    let again = sign_tx(&bumped);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(json(&again)["signed_tx"], json(&out)["signed_tx"]);
    // A further bump must beat the latest (and every earlier) fee by 10 %: 33 → 36.3 gwei.
    let not_enough = edited(dir.path(), "third.json", |v| {
        v["maxFeePerGas"] = "36000000000".into();
        v["maxPriorityFeePerGas"] = "2500000000".into();
    });
    assert_eq!(code(&sign_tx(&not_enough)), 5);
    // Any other change is refused, whatever the fees: another type, another access list.
    let legacy = edited(dir.path(), "legacy.json", |v| {
        let o = v.as_object_mut().unwrap();
        for k in ["maxFeePerGas", "maxPriorityFeePerGas", "accessList"] {
            o.remove(k);
        }
        o.insert("type".into(), "0x1".into());
        o.insert("gasPrice".into(), "50000000000".into());
    });
    let out = sign_tx(&legacy);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("must be the same transaction"), "{}", stderr(&out));
    let listed = edited(dir.path(), "listed.json", |v| {
        v["maxFeePerGas"] = "50000000000".into();
        v["maxPriorityFeePerGas"] = "2900000000".into();
        v["accessList"] =
            serde_json::json!([{"address": "0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2", "storageKeys": []}]);
    });
    assert_eq!(code(&sign_tx(&listed)), 5);
    assert_eq!(journal_kinds(&home), ["intent", "signed", "intent", "signed"]);
}
