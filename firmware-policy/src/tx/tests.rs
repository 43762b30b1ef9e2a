extern crate std;

use alloc::vec;

use alloy_consensus::SignableTransaction;
use alloy_primitives::{address, hex};
use proptest::prelude::*;

use super::*;

fn eip1559() -> TxEip1559 {
    TxEip1559 {
        chain_id: 1,
        nonce: 7,
        gas_limit: 21_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(address!("0x000000000000000000000000000000000000dEaD")),
        value: U256::from(10_000_000_000_000_000u64),
        access_list: Default::default(),
        input: Bytes::from(vec![1, 2, 3, 4]),
    }
}

fn payload<T: SignableTransaction<Signature>>(tx: &T) -> Vec<u8> {
    let mut out = Vec::new();
    tx.encode_for_signing(&mut out);
    out
}

#[test]
fn ledger_fact_sheet_vector() {
    // ledger-protocol.md §3.11: EIP-1559 transfer, chain 1, nonce 0, to 0x…dEaD, 0.01 ETH.
    let bytes = hex!(
        "02ef0180843b9aca008504a817c80082520894000000000000000000000000000000000000dead872386f26fc1000080c0"
    );
    let tx = DecodedTx::decode(&bytes).expect("decodes");
    assert_eq!(tx.tx_type(), TxType::Eip1559);
    assert_eq!(tx.signing_payload(), &bytes[..]);
    assert_eq!(
        tx.signing_hash(),
        B256::from(hex!("c4005726b788e9edf31b27be50b68a047fb1a2e475dac9161f169afe77b777c2"))
    );
    assert_eq!(tx.value(), U256::from(10_000_000_000_000_000u64));
}

#[test]
fn legacy_eip155_chain_137_from_the_fact_sheet() {
    let bytes =
        hex!("ec808506fc23ac0082520894000000000000000000000000000000000000dead872386f26fc100008081898080");
    let tx = DecodedTx::decode(&bytes).expect("decodes");
    assert_eq!(tx.chain_id(), Some(137));
    assert_eq!(tx.form(), TxForm::Unsigned);
    assert_eq!(tx.signing_payload(), &bytes[..]);
}

#[test]
fn unsigned_payload_round_trips_for_every_type() {
    let base = eip1559();
    let legacy = TxLegacy {
        chain_id: Some(5),
        nonce: base.nonce,
        gas_price: 3,
        gas_limit: base.gas_limit,
        to: base.to,
        value: base.value,
        input: base.input.clone(),
    };
    let pre155 = TxLegacy { chain_id: None, ..legacy.clone() };
    let cases: Vec<(Vec<u8>, TxType)> = vec![
        (payload(&legacy), TxType::Legacy),
        (payload(&pre155), TxType::Legacy),
        (payload(&base), TxType::Eip1559),
    ];
    for (bytes, ty) in cases {
        let tx = DecodedTx::decode(&bytes).expect("decodes");
        assert_eq!(tx.tx_type(), ty);
        assert_eq!(tx.signing_payload(), &bytes[..]);
        assert_eq!(tx.signing_hash(), keccak256(&bytes));
        assert_eq!(tx.input(), &[1, 2, 3, 4]);
    }
}

#[test]
fn trailing_bytes_are_refused_with_the_offset() {
    let mut bytes = payload(&eip1559());
    let len = bytes.len();
    bytes.push(0x00);
    let e = DecodedTx::decode(&bytes).expect_err("trailing");
    assert_eq!(e.kind, TxErrorKind::TrailingBytes);
    assert_eq!(e.offset, Some(len));
}

#[test]
fn non_canonical_rlp_is_refused() {
    // nonce 7 written as a one-byte string 0x8107 instead of 0x07.
    let good = payload(&eip1559());
    let mut bytes = good;
    // 0x02, list header (2 bytes for this size? compute), chain id 0x01, nonce 0x07
    let pos = bytes.iter().position(|b| *b == 0x07).expect("nonce");
    bytes.splice(pos..pos + 1, [0x81, 0x07]);
    // fix the list length byte (short list: 0xc0 + len)
    bytes[1] += 1;
    assert!(DecodedTx::decode(&bytes).is_err());
}

#[test]
fn unknown_types_and_junk_are_refused() {
    assert_eq!(DecodedTx::decode(&[]).expect_err("empty").kind, TxErrorKind::Empty);
    assert_eq!(
        DecodedTx::decode(&[0x05, 0xc0]).expect_err("type 5").kind,
        TxErrorKind::UnknownType { byte: 5 }
    );
    assert_eq!(DecodedTx::decode(&[0x80]).expect_err("string").kind, TxErrorKind::NotATransaction);
    let e = DecodedTx::decode(&hex!("c3010203")).expect_err("3 items");
    assert_eq!(e.kind, TxErrorKind::ItemCount { ty: TxType::Legacy, items: 3 });
    let e = DecodedTx::decode(&hex!("02c3010203")).expect_err("3 items");
    assert_eq!(e.kind, TxErrorKind::ItemCount { ty: TxType::Eip1559, items: 3 });
    assert_eq!(e.offset, Some(1));
}

#[test]
fn oversize_is_refused_before_decoding() {
    let big = vec![0xc0; crate::limits::MAX_TX_BYTES + 1];
    assert!(matches!(DecodedTx::decode(&big).expect_err("big").kind, TxErrorKind::TooLarge { .. }));
}

proptest! {
    #[test]
    fn prop_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = DecodedTx::decode(&bytes);
    }

    #[test]
    fn prop_accepted_input_is_its_own_canonical_form(
        nonce in any::<u64>(), gas in any::<u64>(), fee in any::<u128>(), value in any::<u128>(),
        data in proptest::collection::vec(any::<u8>(), 0..80), chain in 1u64..u64::MAX,
    ) {
        let tx = TxEip1559 { chain_id: chain, nonce, gas_limit: gas, max_fee_per_gas: fee,
            max_priority_fee_per_gas: fee / 2, value: U256::from(value), input: Bytes::from(data), ..eip1559() };
        let bytes = payload(&tx);
        let decoded = DecodedTx::decode(&bytes).expect("own encoding decodes");
        prop_assert_eq!(decoded.signing_payload(), &bytes[..]);
        prop_assert_eq!(decoded.nonce(), nonce);
        prop_assert_eq!(decoded.chain_id(), Some(chain));
    }

    #[test]
    fn prop_flipped_payload_never_decodes_to_the_same_hash(
        index in any::<prop::sample::Index>(), flip in 1u8..=255,
    ) {
        let bytes = payload(&eip1559());
        let mut changed = bytes.clone();
        let i = index.index(changed.len());
        changed[i] ^= flip;
        if let Ok(tx) = DecodedTx::decode(&changed) {
            prop_assert_eq!(tx.signing_payload(), &changed[..]);
            prop_assert_ne!(tx.signing_hash(), keccak256(&bytes));
        }
    }
}

/// A signed legacy transaction whose `s` happens to end in `80 80` is still a signed
/// transaction: the unsigned form is told apart by its last two *items*, not its last bytes.
#[test]
fn signed_legacy_with_s_ending_in_80_80_is_signed() {
    let tx = TxLegacy {
        chain_id: Some(1),
        nonce: 3,
        gas_price: 7,
        gas_limit: 21_000,
        to: TxKind::Call(address!("0x000000000000000000000000000000000000dEaD")),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let s = U256::from_be_slice(&hex!("1111111111111111111111111111111111111111111111111111111111118080"));
    let sig = Signature::new(U256::from(5), s, true);
    let mut raw = Vec::new();
    RlpEcdsaEncodableTx::rlp_encode_signed(&tx, &sig, &mut raw);
    assert!(raw.ends_with(&[0x80, 0x80]));
    let decoded = DecodedTx::decode(&raw).expect("decodes as a signed transaction");
    assert_eq!(decoded.form(), TxForm::Signed);
    assert_eq!(decoded.signature(), Some(&sig));
    assert_eq!(decoded.signing_payload(), payload(&tx));
}
