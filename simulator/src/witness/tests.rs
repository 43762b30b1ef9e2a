// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

fn sample() -> Witness {
    Witness {
        header: vec![0xc0],
        timestamp: 1_800_000_012,
        accounts: vec![
            AccountProof {
                address: Address::with_last_byte(1),
                state: Some(AccountState {
                    nonce: 3,
                    balance: U256::from(7),
                    storage_root: B256::with_last_byte(9),
                    code_hash: keccak256([0x60, 0x00]),
                }),
                proof: vec![vec![0xc1, 0x80], vec![0x81, 0x02]],
                storage: vec![
                    SlotProof {
                        slot: B256::with_last_byte(1),
                        value: U256::from(5),
                        proof: vec![vec![0xc0]],
                    },
                    SlotProof { slot: B256::with_last_byte(2), value: U256::ZERO, proof: vec![] },
                ],
            },
            AccountProof {
                address: Address::with_last_byte(2),
                state: None,
                proof: vec![vec![0x80]],
                storage: vec![],
            },
        ],
        codes: vec![vec![0x60, 0x00]],
        block: BlockBody { transactions: vec![vec![0x02, 0xc0]], receipts: vec![vec![0x02, 0xc1]] },
    }
}

fn problem(bytes: &[u8]) -> FormatProblem {
    Witness::from_bytes(bytes).expect_err("must be refused").problem
}

#[test]
fn a_witness_round_trips_and_starts_with_its_format() {
    let w = sample();
    let bytes = w.to_bytes();
    assert_eq!(Witness::from_bytes(&bytes).unwrap(), w);
    // map(2), key 0, text(25) "bounded-signer/witness/v1"
    assert_eq!(bytes[..4], [0xa2, 0x00, 0x78, 25]);
    assert_eq!(&bytes[4..29], FORMAT_V1.as_bytes());
}

#[test]
fn what_is_not_the_one_encoding_is_refused() {
    let good = sample().to_bytes();
    let mut v = good.clone();
    v.push(0);
    assert!(matches!(problem(&v), FormatProblem::Malformed(_)));
    assert!(matches!(
        problem(&good[..good.len() - 1]),
        FormatProblem::Malformed(_) | FormatProblem::OverLimit(_)
    ));
    // The timestamp written in a longer head than it needs (0x1a → 0x1b, 8 bytes).
    let at = good.windows(5).position(|w| w == [0x82, 0x01, 0x1a, 0x6b, 0x49]).expect("timestamp entry");
    let mut v = good.clone();
    v.splice(at + 2..at + 7, [0x1b, 0, 0, 0, 0, 0x6b, 0x49, 0xd2, 0x0c]);
    assert_eq!(problem(&v), FormatProblem::NotCanonical);
    // Another format.
    let mut v = good;
    v[4 + 24] = b'2';
    assert_eq!(problem(&v), FormatProblem::UnknownFormat);
}

#[test]
fn kinds_are_known_ordered_and_counted() {
    let good = sample().to_bytes();
    // The receipt entry's kind (5) made 6: unknown, refused, never skipped.
    let at = good.windows(2).rposition(|w| w == [0x82, 0x05]).expect("receipt entry");
    let mut v = good;
    v[at + 1] = 0x06;
    assert_eq!(problem(&v), FormatProblem::UnknownKind(6));
    // The receipt's kind made 0 (a second header, out of order).
    v[at + 1] = 0x00;
    assert_eq!(problem(&v), FormatProblem::NotCanonical);
    // Accounts out of order; slots out of order; codes twice; receipts missing.
    let mut w = sample();
    w.accounts.reverse();
    assert!(matches!(w.validate().unwrap_err().problem, FormatProblem::Rule(_)));
    let mut w = sample();
    w.accounts[0].storage.reverse();
    assert!(matches!(w.validate().unwrap_err().problem, FormatProblem::Rule(_)));
    let mut w = sample();
    w.codes.push(vec![0x60, 0x00]);
    assert!(matches!(w.validate().unwrap_err().problem, FormatProblem::Rule(_)));
    let mut w = sample();
    w.block.receipts.clear();
    assert!(matches!(w.validate().unwrap_err().problem, FormatProblem::Rule(_)));
    // An absent account with a storage value.
    let mut w = sample();
    w.accounts[1].storage.push(SlotProof { slot: B256::ZERO, value: U256::from(1), proof: vec![] });
    assert!(matches!(w.validate().unwrap_err().problem, FormatProblem::Rule(_)));
}

#[test]
fn limits_are_enforced_before_anything_is_allocated() {
    // A proof claiming 2^32 nodes in a few bytes.
    let good = sample().to_bytes();
    let at = good.windows(2).position(|w| w == [0x02, 0x82]).expect("key 2, the 2-node proof");
    let mut v = good.clone();
    v.splice(at + 1..at + 2, [0x9a, 0xff, 0xff, 0xff, 0xff]);
    assert!(matches!(problem(&v), FormatProblem::OverLimit(_)));
    // A byte string claiming more than what is left.
    let mut v = good;
    let at = v.windows(2).position(|w| w == [0x41, 0xc0]).expect("the header bytes(1)");
    v[at] = 0x5a;
    v.splice(at + 1..at + 1, [0x00, 0x10, 0x00, 0x00]);
    assert!(matches!(problem(&v), FormatProblem::OverLimit(_)));
    let mut big = vec![0u8; MAX_WITNESS_BYTES + 1];
    big[0] = 0xa2;
    assert_eq!(problem(&big), FormatProblem::TooLarge);
}

proptest! {
    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Witness::from_bytes(&bytes);
    }

    #[test]
    fn any_byte_flip_is_refused_or_decodes_to_another_witness(index in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let w = sample();
        let mut bytes = w.to_bytes();
        let i = index.index(bytes.len());
        bytes[i] ^= flip;
        if let Ok(other) = Witness::from_bytes(&bytes) {
            prop_assert_ne!(other, w);
        }
    }
}
