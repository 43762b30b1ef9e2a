//! The command-line contract driven through the built binary: exit codes, error messages that
//! name the file and field or offset, JSON documents, and the example release end to end.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

const NOW: &str = "2026-11-21T12:00:00Z";

fn write(dir: &std::path::Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_string()
}

fn example_toml() -> String {
    std::fs::read_to_string(root().join("examples/box-v2-upgrade.toml")).unwrap()
}

fn assert_input_error(out: &std::process::Output, needles: &[&str]) {
    assert_eq!(code(out), 2, "stderr: {}", stderr(out));
    let err = stderr(out);
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn example_proposal_is_approved_and_tampered_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let m = manifest.to_str().unwrap();
    let schedule = root().join("examples/proposal-schedule.json");
    let out = run(&[
        "--json",
        "check",
        "--manifest",
        m,
        "--approved-hash",
        &hash,
        "--now",
        NOW,
        schedule.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["verdict"], "approved");
    assert_eq!(v["action"], 0);
    assert_eq!(v["reasons"], serde_json::json!([]));
    assert_eq!(v["manifest_hash"], hash.as_str());
    assert_eq!(v["evaluated_at"], NOW);
    assert!(v["signing_hash"].as_str().unwrap().starts_with("0x"));

    let tampered = root().join("examples/proposal-tampered.json");
    let out = run(&[
        "--json",
        "check",
        "--manifest",
        m,
        "--approved-hash",
        &hash,
        "--now",
        NOW,
        tampered.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3);
    let v = json(&out);
    assert_eq!(v["verdict"], "refused");
    assert_eq!(v["reasons"], serde_json::json!(["nested_target_not_allowed", "payload_not_approved"]));
    assert_eq!(v["action"], serde_json::Value::Null);
}

#[test]
fn approved_hash_accepts_any_case_with_or_without_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let schedule = root().join("examples/proposal-schedule.json");
    for h in [hash.clone(), hash[2..].to_string(), hash.to_uppercase().replacen("0X", "0x", 1)] {
        let out = run(&[
            "check",
            "--manifest",
            manifest.to_str().unwrap(),
            "--approved-hash",
            &h,
            "--now",
            NOW,
            schedule.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 0, "{h}: {}", stderr(&out));
    }
    let out = run(&[
        "check",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        "0x1234",
        "--now",
        NOW,
        schedule.to_str().unwrap(),
    ]);
    assert_input_error(&out, &["--approved-hash", "32 bytes"]);
}

#[test]
fn window_is_evaluated_at_now() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let schedule = root().join("examples/proposal-schedule.json");
    let m = manifest.to_str().unwrap();
    for (now, reason) in [("2027-01-01T00:00:00Z", "window_expired"), ("1700000000", "window_not_open")] {
        let out = run(&[
            "--json",
            "check",
            "--manifest",
            m,
            "--approved-hash",
            &hash,
            "--now",
            now,
            schedule.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 3);
        assert_eq!(json(&out)["reasons"], serde_json::json!([reason]));
    }
}

#[test]
fn the_same_release_always_compiles_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = example_manifest(dir.path());
    // Reorder targets and labels, uppercase an address, write times as unix seconds.
    let text = example_toml()
        .replace("not_before = \"2026-11-20T00:00:00Z\"", "not_before = 1795132800")
        .replace("expires_at = \"2027-01-01T00:00:00Z\"", "expires_at = 2027-01-01T00:00:00Z");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("allowed_targets")).unwrap();
    let mut reordered: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    reordered[start + 1..start + 5].reverse();
    let b_toml = write(dir.path(), "b.toml", reordered.join("\n"));
    let b = dir.path().join("b.cbor");
    let out = run(&["manifest", "build", &b_toml, "-o", b.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

#[test]
fn build_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let toml = write(dir.path(), "r.toml", example_toml());
    let out = run(&["manifest", "build", &toml]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(dir.path().join("r.manifest.cbor").exists(), "default output next to the input");
    let out = run(&["manifest", "build", &toml]);
    assert_input_error(&out, &["already exists"]);
    assert!(stderr(&out).contains("--force"));
    let out = run(&["manifest", "build", &toml, "--force"]);
    assert_eq!(code(&out), 0);
}

#[test]
fn build_json_reports_hash_path_actions_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let toml = example_toml().replace("max_priority_fee_per_gas_max = \"3000000000\"\n\n", "\n");
    let toml = toml.replace("max_fee_per_gas_max = \"100000000000\"\n\n[[actions]]", "\n[[actions]]");
    let path = write(dir.path(), "r.toml", toml);
    let out = run(&["--json", "manifest", "build", &path]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["actions"], 2);
    assert!(v["manifest_hash"].as_str().unwrap().len() == 66);
    assert!(v["path"].as_str().unwrap().ends_with("r.manifest.cbor"));
    assert!(v["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("no fee caps")));
}

#[test]
fn invalid_releases_are_refused_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("malformed TOML", "format = ".into(), vec!["r.toml", "line 1"]),
        (
            "unknown key",
            example_toml().replace("release = ", "colour = \"red\"\nrelease = "),
            vec!["unknown field", "colour"],
        ),
        (
            "bad checksum",
            example_toml().replace(
                "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D",
                "0xDAd77910DbDFdE764fC21FCD4E74D71bBACA6D8D",
            ),
            vec!["executor", "EIP-55"],
        ),
        (
            "empty window",
            example_toml().replace("2027-01-01T00:00:00Z", "2026-11-20T00:00:00Z"),
            vec!["expires_at", "not_before"],
        ),
        (
            "no rollback",
            {
                let t = example_toml();
                let a = t.find("[rollback]").unwrap();
                let b = t.find("[[actions]]").unwrap();
                format!("{}{}", &t[..a], &t[b..])
            },
            vec!["rollback", "required"],
        ),
        ("unknown format", example_toml().replace("manifest/v1", "manifest/v9"), vec!["format"]),
        (
            "target outside the allowlist",
            {
                let t = example_toml();
                let first = t.lines().find(|l| l.starts_with("  \"0x")).unwrap().to_string();
                t.replacen(&format!("{first}\n"), "", 1)
            },
            vec!["actions[0]", "allowed_targets"],
        ),
        (
            "trailing calldata",
            example_toml().replacen("0000000\"\nnonce = 7", "000000000\"\nnonce = 7", 1),
            vec!["actions[0].data", "exact ABI encoding"],
        ),
        (
            "duplicate name",
            example_toml().replace("name = \"execute\"", "name = \"schedule\""),
            vec!["actions[1].name"],
        ),
        (
            "local time",
            example_toml()
                .replace("not_before = \"2026-11-20T00:00:00Z\"", "not_before = 2026-11-20T00:00:00"),
            vec!["not_before", "offset"],
        ),
    ];
    for (name, toml, needles) in cases {
        let path = write(dir.path(), "r.toml", toml);
        let out = run(&[
            "manifest",
            "build",
            &path,
            "-o",
            dir.path().join(format!("{name}.cbor")).to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 2, "{name}: {}", stderr(&out));
        for n in needles {
            assert!(stderr(&out).contains(n), "{name}: stderr lacks {n:?}: {}", stderr(&out));
        }
    }
}

#[test]
fn non_canonical_and_malformed_manifests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, _) = example_manifest(dir.path());
    let good = std::fs::read(&manifest).unwrap();
    let mut trailing = good;
    trailing.push(0);
    let p = write(dir.path(), "trailing.cbor", &trailing);
    assert_input_error(&run(&["manifest", "hash", &p]), &["trailing.cbor", "byte", "follow"]);
    let p = write(dir.path(), "garbage.cbor", b"\xff\xff");
    assert_input_error(&run(&["manifest", "show", &p]), &["garbage.cbor"]);
    let p = write(dir.path(), "big.cbor", vec![0u8; (1 << 20) + 1]);
    assert_input_error(&run(&["manifest", "hash", &p]), &["big.cbor", "limit"]);
    assert_input_error(&run(&["manifest", "hash", "/nonexistent/m.cbor"]), &["/nonexistent/m.cbor"]);
}

#[test]
fn bad_transactions_are_exit_2_naming_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("0x02zz", vec!["not a hex digit"]),
        ("0x021", vec!["odd number of hex digits"]),
        ("0x05c0", vec!["unknown transaction type 0x05"]),
        ("0xc3010203", vec!["legacy list has 3 items"]),
        ("0x02c101", vec!["eip1559 list has 1 items"]),
        ("{\"to\": 1", vec!["malformed JSON"]),
        ("{\"colour\": 1}", vec!["unknown key \"colour\""]),
        (
            "{\"nonce\":\"1\",\"gas\":\"1\",\"gasPrice\":\"1\",\"data\":\"0x01\",\"input\":\"0x02\"}",
            vec!["data and input"],
        ),
        ("not-a-file-or-hex", vec!["no such file"]),
    ];
    for (arg, needles) in cases {
        let out = run(&["decode", arg]);
        assert_input_error(&out, &needles);
    }
    // Trailing bytes: the offset is named.
    let v = vectors("transactions.json");
    let payload = v["vectors"][5]["unsigned_payload"].as_str().unwrap().to_string();
    let len = (payload.len() - 2) / 2;
    let out = run(&["decode", &format!("{payload}00")]);
    assert_input_error(&out, &[&format!("byte {len}"), "follow"]);
    // A file with raw bytes, and one with hex and whitespace.
    let raw = alloy_primitives::hex::decode(&payload).unwrap();
    let p = write(dir.path(), "tx.bin", &raw);
    assert_eq!(code(&run(&["decode", &p])), 0);
    let p = write(dir.path(), "tx.hex", format!("\n  {payload}\n\n"));
    assert_eq!(code(&run(&["decode", &p])), 0);
    // Oversize.
    let p = write(dir.path(), "huge.hex", "00".repeat((1 << 20) + 10));
    assert_input_error(&run(&["decode", &p]), &["huge.hex", "limit"]);
    // Stdin.
    let out = bin().args(["--json", "decode", "-"]).write_stdin(payload).output().unwrap();
    assert_eq!(code(&out), 0);
}

#[test]
fn too_deep_nesting_is_an_input_error() {
    // Nine nested Timelock execute() calls around an upgradeTo.
    use alloy_sol_types::{SolCall, sol};
    sol! {
        function execute(address target, uint256 value, bytes payload, bytes32 predecessor, bytes32 salt);
        function upgradeTo(address newImplementation);
    }
    let mut data = upgradeToCall { newImplementation: alloy_primitives::Address::ZERO }.abi_encode();
    for _ in 0..9 {
        data = executeCall {
            target: alloy_primitives::Address::ZERO,
            value: Default::default(),
            payload: data.into(),
            predecessor: Default::default(),
            salt: Default::default(),
        }
        .abi_encode();
    }
    let hex = alloy_primitives::hex::encode_prefixed(&data);
    let out = run(&["decode", "--calldata", &hex]);
    assert_input_error(&out, &["deeper than 8"]);
}

#[test]
fn json_errors_are_one_document_on_stdout() {
    let out = run(&["--json", "decode", "0x05c0"]);
    assert_eq!(code(&out), 2);
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "input");
    assert!(v["error"]["message"].as_str().unwrap().contains("0x05"));
    assert!(v["error"].as_object().unwrap().contains_key("hint"));
    // Usage errors too.
    let out = run(&["--json", "check"]);
    assert_eq!(code(&out), 2);
    assert_eq!(json(&out)["error"]["kind"], "input");
}

#[test]
fn human_output_escapes_input_text_and_never_truncates() {
    let dir = tempfile::tempdir().unwrap();
    let toml = example_toml().replace("\"Timelock\"", "\"Time\\u202Elock\"");
    let path = write(dir.path(), "r.toml", &toml);
    let out = run(&["manifest", "build", &path]);
    // Labels with bidi overrides are refused outright at build time.
    assert_input_error(&out, &["labels", "bidirectional"]);
    let dir2 = tempfile::tempdir().unwrap();
    let (manifest, _) = example_manifest(dir2.path());
    let out = run(&["manifest", "show", manifest.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"));
    assert!(!text.contains("..."), "nothing is elided");
}

#[test]
fn signed_transactions_report_the_recovered_sender() {
    let v = vectors("transactions.json");
    let raw = v["vectors"][5]["signed_raw"].as_str().unwrap();
    let out = run(&["decode", raw]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "sender        0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D (recovered from the signature)"
        )
    );
}

#[test]
fn json_request_fields_must_belong_to_the_type() {
    let base = r#""nonce":"1","gas":"21000","to":"0x000000000000000000000000000000000000dEaD","chainId":"1""#;
    let cases = [
        (
            format!(r#"{{"type":"0x1",{base},"gasPrice":"1","maxFeePerGas":"2"}}"#),
            "maxFeePerGas: not a field of a type 1",
        ),
        (
            format!(
                r#"{{"type":"0x2",{base},"gasPrice":"1","maxFeePerGas":"2","maxPriorityFeePerGas":"1"}}"#
            ),
            "gasPrice: not a field of a type 2",
        ),
        (
            format!(r#"{{"type":"0x0",{base},"gasPrice":"1","accessList":[]}}"#),
            "accessList: not a field of a type 0",
        ),
    ];
    for (request, needle) in cases {
        assert_input_error(&run(&["decode", &request]), &[needle]);
    }
    // Inference: maxFeePerGas makes it type 2, and the same fields then decode.
    let ok = format!(r#"{{{base},"maxFeePerGas":"2","maxPriorityFeePerGas":"1"}}"#);
    let out = run(&["--json", "decode", &ok]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["tx"]["type"], "eip1559");
}

/// `check --json` of the example schedule proposal with `edit` applied: the failed checks.
fn failed_checks(
    dir: &std::path::Path,
    manifest: &str,
    hash: &str,
    now: &str,
    edit: &dyn Fn(&mut serde_json::Value),
) -> (i32, Vec<serde_json::Value>) {
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/proposal-schedule.json")).unwrap(),
    )
    .unwrap();
    edit(&mut v);
    let tx = write(dir, "edited.json", v.to_string());
    let out = run(&["--json", "check", "--manifest", manifest, "--approved-hash", hash, "--now", now, &tx]);
    let doc = json(&out);
    let failed = doc["checks"].as_array().unwrap().iter().filter(|c| c["ok"] == false).cloned().collect();
    (code(&out), failed)
}

#[test]
fn every_failed_check_says_what_to_do() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let m = manifest.to_str().unwrap();
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, &str, Edit, &str)> = vec![
        (
            "chain_id_mismatch",
            NOW,
            Box::new(|v| v["chainId"] = json!("1")),
            "rebuild the proposal with --chain 11155111",
        ),
        ("nonce_mismatch", NOW, Box::new(|v| v["nonce"] = json!("9")), "rebuild the proposal with nonce 7"),
        ("gas_above_cap", NOW, Box::new(|v| v["gas"] = json!("600000")), "gas limit of at most 500000"),
        (
            "fee_above_cap",
            NOW,
            Box::new(|v| v["maxFeePerGas"] = json!("200000000000")),
            "maxFeePerGas ≤ 100000000000 wei",
        ),
        ("value_mismatch", NOW, Box::new(|v| v["value"] = json!("1")), "value 0 wei"),
        (
            "window_expired",
            "2027-01-02T00:00:00Z",
            Box::new(|_| {}),
            "the window closed at 2027-01-01T00:00:00Z; a new manifest",
        ),
        ("window_not_open", "2026-11-01T00:00:00Z", Box::new(|_| {}), "opens at 2026-11-20T00:00:00Z"),
        (
            "target_not_allowed",
            NOW,
            Box::new(|v| v["to"] = json!("0x1111111111111111111111111111111111111111")),
            "does not allow",
        ),
        ("tx_type_not_allowed", NOW, Box::new(|v| v["to"] = serde_json::Value::Null), "no contract creation"),
    ];
    for (reason, now, edit, needle) in cases {
        let (exit, failed) = failed_checks(dir.path(), m, &hash, now, &*edit);
        assert_eq!(exit, 3, "{reason}");
        let entry =
            failed.iter().find(|c| c["reason"] == reason).unwrap_or_else(|| panic!("{reason}: {failed:?}"));
        let hint = entry["hint"].as_str().unwrap_or_else(|| panic!("{reason} has a hint"));
        assert!(hint.to_lowercase().contains(&needle.to_lowercase()), "{reason}: {hint}");
        assert!(failed.iter().all(|c| c["hint"].is_string()), "every failed check has a hint: {failed:?}");
    }
    // A hash mismatch: one check, its hint, nothing about actions.
    let other = format!("0x{}", "ab".repeat(32));
    let (exit, failed) = failed_checks(dir.path(), m, &other, NOW, &|_| {});
    assert_eq!(exit, 3);
    assert_eq!(failed.len(), 1, "{failed:?}");
    let hint = failed[0]["hint"].as_str().unwrap();
    assert!(
        hint.contains("re-obtain the approved hash from governance, never from the proposer")
            || hint.contains("Re-obtain the approved hash from governance, never from the proposer"),
        "{hint}"
    );
    // Human output: the hint under its check.
    let tampered = root().join("examples/proposal-tampered.json");
    let out =
        run(&["check", "--manifest", m, "--approved-hash", &hash, "--now", NOW, tampered.to_str().unwrap()]);
    assert_eq!(code(&out), 3);
    assert!(
        stdout(&out).contains("hint: No approved action has exactly this target and calldata"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn decode_calldata_without_to_says_the_target_was_not_given() {
    let data = "0x3659cfe6000000000000000000000000a792c9608476e0b0ba79a3aeaa9403cc8f9afb6a";
    let out = run(&["decode", "--calldata", data]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("- call (to: not given)"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("new contract"));
    let v = json(&run(&["--json", "decode", "--calldata", data]));
    assert_eq!(
        (&v["calls"]["to"], &v["calls"]["operation"]),
        (&serde_json::Value::Null, &serde_json::json!("call"))
    );
    assert_eq!(v["calls"]["details"]["to_given"], false);
    let v = json(&run(&[
        "--json",
        "decode",
        "--calldata",
        data,
        "--to",
        "0x78a3FB06880667Fd263A4493FA66e173008c6C68",
    ]));
    assert!(v["calls"]["details"].get("to_given").is_none());
}

#[test]
fn completions_parse_and_the_man_page_renders() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, checker) in
        [("bash", vec!["bash", "-n"]), ("zsh", vec!["zsh", "-n"]), ("fish", vec!["fish", "--no-execute"])]
    {
        let out = run(&["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("bounded-signer"), "{shell}");
        let file = write(dir.path(), &format!("completion.{shell}"), &out.stdout);
        let parsed = std::process::Command::new(checker[0]).args(&checker[1..]).arg(&file).output();
        let parsed = parsed.unwrap_or_else(|e| panic!("{shell} is needed (scripts/setup installs it): {e}"));
        assert!(
            parsed.status.success(),
            "{shell} rejects its completion script: {}",
            String::from_utf8_lossy(&parsed.stderr)
        );
    }
    let out = run(&["man"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = write(dir.path(), "bounded-signer.1", &out.stdout);
    let rendered = std::process::Command::new("man")
        .args(["-l", &page])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
    let text = String::from_utf8_lossy(&rendered.stdout);
    for needle in
        ["BOUNDED-SIGNER CHECK", "BOUNDED-SIGNER SIGN", "Exit codes: 0 signed", "eth_signTransaction result"]
    {
        assert!(text.contains(needle), "the man page lacks {needle:?}");
    }
    assert!(
        !String::from_utf8_lossy(&rendered.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
}

#[test]
fn help_lists_input_forms_an_example_and_exit_codes() {
    for command in ["check", "sign", "decode"] {
        let help = stdout(&run(&[command, "--help"]));
        assert!(help.contains("Example:") && help.contains("Exit codes:"), "{command}: {help}");
        assert!(help.contains("TX"), "{command}: {help}");
    }
}

#[test]
fn verdict_words_are_coloured_on_a_terminal_only_and_never_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(dir.path());
    let schedule = root().join("examples/proposal-schedule.json");
    let bin = assert_cmd::cargo::cargo_bin("bounded-signer");
    let command = format!(
        "{} check --manifest {} --approved-hash {hash} --now {NOW} {}",
        bin.display(),
        manifest.display(),
        schedule.display()
    );
    // `script` gives the command a terminal.
    let on_terminal = |no_color: Option<&str>| {
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &command, "/dev/null"]).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    };
    assert!(on_terminal(None).contains("Verdict: \u{1b}[1;32mAPPROVED\u{1b}[0m"), "{}", on_terminal(None));
    assert!(!on_terminal(Some("1")).contains('\u{1b}'), "NO_COLOR");
    let piped = run(&[
        "check",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        &hash,
        "--now",
        NOW,
        schedule.to_str().unwrap(),
    ]);
    assert!(stdout(&piped).contains("Verdict: APPROVED") && !stdout(&piped).contains('\u{1b}'));
}

/// The example release with an `abi` line added to its schedule action.
fn release_with_abi(dir: &std::path::Path, abi: &str) -> std::process::Output {
    let text =
        example_toml().replacen("name = \"schedule\"\n", &format!("name = \"schedule\"\nabi = [{abi}]\n"), 1);
    let toml = write(dir, "abi.toml", text);
    let out = dir.join("abi.manifest.cbor");
    run(&["--json", "manifest", "build", &toml, "-o", out.to_str().unwrap(), "--force"])
}

#[test]
fn the_manifest_names_an_initializer_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = release_with_abi(dir.path(), "\"function initializeV2(uint256 answer)\"");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let built = json(&out);
    let hash = built["manifest_hash"].as_str().unwrap().to_string();
    assert!(
        built["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("can collide")),
        "{built}"
    );
    let manifest = dir.path().join("abi.manifest.cbor");
    let schedule = root().join("examples/proposal-schedule.json");
    let args = [
        "check",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        &hash,
        "--now",
        NOW,
        schedule.to_str().unwrap(),
    ];
    let v = json(&run(&[&["--json"], &args[..]].concat()));
    assert_eq!(v["verdict"], "approved", "{v}");
    // schedule → upgradeAndCall → upgradeToAndCall → the initializer, named.
    let init = &v["calls"]["children"][0]["children"][0]["children"][0];
    assert_eq!(init["function"], "initializeV2(uint256)", "{init}");
    assert_eq!(init["named_by"], "manifest");
    assert_eq!(init["known_as"], serde_json::json!([]));
    assert_eq!(init["args"], serde_json::json!([{"name": "answer", "type": "uint256", "value": "42"}]));
    let text = stdout(&run(&args));
    assert!(
        text.contains("function  initializeV2(uint256)  (named by the manifest; selector 0x5b4e128c)"),
        "{text}"
    );
    assert!(text.contains("arg answer (uint256) = 42"), "{text}");
    // With the hash of another manifest (not approved), the names are never used.
    let other = format!("0x{}", "cd".repeat(32));
    let v = json(&run(&[
        "--json",
        "check",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        &other,
        "--now",
        NOW,
        schedule.to_str().unwrap(),
    ]));
    let init = &v["calls"]["children"][0]["children"][0]["children"][0];
    assert!(init.get("named_by").is_none() && init["function"].is_null(), "{init}");
    // manifest show names the action's own tree.
    let shown = stdout(&run(&["manifest", "show", manifest.to_str().unwrap()]));
    assert!(shown.contains("initializeV2(uint256)  (named by the manifest"), "{shown}");
}

#[test]
fn an_abi_that_names_nothing_or_renames_a_built_in_is_refused_at_build() {
    let dir = tempfile::tempdir().unwrap();
    for (abi, needle) in [
        ("\"function initializeV3(uint256)\"", "matches no call in this action's tree"),
        ("\"function upgradeTo(address)\"", "built-in decoder"),
        ("\"event Upgraded(address)\"", "not a function signature"),
        ("\"function initializeV2(uint256)\", \"function initializeV2(int256)\"", "matches no call"),
    ] {
        let out = release_with_abi(dir.path(), abi);
        assert_eq!(code(&out), 2, "{abi}: {}", stdout(&out));
        let doc = json(&out);
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle) && message.contains("actions[0].abi["), "{abi}: {message}");
    }
}

#[test]
fn emulator_uhid_names_the_device_it_cannot_open() {
    let out =
        run(&["--json", "emulator", "--uhid", "/nonexistent/uhid", "--apdu-port", "0", "--api-port", "0"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let error = &json(&out)["error"];
    assert!(error["message"].as_str().unwrap().starts_with("/nonexistent/uhid: "), "{error}");
    assert!(error["hint"].as_str().unwrap().contains("modprobe uhid"), "{error}");
    // A serial number means nothing without a uhid device.
    let out = run(&["emulator", "--serial", "0002"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--uhid"), "{}", stderr(&out));
}
