//! `airgap send` and `airgap receive --text`: a bundle crosses the air gap as UR text with a
//! third of its parts lost and the rest shuffled, and the received bundle signs; a foreign, a
//! corrupted and a missing part are refused naming the line; the terminal animation shows every
//! part as a readable QR code and gives the terminal back on Ctrl-C.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn receive(text: &str, out: &std::path::Path) -> std::process::Output {
    bin()
        .args(["--json", "airgap", "receive", "--text", "-", "-o", out.to_str().unwrap()])
        .write_stdin(text.to_string())
        .output()
        .unwrap()
}

#[test]
fn a_bundle_crosses_as_lossy_shuffled_ur_text_and_then_signs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (manifest, hash) = release_now(d);
    let bundle = d.join("release.bundle");
    let schedule = root().join("examples/proposal-schedule.json");
    let made = run(&[
        "bundle",
        "create",
        "--manifest",
        manifest.to_str().unwrap(),
        "--proposal",
        schedule.to_str().unwrap(),
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    let sent = run(&["airgap", "send", bundle.to_str().unwrap(), "--fragment-len", "100"]);
    assert_eq!(code(&sent), 0, "{}", stderr(&sent));
    let parts: Vec<String> = stdout(&sent).lines().map(str::to_string).collect();
    assert!(parts.iter().all(|p| p.starts_with("UR:BYTES/") && p == &p.to_uppercase()));
    // Every third lost, the rest reversed (any order will do).
    let mut kept: Vec<&String> =
        parts.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, p)| p).collect();
    kept.reverse();
    let text = kept.iter().map(|p| format!("{p}\n")).collect::<String>();
    let received = d.join("received.bundle");
    let out = receive(&text, &received);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc = json(&out);
    let original = std::fs::read(&bundle).unwrap();
    assert_eq!(std::fs::read(&received).unwrap(), original);
    assert_eq!(doc["kind"], "bundle");
    assert_eq!(doc["manifest_hash"], hash.as_str());
    assert_eq!(doc["keccak256"], format!("{:#x}", alloy_primitives::keccak256(&original)));
    assert!(doc["frames_used"].as_u64().unwrap() <= kept.len() as u64);

    // The received bundle signs, as any bundle does.
    let emu = Emu::start(&[]);
    let signed = bin()
        .env("BOUNDED_SIGNER_HOME", d.join("home"))
        .args([
            "--json",
            "sign",
            "--bundle",
            received.to_str().unwrap(),
            "--approved-hash",
            &hash,
            "--device",
            &emu.device(),
        ])
        .output()
        .unwrap();
    assert_eq!(code(&signed), 0, "{}", stderr(&signed));
}

#[test]
fn foreign_corrupted_and_missing_parts_are_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = d.join("a.txt");
    let b = d.join("b.txt");
    std::fs::write(&a, "the first file, long enough for several fragments ".repeat(8)).unwrap();
    std::fs::write(&b, "another file entirely, also several fragments long ".repeat(8)).unwrap();
    let parts = |p: &std::path::Path| -> Vec<String> {
        stdout(&run(&["airgap", "send", p.to_str().unwrap(), "--fragment-len", "40"]))
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (pa, pb) = (parts(&a), parts(&b));
    let out_path = d.join("out");
    let mixed = format!("{}\n{}\n", pa[0], pb[1]);
    let out = receive(&mixed, &out_path);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("line 2") && stdout(&out).contains("another payload"), "{}", stdout(&out));
    let mut corrupted = pa[1].clone().into_bytes();
    let at = corrupted.len() - 5;
    corrupted[at] = if corrupted[at] == b'A' { b'E' } else { b'A' };
    let out = receive(&format!("{}\n{}\n", pa[0], String::from_utf8(corrupted).unwrap()), &out_path);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("line 2") && stdout(&out).contains("corrupted"), "{}", stdout(&out));
    let out = receive(&format!("{}\n", pa[0]), &out_path);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("not enough"), "{}", stdout(&out));
    assert!(!out_path.exists(), "nothing is written from too few parts");
}

/// QR frames written by `send --png-dir` are read back by `receive --images`, shuffled and with
/// frames missing; a frame of another file stops the receive naming the image.
#[test]
fn qr_frames_round_trip_and_a_foreign_frame_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (manifest, hash) = example_manifest(d);
    let frames = d.join("frames");
    let out = run(&["airgap", "send", manifest.to_str().unwrap(), "--png-dir", frames.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let again = run(&["airgap", "send", manifest.to_str().unwrap(), "--png-dir", frames.to_str().unwrap()]);
    assert_eq!(code(&again), 2, "an existing directory needs --force");
    let mut images: Vec<_> = std::fs::read_dir(&frames).unwrap().map(|e| e.unwrap().path()).collect();
    images.sort();
    assert!(images[0].ends_with("frame-00001.png"));
    // Every other frame, last first.
    let mut picked: Vec<String> = images.iter().step_by(2).map(|p| p.to_str().unwrap().to_string()).collect();
    picked.reverse();
    let got = d.join("got.cbor");
    let mut args = vec!["--json", "airgap", "receive", "-o", got.to_str().unwrap(), "--images"];
    args.extend(picked.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(json(&out)["manifest_hash"], hash.as_str());
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&manifest).unwrap());

    // A frame of another file among them.
    let other = d.join("other.txt");
    std::fs::write(&other, "another file, several frames long ".repeat(30)).unwrap();
    let other_frames = d.join("other-frames");
    assert_eq!(
        code(&run(&["airgap", "send", other.to_str().unwrap(), "--png-dir", other_frames.to_str().unwrap()])),
        0
    );
    let foreign = other_frames.join("frame-00002.png");
    let out = run(&[
        "airgap",
        "receive",
        "-o",
        d.join("x").to_str().unwrap(),
        "--images",
        images[0].to_str().unwrap(),
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("other-frames/frame-00002.png") && stderr(&out).contains("another payload"),
        "{}",
        stderr(&out)
    );
}

/// Reads the modules of one terminal frame (upper and lower half blocks, two modules a cell)
/// back into pixels and decodes them as a camera would.
fn decode_terminal_frame(lines: &[&str]) -> Vec<String> {
    let rows: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
    let side = rows.first().map_or(0, Vec::len);
    let (scale, w, h) = (4, side * 4, rows.len() * 8);
    let pixels: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x / scale, y / scale)))
        .map(|(cx, cy)| match rows.get(cy / 2).and_then(|r| r.get(cx)) {
            Some('█') => 0,
            Some('▀') if cy % 2 == 0 => 0,
            Some('▄') if cy % 2 == 1 => 0,
            _ => 255,
        })
        .collect();
    bounded_signer::airgap::qr::texts_in_greyscale(w, h, &pixels)
}

/// Runs `cmd` showing frames in the terminal until `frames` frames were drawn, then Ctrl-C:
/// checks it exits 0, and returns the screen it drew and its stderr.
fn interrupted_terminal(cmd: &mut std::process::Command, frames: usize) -> (String, String) {
    let mut child =
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while seen.windows(3).filter(|w| *w == b"\x1b[H").count() < frames {
        let n = std::io::Read::read(&mut stdout_pipe, &mut chunk).unwrap();
        assert!(n > 0, "the animation ended by itself");
        seen.extend_from_slice(&chunk[..n]);
    }
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    std::io::Read::read_to_end(&mut stdout_pipe, &mut seen).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (String::from_utf8(seen).unwrap(), stderr)
}

/// The QR lines of one drawn frame (black on white).
fn frame_lines(frame: &str) -> Vec<&str> {
    frame
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("\x1b[30;47m").and_then(|l| l.strip_suffix("\x1b[0m")))
        .collect()
}

#[test]
fn the_terminal_animation_shows_the_parts_in_a_loop_and_ctrl_c_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.bin");
    std::fs::write(&file, vec![0x42u8; 600]).unwrap();
    let text = run(&["airgap", "send", file.to_str().unwrap(), "--text", "--frames", "4"]);
    let listed = stdout(&text);
    let parts: Vec<&str> = listed.lines().collect();
    // Read until every part was shown and the loop began again, then Ctrl-C.
    let (screen, stderr_text) = interrupted_terminal(
        std::process::Command::new(assert_cmd::cargo::cargo_bin!("bounded-signer")).args([
            "airgap",
            "send",
            file.to_str().unwrap(),
            "--terminal",
            "--fps",
            "30",
            "--frames",
            "4",
        ]),
        parts.len() + 2,
    );
    assert!(screen.starts_with("\x1b[?1049h\x1b[?25l"), "enters the alternate screen, hides the cursor");
    assert!(screen.ends_with("\x1b[?25h\x1b[?1049l"), "shows the cursor, leaves the alternate screen");
    let frames: Vec<&str> = screen.split("\x1b[H").skip(1).collect();
    assert!(frames.len() > parts.len(), "{} frames shown", frames.len());
    for (i, frame) in frames.iter().take(parts.len() + 1).enumerate() {
        let lines = frame_lines(frame);
        assert_eq!(decode_terminal_frame(&lines), vec![parts[i % parts.len()].to_string()], "frame {i}");
        assert!(frame.contains(&format!("frame {} of {}", i % parts.len() + 1, parts.len())));
    }
    assert!(stderr_text.contains("Stopped after"));
}

#[test]
fn a_scanner_typing_parts_gets_the_file_as_soon_as_it_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.bin");
    let body: Vec<u8> = (0..5000u32).map(|i| u8::try_from(i % 251).unwrap()).collect();
    std::fs::write(&file, &body).unwrap();
    let sent = run(&["airgap", "send", file.to_str().unwrap(), "--text"]);
    let out = dir.path().join("got.bin");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("bounded-signer"))
        .args(["--json", "airgap", "receive", "--text", "-", "-o", out.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Every part typed, and the input left open as a scanner leaves it: the receive must end by
    // itself once the parts suffice.
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, stdout(&sent).as_bytes()).unwrap();
    let done = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(done.status.code(), Some(0));
    assert_eq!(std::fs::read(&out).unwrap(), body);
    let doc: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(doc["frames_used"], doc["frames_seen"], "nothing lost, nothing repeated");
}

#[test]
fn export_account_shows_one_crypto_hdkey_and_refuses_paths_that_are_not_an_account() {
    let emu = Emu::start(&[]);
    let device = emu.device();
    let text = run(&["airgap", "export-account", "--device", &device, "--text"]);
    assert_eq!(code(&text), 0, "{}", stderr(&text));
    let printed = stdout(&text);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 1, "one single-part UR: {lines:?}");
    assert!(lines[0].starts_with("UR:CRYPTO-HDKEY/") && !lines[0][16..].contains('/'), "{}", lines[0]);
    let (kind, cbor) = ur::ur::decode(&lines[0].to_ascii_lowercase()).unwrap();
    assert_eq!(kind, ur::ur::Kind::SinglePart);
    // The key, in its field 3, is the device's compressed key at m/44'/60'/0'.
    let doc = json(&run(&["--json", "airgap", "export-account", "--device", &device, "--text"]));
    let key = alloy_primitives::hex::decode(doc["public_key"].as_str().unwrap()).unwrap();
    assert_eq!(&cbor[..4], &[0xa8, 0x03, 0x58, 0x21], "a map of 8, key 3: 33 bytes");
    assert_eq!(&cbor[4..37], key.as_slice());
    for bad in ["m/44'/60'/0'/0/0", "m/44'/60'/0", "m/44'/61'/0'"] {
        let refused = run(&["airgap", "export-account", "--device", &device, "--path", bad, "--text"]);
        assert_eq!(code(&refused), 2, "{bad}: {}", stderr(&refused));
        assert!(stderr(&refused).contains("m/44'/60'/N'"), "{}", stderr(&refused));
    }
}

#[test]
fn sign_request_refuses_messages_mismatched_types_and_what_the_policy_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, hash) = release_now(dir.path());
    let emu = Emu::start(&[]);
    let device = emu.device();
    let ask = |request: &str| {
        bin()
            .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
            .args(["--json", "airgap", "sign-request", "--manifest", manifest.to_str().unwrap()])
            .args(["--approved-hash", &hash, request, "--device", &device])
            .output()
            .unwrap()
    };
    let message = ask(&eth_sign_request(b"hello", 3, Some(11_155_111), &request_path(0)));
    assert_eq!(code(&message), 2, "{}", stderr(&message));
    assert!(stderr(&message).contains("personal message"), "{}", stderr(&message));
    // The same request as a QR image, as a camera saved the wallet's frame.
    let png = dir.path().join("request.png");
    let text = eth_sign_request(b"hello", 3, Some(11_155_111), &request_path(0)).to_ascii_uppercase();
    std::fs::write(&png, bounded_signer::airgap::qr::png_of(&text).unwrap()).unwrap();
    let from_image = bin()
        .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
        .args(["airgap", "sign-request", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
        .args(["--request-images", png.to_str().unwrap(), "--device", &device])
        .output()
        .unwrap();
    assert_eq!(code(&from_image), 2, "{}", stderr(&from_image));
    assert!(stderr(&from_image).contains("personal message"), "read from the image: {}", stderr(&from_image));
    // The same from stdin, as a scanner types it.
    let from_stdin = bin()
        .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
        .args(["airgap", "sign-request", "--manifest", manifest.to_str().unwrap(), "--approved-hash", &hash])
        .args(["-", "--device", &device])
        .write_stdin(format!("{}\n", eth_sign_request(b"hello", 3, Some(11_155_111), &request_path(0))))
        .output()
        .unwrap();
    assert!(stderr(&from_stdin).contains("personal message"), "read from stdin: {}", stderr(&from_stdin));
    // A legacy transaction the manifest has no action for: the policy's verdict, no signature.
    let mut legacy = Vec::new();
    alloy_consensus::SignableTransaction::<alloy_primitives::Signature>::encode_for_signing(
        &alloy_consensus::TxLegacy {
            chain_id: Some(11_155_111),
            nonce: 7,
            gas_price: 20_000_000_000,
            gas_limit: 300_000,
            to: alloy_primitives::TxKind::Call(alloy_primitives::address!(
                "3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2"
            )),
            value: alloy_primitives::U256::ZERO,
            input: Default::default(),
        },
        &mut legacy,
    );
    // Data type 4 (typed) for a legacy transaction: named, before any check.
    let mislabelled = ask(&eth_sign_request(&legacy, 4, Some(11_155_111), &request_path(0)));
    assert_eq!(code(&mislabelled), 2, "{}", stderr(&mislabelled));
    assert!(
        stderr(&mislabelled).contains("data type 4 (typed) but the sign-data is a legacy transaction"),
        "{}",
        stderr(&mislabelled)
    );
    let refused = ask(&eth_sign_request(&legacy, 1, Some(11_155_111), &request_path(0)));
    assert_eq!(code(&refused), 3, "{}", stderr(&refused));
    let doc = json(&refused);
    assert!(doc.get("ur").is_none(), "no signature: {doc}");
    assert_eq!(doc["request_id"], "42424242-4242-4242-4242-424242424242");
    assert!(!doc["verdict"]["reasons"].as_array().unwrap().is_empty(), "{doc}");
}

#[test]
fn sign_request_signs_every_transaction_vector_as_eth_account_signs_it() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emu::start(&[]);
    let vectors = vectors("transactions.json");
    let mut signed = 0;
    for vector in signable_vectors(dir.path()) {
        let payload = alloy_primitives::hex::decode(&vector.payload).unwrap();
        let legacy = payload[0] >= 0xc0;
        let request = eth_sign_request(&payload, if legacy { 1 } else { 4 }, None, &request_path(0));
        let out = bin()
            .env("BOUNDED_SIGNER_HOME", dir.path().join(format!("home-{}", vector.name)))
            .args(["--json", "airgap", "sign-request", "--manifest", vector.manifest.to_str().unwrap()])
            .args(["--approved-hash", &vector.hash, &request, "--device", &emu.device()])
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}: {}", vector.name, stderr(&out));
        // r ‖ s ‖ v, v eth-account's: 35 + 2·chainId + parity big-endian for legacy, the parity
        // for a typed transaction.
        let expected =
            vectors["vectors"].as_array().unwrap().iter().find(|v| v["name"] == vector.name).unwrap();
        let v: u64 =
            expected["v"].as_u64().unwrap_or_else(|| expected["v"].as_str().unwrap().parse().unwrap());
        let v_bytes = v.to_be_bytes();
        let first = v_bytes.iter().position(|b| *b != 0).unwrap_or(7);
        let want = format!(
            "{}{}{}",
            expected["r"].as_str().unwrap(),
            expected["s"].as_str().unwrap().trim_start_matches("0x"),
            alloy_primitives::hex::encode(&v_bytes[first..])
        );
        assert_eq!(json(&out)["signature"], want, "{}", vector.name);
        signed += 1;
    }
    assert!(signed >= 6, "{signed} vectors");
}

#[test]
fn sign_request_for_another_account_or_path_is_a_signer_mismatch_before_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let vector = signable_vectors(dir.path()).into_iter().find(|v| v.name.contains("1559")).unwrap();
    let payload = alloy_primitives::hex::decode(&vector.payload).unwrap();
    let executor: alloy_primitives::Address = SPECULOS_0.parse().unwrap();
    let other = alloy_primitives::address!("3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2");
    // No device at all: a refusal must not need one.
    let ask = |path: &[(u8, bool)], account| {
        bin()
            .env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
            .args(["--json", "airgap", "sign-request", "--manifest", vector.manifest.to_str().unwrap()])
            .args(["--approved-hash", &vector.hash])
            .arg(eth_sign_request_for(&payload, 4, None, path, account))
            .args(["--device", "speculos:127.0.0.1:1"])
            .output()
            .unwrap()
    };
    let signer_check = |out: &std::process::Output| {
        assert_eq!(code(out), 3, "{}", stderr(out));
        let doc = json(out);
        assert!(doc.get("ur").is_none(), "no signature: {doc}");
        assert_eq!(doc["verdict"]["reasons"], serde_json::json!(["signer_mismatch"]), "{doc}");
        let checks = doc["verdict"]["checks"].as_array().unwrap();
        let signer = checks.iter().find(|c| c["check"] == "signer").unwrap();
        signer["detail"].as_str().unwrap().to_string()
    };
    let detail = signer_check(&ask(&request_path(0), Some(other)));
    assert!(detail.contains(&other.to_string()) && detail.contains(&executor.to_string()), "{detail}");
    let detail = signer_check(&ask(&[(44, true), (61, true), (0, true), (0, false), (0, false)], None));
    assert!(detail.contains("m/44'/61'/0'/0/0"), "{detail}");
    // The executor's own account passes the claim; the device (absent here) is what fails then.
    let reached_device = ask(&request_path(0), Some(executor));
    assert_eq!(code(&reached_device), 4, "{}", stderr(&reached_device));
}

#[test]
fn sign_requests_answer_shows_as_png_frames_and_in_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emu::start(&[]);
    let vector = signable_vectors(dir.path()).into_iter().find(|v| v.name.contains("1559")).unwrap();
    let payload = alloy_primitives::hex::decode(&vector.payload).unwrap();
    let request = eth_sign_request(&payload, 4, None, &request_path(0));
    let ask = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("bounded-signer"));
        cmd.env("BOUNDED_SIGNER_HOME", dir.path().join("home"))
            .args(["airgap", "sign-request", "--manifest", vector.manifest.to_str().unwrap()])
            .args(["--approved-hash", &vector.hash, &request, "--device", &emu.device()])
            .args(extra);
        cmd
    };
    let signed = ask(&[]).output().unwrap();
    assert_eq!(code(&signed), 0, "{}", stderr(&signed));
    let ur = stdout(&signed).trim().to_string();
    assert!(ur.starts_with("UR:ETH-SIGNATURE/"), "{ur}");
    // Asked again, the journal hands back the same signature: as a QR image this time.
    let pngs = dir.path().join("answer");
    let out = ask(&["--png-dir", pngs.to_str().unwrap()]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let frame = std::fs::read(pngs.join("frame-00001.png")).unwrap();
    assert_eq!(bounded_signer::airgap::qr::texts_in_png(&frame).unwrap(), vec![ur.clone()]);
    // An existing directory needs --force.
    let again = ask(&["--png-dir", pngs.to_str().unwrap()]).output().unwrap();
    assert_eq!(code(&again), 2, "{}", stderr(&again));
    // In the terminal: shown until Ctrl-C, and readable as a camera reads it.
    let (screen, _) = interrupted_terminal(&mut ask(&["--terminal"]), 2);
    assert!(screen.ends_with("\x1b[?25h\x1b[?1049l"), "the terminal is given back");
    let first = screen.split("\x1b[H").nth(1).unwrap();
    assert_eq!(decode_terminal_frame(&frame_lines(first)), vec![ur]);
}
