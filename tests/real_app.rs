//! The emulator against the real app-ethereum 1.22.0, byte for byte, for the APDU sequences of
//! ledger-protocol.md §5.5 that need no button press. Opt-in: a developer builds the real app and
//! starts Speculos by hand (§5.5 says how; nothing of the app is in this repository), then runs
//!
//! ```sh
//! SPECULOS_APDU=127.0.0.1:9999 cargo test --test real_app -- --ignored
//! ```
//!
//! Speculos starts with blind signing off, so the emulator is started the same way. Never in CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy_primitives::{U256, hex};
use bounded_signer::device::speculos::SpeculosTransport;
use bounded_signer::device::transport::Exchange;
use bounded_signer::emulator::{Emulator, EmulatorConfig};

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
        // Last: it leaves the app waiting for a tail.
        ("pre-EIP-155 payload waits", vec![pre_155]),
    ]
}

#[test]
#[ignore = "needs a real app-ethereum 1.22.0 under Speculos: set SPECULOS_APDU=host:port"]
fn the_emulator_answers_as_the_real_app() {
    let real = std::env::var("SPECULOS_APDU").expect("SPECULOS_APDU=host:port of a real Speculos");
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
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
