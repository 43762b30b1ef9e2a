//! The emulator against the real app-ethereum 1.22.0, byte for byte, for the APDU sequences of
//! ledger-protocol.md §5.5 that need no button press. Opt-in: a developer builds the real app and
//! starts Speculos by hand (§5.5 says how; nothing of the app is in this repository), then runs
//!
//! ```sh
//! SPECULOS_APDU=127.0.0.1:9999 SPECULOS_API=http://127.0.0.1:5000 cargo test --test real_app -- --ignored
//! ```
//!
//! The answers are compared with the emulator's; the screens (walked with the REST API's buttons,
//! then rejected, so nothing is signed) with `ledger_screens`, the model the emulator shows and
//! `sign` prints. The tests take turns on the one app, and set its blind-signing setting
//! themselves. Never in CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy_primitives::{U256, hex};
use bounded_signer::device::speculos::SpeculosTransport;
use bounded_signer::device::transport::Exchange;
use bounded_signer::emulator::{Emulator, EmulatorConfig};

/// One real app serves every test: they take turns.
static REAL_APP: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn apdu(cla_ins_p1_p2: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = cla_ins_p1_p2.to_vec();
    out.push(u8::try_from(data.len()).unwrap());
    out.extend_from_slice(data);
    out
}

const PATH: [u8; 21] = hex!("058000002c8000003c800000000000000000000000");

/// A transfer of `value` wei on chain 1 (no calldata), as a single first chunk.
fn transfer(value: U256) -> Vec<u8> {
    use alloy_consensus::SignableTransaction;
    let tx = alloy_consensus::TxEip1559 {
        chain_id: 1,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 1,
        max_priority_fee_per_gas: 1,
        to: alloy_primitives::TxKind::Call(alloy_primitives::Address::repeat_byte(0xde)),
        value,
        access_list: Default::default(),
        input: Default::default(),
    };
    let mut payload = PATH.to_vec();
    tx.encode_for_signing(&mut payload);
    apdu([0xe0, 0x04, 0x00, 0x00], &payload)
}

/// SIGN_EIP7702_AUTHORIZATION of one chunk: the path, the TLV's length, the TLV.
fn authorization(entries: &[(u8, &[u8])]) -> Vec<u8> {
    let mut tlv = Vec::new();
    for (tag, value) in entries {
        tlv.push(*tag);
        tlv.push(u8::try_from(value.len()).unwrap());
        tlv.extend_from_slice(value);
    }
    let mut data = PATH.to_vec();
    data.extend_from_slice(&u16::try_from(tlv.len()).unwrap().to_be_bytes());
    data.extend(tlv);
    apdu([0xe0, 0x34, 0x01, 0x00], &data)
}

/// The sequences: each a list of APDUs, compared answer by answer.
fn sequences() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let mut short_lc = hex!("e002000020").to_vec();
    short_lc.extend(PATH);
    let call = {
        let mut p = PATH.to_vec();
        p.extend(hex!("02e70180010182520894dededededededededededededededededededede8084a9059cbbc0"));
        apdu([0xe0, 0x04, 0x00, 0x00], &p)
    };
    let pre_155 = {
        let mut p = PATH.to_vec();
        p.extend(hex!("e080018252089400000000000000000000000000000000000000de0180"));
        apdu([0xe0, 0x04, 0x00, 0x00], &p)
    };
    let eip712_full = {
        let mut p = PATH.to_vec();
        p.extend([0u8; 64]);
        apdu([0xe0, 0x0c, 0x00, 0x01], &p)
    };
    let ten = |k: usize| U256::from(10).pow(U256::from(k));
    vec![
        ("configuration", vec![hex!("e006000000").to_vec()]),
        ("trailing Le", vec![hex!("e00600000004").to_vec()]),
        ("address", vec![apdu([0xe0, 0x02, 0x00, 0x00], &PATH)]),
        ("address with a short Lc, after an address", vec![short_lc.clone()]),
        ("a short Lc after a bare status word", vec![hex!("e0ff000000").to_vec(), short_lc]),
        ("blind signing off", vec![call]),
        ("EIP-712 full mode without definitions", vec![eip712_full]),
        ("7702 authorization without data", vec![hex!("e034000000").to_vec()]),
        ("7702 authorization, not a first chunk", vec![apdu([0xe0, 0x34, 0x00, 0x00], &PATH)]),
        ("7702 authorization, no TLV length", vec![apdu([0xe0, 0x34, 0x01, 0x00], &PATH)]),
        (
            "7702 authorization, a TLV that is none",
            vec![apdu([0xe0, 0x34, 0x01, 0x00], &[&PATH[..], &hex!("00020000")].concat())],
        ),
        ("amount 10^48", vec![transfer(ten(48))]),
        ("amount 2^154", vec![transfer(U256::from(2).pow(U256::from(154)))]),
        ("amount 2^256-1", vec![transfer(U256::MAX)]),
        (
            "7702 authorization, valid (Smart accounts off)",
            vec![authorization(&[(0, &[1]), (1, &[0x22; 20]), (2, &[1]), (3, &[0])])],
        ),
        (
            "7702 authorization, a tag twice",
            vec![authorization(&[(0, &[1]), (0, &[1]), (1, &[0x22; 20]), (2, &[1]), (3, &[0])])],
        ),
        (
            "7702 authorization, version 2",
            vec![authorization(&[(0, &[2]), (1, &[0x22; 20]), (2, &[1]), (3, &[0])])],
        ),
        ("7702 authorization, no nonce", vec![authorization(&[(0, &[1]), (1, &[0x22; 20]), (2, &[1])])]),
        // Last: it leaves the app waiting for a tail.
        ("pre-EIP-155 payload waits", vec![pre_155]),
    ]
}

#[test]
#[ignore = "needs a real app-ethereum 1.22.0 under Speculos: set SPECULOS_APDU=host:port"]
fn the_emulator_answers_as_the_real_app() {
    let _turn = REAL_APP.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let real = std::env::var("SPECULOS_APDU").expect("SPECULOS_APDU=host:port of a real Speculos");
    // Speculos starts with blind signing off; the screen tests may have turned it on.
    if let Ok(api) = std::env::var("SPECULOS_API") {
        set_blind_signing(&real, &api, false);
    }
    let emulator =
        Emulator::start(EmulatorConfig { blind_signing: false, ..EmulatorConfig::rehearsal() }).unwrap();
    let mut differences = Vec::new();
    for (name, apdus) in sequences() {
        // A fresh connection each: a sequence that leaves the app waiting must not leak into the next.
        let mut ours = SpeculosTransport::connect(&emulator.apdu.to_string()).unwrap();
        let mut theirs = SpeculosTransport::connect(&real).unwrap();
        for (i, a) in apdus.iter().enumerate() {
            let (x, y) = (ours.exchange(a).unwrap(), theirs.exchange(a).unwrap());
            if x != y {
                differences.push(format!(
                    "{name} #{i}: emulator {}, real app {}",
                    hex::encode(&x),
                    hex::encode(&y)
                ));
            }
        }
    }
    // The valid authorization left the real app on its "Unable to sign" screens: back home.
    if let Ok(api) = std::env::var("SPECULOS_API") {
        for _ in 0..6 {
            let screen = current(&api);
            match screen.first().map(String::as_str) {
                Some(first) if first.starts_with("Reject") => {
                    press(&api, "both");
                    break;
                }
                Some("Ethereum") => break,
                _ => press(&api, "right"),
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// One HTTP request to a Speculos REST API (`http://host:port`), its JSON answer.
fn http(api: &str, method: &str, path: &str, body: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let addr = api.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap_or_default()
}

fn current(api: &str) -> Vec<String> {
    let v = http(api, "GET", "/events?currentscreenonly=true", "");
    v["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

fn press(api: &str, button: &str) {
    http(api, "POST", &format!("/button/{button}"), r#"{"action":"press-and-release"}"#);
}

/// Waits until the screen is something other than `before` (and not empty).
fn next_screen(api: &str, before: &[String]) -> Vec<String> {
    for _ in 0..100 {
        let now = current(api);
        if !now.is_empty() && now != before {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the screen stayed {before:?}");
}

/// Sets "Blind signing" in the real app's settings to `on`.
fn set_blind_signing(apdu_port: &str, api: &str, on: bool) {
    let mut t = SpeculosTransport::connect(apdu_port).unwrap();
    let config = t.exchange(&hex!("e006000000")).unwrap();
    if (config[0] & 1 == 1) == on {
        return;
    }
    let home = current(api);
    press(api, "right"); // App settings
    let settings = next_screen(api, &home);
    press(api, "both"); // Blind signing: its state
    let blind = next_screen(api, &settings);
    press(api, "both"); // toggled
    let mut screen = next_screen(api, &blind);
    while screen.first().map(String::as_str) != Some("Back") {
        press(api, "right");
        screen = next_screen(api, &screen);
    }
    press(api, "both");
    next_screen(api, &screen);
}

/// The screens the real app shows for `apdu`, walked with the right button up to the decision
/// (both buttons past the blind-signing warning), then rejected: every screen up to the decision,
/// the reject screen, and the screen after it, with the status word of the answer.
fn real_walk(apdu_port: &str, api: &str, apdu: Vec<u8>) -> (Vec<Vec<String>>, Vec<u8>) {
    const DECISIONS: [&str; 4] = ["Sign transaction", "Accept risk", "Confirm", "Sign message"];
    let port = apdu_port.to_string();
    let home = current(api);
    let answer =
        std::thread::spawn(move || SpeculosTransport::connect(&port).unwrap().exchange(&apdu).unwrap());
    let mut seen = vec![next_screen(api, &home)];
    loop {
        let screen = seen.last().unwrap().clone();
        let first = screen.first().map(String::as_str).unwrap_or_default();
        if DECISIONS.iter().any(|d| first.starts_with(d)) {
            press(api, "right");
            let reject = next_screen(api, &screen);
            press(api, "both");
            let after = next_screen(api, &reject);
            seen.extend([reject, after]);
            break;
        }
        press(api, if first.starts_with("Blind signing ahead") { "both" } else { "right" });
        seen.push(next_screen(api, &screen));
    }
    let answer = answer.join().unwrap();
    // The status screen stays a moment and swallows a press: wait for the home screen.
    for _ in 0..100 {
        if current(api) == home {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (seen, answer)
}

/// The review of a one-chunk signing payload on the real app.
fn real_review(apdu_port: &str, api: &str, payload: &[u8]) -> Vec<Vec<String>> {
    let mut data = PATH.to_vec();
    data.extend_from_slice(payload);
    assert!(data.len() <= 255, "one chunk");
    let (seen, answer) = real_walk(apdu_port, api, apdu([0xe0, 0x04, 0x00, 0x00], &data));
    assert_eq!(answer, hex!("6985"), "rejected");
    seen
}

#[test]
#[ignore = "needs a real app-ethereum 1.22.0 under Speculos: SPECULOS_APDU=host:port SPECULOS_API=http://host:port"]
fn the_review_screens_are_the_real_apps() {
    use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
    use alloy_primitives::{Address, Bytes, TxKind, keccak256};
    use bounded_signer::ledger_screens::{TxReview, reject_transaction, transaction, transaction_decided};
    use firmware_policy::DecodedTx;

    let _turn = REAL_APP.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let real = std::env::var("SPECULOS_APDU").expect("SPECULOS_APDU=host:port of a real Speculos");
    let api = std::env::var("SPECULOS_API").expect("SPECULOS_API=http://host:port of its REST API");
    set_blind_signing(&real, &api, true);
    let from = Address::from(hex!("Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"));
    // Targets with every kind of glyph mix, chains from the table and beyond it, values and fees
    // of every length, calldata or none, creation.
    let targets = [
        hex!("3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2"),
        hex!("1111111111111111111111111111111111111111"),
        hex!("78a3FB06880667Fd263A4493FA66e173008c6C68"),
        hex!("9D35a0fd9FA3849d298298e89E5A33f7E5625f1A"),
        [0xff; 20],
    ];
    let chains = [1u64, 5, 10, 56, 100, 137, 8453, 17000, 31337, 42161, 11155111, 424242];
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    for (i, chain) in chains.iter().enumerate() {
        let to = Address::from(targets[i % targets.len()]);
        let data: Bytes =
            if i % 2 == 0 { Bytes::new() } else { Bytes::from(keccak256(i.to_be_bytes()).to_vec()) };
        let tx = TxEip1559 {
            chain_id: *chain,
            nonce: i as u64,
            gas_limit: 21_000 + 7_777 * i as u64,
            max_fee_per_gas: 1_234_567_891 * (i as u128 + 1),
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(to),
            value: U256::from(10u64).pow(U256::from(i * 2)) * U256::from(i + 1),
            access_list: Default::default(),
            input: data,
        };
        let mut p = Vec::new();
        tx.encode_for_signing(&mut p);
        payloads.push(p);
    }
    let legacy = TxLegacy {
        chain_id: Some(11155111),
        nonce: 3,
        gas_price: 20_000_000_000,
        gas_limit: 100_000,
        to: TxKind::Create,
        value: U256::ZERO,
        input: Bytes::from(vec![0x60, 0x80, 0x60, 0x40]),
    };
    let mut p = Vec::new();
    legacy.encode_for_signing(&mut p);
    payloads.push(p);

    let erc20 = TxEip1559 {
        chain_id: 1,
        nonce: 1,
        gas_limit: 60_000,
        max_fee_per_gas: 30_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::from(targets[3])),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from([&hex!("a9059cbb")[..], &[0u8; 12], &targets[0], &[0u8; 31], &[7u8]].concat()),
    };
    let mut p = Vec::new();
    erc20.encode_for_signing(&mut p);
    payloads.push(p);

    let mut differences = Vec::new();
    for payload in &payloads {
        let tx = DecodedTx::decode(payload).unwrap();
        let mut model = transaction(&TxReview::of(&tx, from, keccak256(payload), None)).unwrap();
        model.extend([reject_transaction(), transaction_decided(false)]);
        let shown = real_review(&real, &api, payload);
        if model != shown {
            differences.push(format!("{}:\n  model {model:?}\n  real  {shown:?}", hex::encode(payload)));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
#[ignore = "needs a real app-ethereum 1.22.0 under Speculos: SPECULOS_APDU=host:port SPECULOS_API=http://host:port"]
fn the_address_and_message_screens_are_the_real_apps() {
    use alloy_primitives::Address;
    use bounded_signer::ledger_screens::{
        address, address_cancel, address_decided, message_decided, reject_message, typed_message,
    };

    let _turn = REAL_APP.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let real = std::env::var("SPECULOS_APDU").expect("SPECULOS_APDU=host:port of a real Speculos");
    let api = std::env::var("SPECULOS_API").expect("SPECULOS_API=http://host:port of its REST API");
    set_blind_signing(&real, &api, true);
    let from = Address::from(hex!("Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"));
    let (shown, answer) = real_walk(&real, &api, apdu([0xe0, 0x02, 0x01, 0x00], &PATH));
    assert_eq!(answer, hex!("6985"));
    let mut model = address(from);
    model.extend([address_cancel(), address_decided(false)]);
    assert_eq!(model, shown);

    let (domain, message) = ([0x1au8; 32], [0xc3u8; 32]);
    let data = [&PATH[..], &domain, &message].concat();
    let (shown, answer) = real_walk(&real, &api, apdu([0xe0, 0x0c, 0x00, 0x00], &data));
    assert_eq!(answer, hex!("6985"));
    let mut model = typed_message(&domain, &message);
    model.extend([reject_message(), message_decided(false)]);
    assert_eq!(model, shown);
}
