//! The real client (`EthApp`) against the emulated app, in process: the same bytes as over TCP.

use alloy_consensus::{SignableTransaction, TxLegacy};
use alloy_primitives::{Address, Bytes, TxKind, U256, hex};

use super::*;
use crate::device::apdu::{MAX_DATA, VRule};
use crate::device::transport::{Exchange, TransportError};
use crate::device::{DeviceError, EthApp};
use crate::emulator::SPECULOS_MNEMONIC;

struct InProcess(EmulatorApp);

impl Exchange for InProcess {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        match self.0.handle(apdu) {
            Outcome::Answer(a) => Ok(a),
            Outcome::Disconnect => Err(TransportError::Disconnected("fault".into())),
        }
    }
}

/// The settings with "Raw messages" off, as on a fresh device.
fn blind_only(blind_signing: bool) -> Settings {
    Settings { blind_signing, verbose_eip712: false }
}

fn app(blind: bool, approve: Approve, fault: Option<Fault>) -> EthApp<InProcess> {
    let keys = Keys::from_mnemonic(SPECULOS_MNEMONIC).unwrap();
    EthApp::new(InProcess(EmulatorApp::new(keys, blind_only(blind), approve, fault, Arc::default())))
}

const SPECULOS_0: &str = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";

fn path() -> DerivationPath {
    DerivationPath::default_account()
}

#[test]
fn configuration_and_address_match_speculos_1_22_0() {
    let mut a = app(false, Approve::Auto, None);
    let c = a.app_configuration().unwrap();
    assert_eq!((c.flags, c.version), (0x02, (1, 22, 0)), "fresh Speculos: blind signing off");
    let got = a.address(&path(), false).unwrap();
    assert_eq!(got.address.to_checksum(None), SPECULOS_0);
    // §3.11: the public key, byte for byte.
    assert_eq!(
        got.public_key,
        hex!(
            "04ef5b152e3f15eb0c50c9916161c2309e54bd87b9adce722d69716bcdef85f547678e15ab40a78919c7284e67a17ee9a96e8b9886b60f767d93023bac8dbc16e4"
        )
    );
}

#[test]
fn raw_answers_have_the_apps_layout() {
    let mut e = InProcess(EmulatorApp::new(
        Keys::from_mnemonic(SPECULOS_MNEMONIC).unwrap(),
        blind_only(false),
        Approve::Auto,
        None,
        Arc::default(),
    ));
    assert_eq!(e.exchange(&hex!("e006000000")).unwrap(), hex!("020116009000"));
    assert_eq!(e.exchange(&hex!("e0060000")).unwrap(), hex!("020116009000"), "no Lc reads as Lc 0");
    // A wrong Lc: 6A87 with the I/O buffer as data, the request over the previous answer for
    // that answer's length (measured on the real app; §5.5 and tests/real_app.rs).
    assert_eq!(e.exchange(&hex!("e00600000004")).unwrap(), hex!("e006000000046a87"), "a trailing Le");
    let mut short = hex!("e002000020").to_vec();
    short.extend([0u8; 21]);
    assert_eq!(e.exchange(&hex!("e0ff000000")).unwrap(), hex!("6d00"));
    assert_eq!(e.exchange(&short).unwrap(), hex!("e0026a87"), "after a 2-byte answer, 2 bytes");
    assert_eq!(e.exchange(&hex!("e0ff000000")).unwrap(), hex!("6d00"));
    assert_eq!(e.exchange(&hex!("e1060000 00")).unwrap(), hex!("6e00"));
    assert_eq!(e.exchange(&hex!("b001000000")).unwrap(), hex!("0108457468657265756d06312e32322e3001009000"));
    // Path outside 44'/60': 6A15. Eleven levels: 6A80. Bad P1: 6B00. Continuation with no first chunk: 6980.
    assert_eq!(
        e.exchange(&hex!("e002000015058000002c80000001800000000000000000000000")).unwrap(),
        hex!("6a15")
    );
    let mut eleven = vec![0xe0, 0x02, 0, 0, 45, 11];
    eleven.extend([0u8; 44]);
    assert_eq!(e.exchange(&eleven).unwrap(), hex!("6a80"));
    assert_eq!(e.exchange(&hex!("e004010000")).unwrap(), hex!("6b00"));
    assert_eq!(e.exchange(&hex!("e004800001c0")).unwrap(), hex!("6980"));
    // Type 3 (blob) is not signed: 6501.
    assert_eq!(
        e.exchange(&hex!("e004000017058000002c8000003c80000000000000000000000003c0")).unwrap(),
        hex!("6501")
    );
}

/// eth-account's signatures (tests/vectors/transactions.json) for every type, from the emulator.
#[test]
fn signatures_are_byte_identical_to_eth_account() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/vectors/transactions.json")).unwrap();
    let mut a = app(true, Approve::Auto, None);
    let mut checked = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let Some(r) = v["r"].as_str() else { continue };
        let name = v["name"].as_str().unwrap();
        let payload = hex::decode(v["unsigned_payload"].as_str().unwrap()).unwrap();
        let tx = DecodedTx::decode(&payload).unwrap();
        let rule = match (tx.tx_type(), tx.chain_id()) {
            (TxType::Legacy, Some(chain)) => VRule::Eip155 { chain_id: chain },
            // The real app never signs a pre-EIP-155 payload as such: it waits for a tail
            // (see `a_pre_155_payload_waits_for_its_tail`).
            (TxType::Legacy, None) => continue,
            _ => VRule::Typed,
        };
        let sig = a.sign_payload(&path(), &payload, rule, MAX_DATA).unwrap();
        assert_eq!(format!("{:#066x}", sig.r()), r, "{name}");
        assert_eq!(format!("{:#066x}", sig.s()), v["s"].as_str().unwrap(), "{name}");
        let v_expected: U256 = v["v"].as_str().unwrap().parse().unwrap();
        let v_ours = match rule {
            VRule::Eip155 { chain_id } => crate::device::apdu::eip155_v(chain_id, sig.v()),
            VRule::Legacy27 => U256::from(27 + u64::from(sig.v())),
            VRule::Typed => U256::from(u64::from(sig.v())),
        };
        assert_eq!(v_ours, v_expected, "{name}");
        let recovered = sig.recover_address_from_prehash(&tx.signing_hash()).unwrap();
        assert_eq!(recovered.to_checksum(None), SPECULOS_0, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 7);
}

fn legacy(chain_id: u64, nonce: u64) -> Vec<u8> {
    let tx = TxLegacy {
        chain_id: Some(chain_id),
        nonce,
        gas_price: 1,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0xde)),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let mut out = Vec::new();
    tx.encode_for_signing(&mut out);
    out
}

/// The chain ids where alloy-signer-ledger misreads the wrapped v byte (§7.3), 137, and chain
/// ids past 2^32 and 2^53: both parities of each recover the signer.
#[test]
fn v_is_rebuilt_right_for_every_chain_id() {
    let mut a = app(false, Approve::Auto, None);
    let want: Address = SPECULOS_0.parse().unwrap();
    for chain in [1u64, 110, 111, 250, 137, 8453, 11_155_111, (1 << 32) + 1, (1 << 53) + 3, u64::MAX / 2] {
        let mut parities = [false; 2];
        for nonce in 0..16 {
            let payload = legacy(chain, nonce);
            let tx = DecodedTx::decode(&payload).unwrap();
            let sig = a.sign_payload(&path(), &payload, VRule::Eip155 { chain_id: chain }, MAX_DATA).unwrap();
            assert_eq!(
                sig.recover_address_from_prehash(&tx.signing_hash()).unwrap(),
                want,
                "chain {chain} nonce {nonce}"
            );
            parities[usize::from(sig.v())] = true;
        }
        assert_eq!(parities, [true, true], "chain {chain}: both parities exercised");
    }
}

#[test]
fn chunking_and_the_protocol_minimum() {
    let mut a = app(true, Approve::Auto, None);
    for data_len in [0usize, 200, 234, 235, 489, 490, 2000] {
        let tx = TxLegacy {
            chain_id: Some(1),
            nonce: 1,
            gas_price: 1,
            gas_limit: 1,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::ZERO,
            input: vec![0xab; data_len].into(),
        };
        let mut payload = Vec::new();
        tx.encode_for_signing(&mut payload);
        a.reset_stats();
        a.sign_payload(&path(), &payload, VRule::Eip155 { chain_id: 1 }, MAX_DATA).unwrap();
        assert_eq!(a.stats().apdus, (21 + payload.len()).div_ceil(255), "data {data_len}");
        // The pre-1.13 legacy-safe size works too (the emulator, like 1.22.0, takes any chunking).
        let total = 21 + payload.len();
        let cs = crate::device::apdu::legacy_safe_chunk_size(total, crate::device::apdu::eip155_tail_len(1));
        a.sign_payload(&path(), &payload, VRule::Eip155 { chain_id: 1 }, cs).unwrap();
    }
}

#[test]
fn refusals_map_to_device_errors() {
    let payload = hex::decode("02f30180843b9aca008504a817c80082520894000000000000000000000000000000000000dead872386f26fc1000084deadbeefc0").unwrap();
    assert_eq!(
        app(false, Approve::Auto, None).sign_payload(&path(), &payload, VRule::Typed, MAX_DATA),
        Err(DeviceError::IncorrectData),
        "calldata with blind signing off"
    );
    assert_eq!(
        app(true, Approve::Reject, None).sign_payload(&path(), &payload, VRule::Typed, MAX_DATA),
        Err(DeviceError::Rejected)
    );
    assert_eq!(
        app(true, Approve::Auto, Some(Fault::Locked)).app_configuration(),
        Err(DeviceError::Locked(0x5515))
    );
    assert_eq!(
        app(true, Approve::Auto, Some(Fault::WrongApp)).app_configuration(),
        Err(DeviceError::WrongApp(0x6E00))
    );
    assert!(matches!(
        app(true, Approve::Auto, Some(Fault::Garbage)).address(&path(), false),
        Err(DeviceError::BadAnswer(_))
    ));
    assert!(matches!(
        app(true, Approve::Auto, Some(Fault::DisconnectAfter(1))).sign_payload(
            &path(),
            &payload,
            VRule::Typed,
            30
        ),
        Err(DeviceError::Transport(TransportError::Disconnected(_)))
    ));
    // A wrong-key signature is well formed; it recovers to someone else.
    let tx = DecodedTx::decode(&payload).unwrap();
    let sig = app(true, Approve::Auto, Some(Fault::WrongSignature))
        .sign_payload(&path(), &payload, VRule::Typed, MAX_DATA)
        .unwrap();
    assert_ne!(sig.recover_address_from_prehash(&tx.signing_hash()).unwrap().to_checksum(None), SPECULOS_0);
}

#[test]
fn personal_message_and_eip712_match_the_fact_sheet() {
    let mut a = app(true, Approve::Auto, None);
    // §3.5: "hello" → v 0x1c, r 78102957…, s 59eefea2…
    let sig = a.sign_personal_message(&path(), b"hello").unwrap();
    assert!(sig.v(), "v = 28");
    assert!(format!("{:x}", sig.r()).starts_with("78102957"));
    assert!(format!("{:x}", sig.s()).starts_with("59eefea2"));
    let domain = alloy_primitives::B256::repeat_byte(1);
    let message = alloy_primitives::B256::repeat_byte(2);
    let sig = a.sign_eip712_hashed(&path(), domain, message).unwrap();
    let mut pre = vec![0x19, 0x01];
    pre.extend_from_slice(domain.as_slice());
    pre.extend_from_slice(message.as_slice());
    let who = sig.recover_address_from_prehash(&keccak256(&pre)).unwrap();
    assert_eq!(who.to_checksum(None), SPECULOS_0);
    assert_eq!(
        app(false, Approve::Auto, None).sign_eip712_hashed(&path(), domain, message),
        Err(DeviceError::IncorrectData)
    );
}

fn raw(blind: bool) -> InProcess {
    InProcess(EmulatorApp::new(
        Keys::from_mnemonic(SPECULOS_MNEMONIC).unwrap(),
        blind_only(blind),
        Approve::Auto,
        None,
        Arc::default(),
    ))
}

/// `E0 04` chunks of `path ‖ payload`, the first `first` bytes of the payload in chunk 0.
fn chunks(payload: &[u8], first: usize) -> Vec<Vec<u8>> {
    let mut data = path().to_apdu_bytes();
    let (head, rest) = payload.split_at(first.min(payload.len()));
    data.extend_from_slice(head);
    let mut out = vec![[&[0xe0, 0x04, 0x00, 0x00, u8::try_from(data.len()).unwrap()][..], &data].concat()];
    for c in rest.chunks(255) {
        out.push([&[0xe0, 0x04, 0x80, 0x00, u8::try_from(c.len()).unwrap()][..], c].concat());
    }
    out
}

fn call_1559(value: U256, data: Vec<u8>) -> Vec<u8> {
    let tx = alloy_consensus::TxEip1559 {
        chain_id: 1,
        nonce: 0,
        gas_limit: 21_000,
        // 21,000 × 50 gwei: the "Max fees 0.00105 ETH" of the fact sheet's measurement.
        max_fee_per_gas: 50_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0xde)),
        value,
        access_list: Default::default(),
        input: data.into(),
    };
    let mut payload = Vec::new();
    tx.encode_for_signing(&mut payload);
    payload
}

/// Blind signing off: refused on the chunk where the calldata starts (§5.5), not on the last.
#[test]
fn blind_signing_off_is_refused_where_the_calldata_starts() {
    let payload = call_1559(U256::ZERO, vec![0xab; 600]);
    // 255-byte chunks: the calldata starts in chunk 0, which is refused outright.
    let mut e = raw(false);
    let answers: Vec<Vec<u8>> = chunks(&payload, 234).iter().map(|c| e.exchange(c).unwrap()).collect();
    assert_eq!(answers[0], hex!("6a80"));
    // Path and 8 tx bytes first: chunk 0 is accepted, chunk 1 (where the calldata starts) is not.
    let mut e = raw(false);
    let c = chunks(&payload, 8);
    assert_eq!(e.exchange(&c[0]).unwrap(), hex!("9000"));
    assert_eq!(e.exchange(&c[1]).unwrap(), hex!("6a80"));
    // With blind signing on the same chunks sign.
    let mut e = raw(true);
    let c = chunks(&payload, 8);
    let last = c.iter().map(|c| e.exchange(c).unwrap()).last().unwrap();
    assert_eq!((last.len(), &last[65..]), (67, &hex!("9000")[..]));
}

/// Amounts the app cannot format are 6807, a boundary of the formatted length (§5.5).
#[test]
fn amounts_beyond_the_screen_buffer_are_6807() {
    let ten = |k: usize| U256::from(10).pow(U256::from(k));
    for (value, signs) in [
        (ten(40), true),
        (ten(47), true),
        (ten(48), false),
        (ten(45) - U256::from(1), false),
        (U256::from(2).pow(U256::from(154)), false),
        (U256::MAX, false),
    ] {
        let payload = call_1559(value, vec![]);
        let mut e = raw(true);
        let answer = chunks(&payload, 234).iter().map(|c| e.exchange(c).unwrap()).last().unwrap();
        if signs {
            assert_eq!(answer.len(), 67, "{value}");
        } else {
            assert_eq!(answer, hex!("6807"), "{value}");
        }
    }
    assert_eq!(
        DeviceError::from_status(0x6807).to_string(),
        "the device cannot display this amount (status 6807)"
    );
}

/// A pre-EIP-155 payload is not complete for the app: it waits, and signs a `1b 80 80` tail as
/// chain 27 over every byte it was sent (§5.5).
#[test]
fn a_pre_155_payload_waits_for_its_tail() {
    let tx = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 1,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0xde)),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let mut payload = Vec::new();
    tx.encode_for_signing(&mut payload);
    let mut e = raw(true);
    assert_eq!(e.exchange(&chunks(&payload, 234)[0]).unwrap(), hex!("9000"), "it waits");
    let answer = e.exchange(&hex!("e004800003 1b8080")).unwrap();
    assert_eq!(answer.len(), 67);
    let mut signed_bytes = payload.clone();
    signed_bytes.extend(hex!("1b8080"));
    let parity = answer[0].wrapping_sub(crate::device::apdu::eip155_v_base_byte(27)) == 1;
    let sig = alloy_primitives::Signature::from_bytes_and_parity(&answer[1..65], parity);
    let who = sig.recover_address_from_prehash(&keccak256(&signed_bytes)).unwrap();
    assert_eq!(who.to_checksum(None), SPECULOS_0);
}

#[test]
fn eip712_full_mode_is_6980_and_7702_authorizations_are_refused_as_measured() {
    let mut e = raw(true);
    let mut data = path().to_apdu_bytes();
    data.extend([0u8; 64]);
    let apdu = [&[0xe0, 0x0c, 0x00, 0x01, u8::try_from(data.len()).unwrap()][..], &data].concat();
    assert_eq!(e.exchange(&apdu).unwrap(), hex!("6980"), "no struct definitions were sent");
    assert_eq!(
        e.exchange(&hex!("e01c00000c454950373132446f6d61696e")).unwrap(),
        hex!("6980"),
        "no definitions"
    );
    assert_eq!(e.exchange(&hex!("e034000000")).unwrap(), hex!("6a80"), "no data");
    let mut first = hex!("e034010015").to_vec();
    first.extend(path().to_apdu_bytes());
    assert_eq!(e.exchange(&first).unwrap(), hex!("6a00"), "no TLV length");
    let mut garbage = hex!("e034010019").to_vec();
    garbage.extend(path().to_apdu_bytes());
    garbage.extend(hex!("00020000"));
    assert_eq!(e.exchange(&garbage).unwrap(), hex!("6a80"), "a TLV that is no authorization");
    first[2] = 0;
    assert_eq!(e.exchange(&first).unwrap(), hex!("6a00"), "not a first chunk");
}

fn screen_texts(ui: &Ui) -> Vec<String> {
    ui.events_json(false)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

/// The recorded real app's full-mode exchanges, replayed: every answer and every screen, in all
/// three settings (tests/vectors/eip712_full_release_approval.json).
#[test]
fn eip712_full_mode_answers_and_shows_what_the_real_app_did() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/vectors/eip712_full_release_approval.json"))
            .unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let settings = Settings {
            blind_signing: case["blind_signing"].as_bool().unwrap(),
            verbose_eip712: case["raw_messages"].as_bool().unwrap(),
        };
        let ui: Arc<Ui> = Arc::default();
        let keys = Keys::from_mnemonic(SPECULOS_MNEMONIC).unwrap();
        let mut e = InProcess(EmulatorApp::new(keys, settings, Approve::Auto, None, ui.clone()));
        ui.clear();
        for x in case["exchanges"].as_array().unwrap() {
            let command = hex::decode(x["command"].as_str().unwrap()).unwrap();
            let expected =
                hex::decode(format!("{}{}", x["response"].as_str().unwrap(), x["status"].as_str().unwrap()))
                    .unwrap();
            assert_eq!(hex::encode(e.exchange(&command).unwrap()), hex::encode(expected), "{settings:?} {x}");
        }
        // The recording sampled the current screen, so a screen that stayed shows twice.
        let mut recorded: Vec<Vec<String>> = serde_json::from_value(case["screens"].clone()).unwrap();
        recorded.dedup();
        let mut shown = screen_texts(&ui);
        if case["exchanges"].as_array().unwrap().last().unwrap()["status"] == "9000" {
            assert_eq!(
                shown.split_off(shown.len() - 2),
                ["Ethereum", "app is ready"],
                "home after the decision"
            );
        }
        assert_eq!(shown, recorded.concat(), "{settings:?}");
    }
}

/// The client's full-mode commands are the recorded ones, and what the host predicts the device
/// shows is what it shows.
#[test]
fn the_client_sends_the_recorded_commands_and_predicts_the_screens() {
    use crate::device::eip712::{definition, implementation, release_approval};
    use firmware_policy::release_approval::ReleaseSubject;
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/vectors/eip712_full_release_approval.json"))
            .unwrap();
    let subject = ReleaseSubject {
        manifest_hash: firmware_policy::ManifestHash(
            "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f".parse().unwrap(),
        ),
        release: "box v2".into(),
        chain_id: 1,
        not_before: 1_700_000_000,
        expires_at: 4_000_000_000,
    };
    let structs = release_approval(&subject);
    let sent: Vec<String> = structs
        .iter()
        .flat_map(definition)
        .chain(structs.iter().flat_map(implementation))
        .map(|c| hex::encode(c.to_bytes()))
        .collect();
    let case = &doc["cases"][1];
    let recorded: Vec<String> = case["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["command"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent, recorded[..recorded.len() - 1], "every command but the signature's");
    // The type string the device hashes is the one the policy core signs.
    let encode_type = format!(
        "ReleaseApproval({})",
        structs[1]
            .fields
            .iter()
            .map(|f| format!("{} {}", f.ty.sol_name(), f.key))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert_eq!(encode_type, <firmware_policy::release_approval::ReleaseApproval as alloy_sol_types::SolStruct>::eip712_encode_type());
    for case in &doc["cases"].as_array().unwrap()[1..] {
        let verbose = case["raw_messages"].as_bool().unwrap();
        let predicted = crate::ledger_screens::release_approval_review(&subject, verbose);
        let mut recorded: Vec<Vec<String>> = serde_json::from_value(case["screens"].clone()).unwrap();
        recorded.pop(); // "Message signed"
        assert_eq!(predicted, recorded, "raw messages {verbose}");
    }
}

/// eth-account's approvals (tests/vectors/approvals.json), signed by the emulator in full mode
/// with either setting and in hashed mode: byte-identical; with neither setting, refused before
/// anything is signed.
#[test]
fn approvals_sign_byte_identical_to_eth_account_in_both_modes() {
    use crate::device::eip712::release_approval;
    use firmware_policy::release_approval::ReleaseSubject;
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/vectors/approvals.json")).unwrap();
    for v in doc["vectors"].as_array().unwrap() {
        let s = &v["subject"];
        let subject = ReleaseSubject {
            manifest_hash: firmware_policy::ManifestHash(
                s["manifestHash"].as_str().unwrap().parse().unwrap(),
            ),
            release: s["release"].as_str().unwrap().into(),
            chain_id: s["chainId"].as_u64().unwrap(),
            not_before: s["notBefore"].as_u64().unwrap(),
            expires_at: s["expiresAt"].as_u64().unwrap(),
        };
        let path = DerivationPath::parse(v["path"].as_str().unwrap()).unwrap();
        let expected = v["signature_bytes"].as_str().unwrap();
        let rsv = |sig: alloy_primitives::Signature| {
            let mut b = sig.as_bytes();
            b[64] = 27 + u8::from(sig.v());
            format!("0x{}", hex::encode(b))
        };
        for verbose_eip712 in [false, true] {
            let keys = Keys::from_mnemonic(SPECULOS_MNEMONIC).unwrap();
            let settings = Settings { blind_signing: !verbose_eip712, verbose_eip712 };
            let mut a =
                EthApp::new(InProcess(EmulatorApp::new(keys, settings, Approve::Auto, None, Arc::default())));
            let sig = a.sign_eip712_full_unchecked(&path, &release_approval(&subject)).unwrap();
            assert_eq!(rsv(sig), expected, "full mode, {settings:?}");
            if !verbose_eip712 {
                let h = subject.hashes();
                let sig = a.sign_eip712_hashed(&path, h.domain_separator, h.message_hash).unwrap();
                assert_eq!(rsv(sig), expected, "hashed mode");
            }
        }
        let mut off = app(false, Approve::Auto, None);
        assert_eq!(
            off.sign_eip712_full_unchecked(&path, &release_approval(&subject)),
            Err(DeviceError::TypedDataRefused)
        );
    }
}

#[test]
fn the_screens_are_the_real_apps() {
    let ui: Arc<Ui> = Arc::default();
    let keys = Keys::from_mnemonic(SPECULOS_MNEMONIC).unwrap();
    let mut a =
        EthApp::new(InProcess(EmulatorApp::new(keys, blind_only(true), Approve::Auto, None, ui.clone())));
    let payload = call_1559(U256::from(1_250_000_000_000_000_000u128), vec![]);
    ui.clear();
    a.sign_payload(&path(), &payload, VRule::Typed, MAX_DATA).unwrap();
    let texts: Vec<String> = ui.events_json(false)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    // Titles, values and their order as the real app showed them for this transaction (measured
    // under Speculos, 2026-12-01). The device wraps by pixel width, the emulator at 18
    // characters, so lines are compared joined.
    let expected = [
        "Review transaction",
        "From",
        "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D",
        "Amount",
        "1.25 ETH",
        "To",
        "0xdEDEDEDEdEdEdEDedEDeDedEdEdeDedEdEDedEdE",
        "Max fees",
        "0.00105 ETH",
        "Sign transaction",
        "Transaction signed",
        "Ethereum",
        "app is ready",
    ];
    assert_eq!(texts.concat(), expected.concat());
    assert!(texts.iter().all(|l| l.len() <= 18), "{texts:?}");
}

/// The streaming header reader agrees with alloy's decoder on every complete header.
#[test]
fn the_streaming_header_reader_agrees_with_alloy() {
    let mut cases: Vec<Vec<u8>> = vec![vec![0x00], vec![0x7f], vec![0x80], vec![0x81, 0x80], vec![0xc0]];
    for len in [1usize, 55, 56, 255, 256, 70_000] {
        let mut s = Vec::new();
        alloy_rlp::Encodable::encode(&Bytes::from(vec![0xaa; len]), &mut s);
        cases.push(s);
        let mut l = Vec::new();
        alloy_rlp::Header { list: true, payload_length: len }.encode(&mut l);
        l.extend(vec![0x01; len]);
        cases.push(l);
    }
    for case in cases {
        let mut buf = &case[..];
        let h = alloy_rlp::Header::decode(&mut buf).unwrap();
        let header_len = case.len() - buf.len();
        assert_eq!(
            stream_header(&case),
            Some((header_len, h.payload_length, h.list)),
            "{:x?}",
            &case[..4.min(case.len())]
        );
        // And it needs only the header bytes.
        assert_eq!(stream_header(&case[..header_len.max(1)]), Some((header_len, h.payload_length, h.list)));
    }
    assert_eq!(stream_header(&[0xb9, 0x01]), None, "length bytes still to come");
}
