use alloc::vec;
use alloc::vec::Vec;

use alloy_primitives::{B256, keccak256};
use k256::ecdsa::SigningKey;

use super::*;

const HASH: B256 = B256::repeat_byte(0x5a);

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32].into()).expect("a key")
}

fn address(k: &SigningKey) -> Address {
    let point = k.verifying_key().to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

/// r ‖ s ‖ v over `digest`, with v = `offset` + parity.
fn entry(k: &SigningKey, digest: B256, offset: u8) -> Vec<u8> {
    let (sig, recid) = k.sign_prehash_recoverable(digest.as_slice()).expect("signs");
    let mut out = sig.to_bytes().to_vec();
    out.push(offset + u8::from(recid.is_y_odd()));
    out
}

fn typed(k: &SigningKey) -> Vec<u8> {
    entry(k, HASH, 27)
}

fn eth_sign(k: &SigningKey) -> Vec<u8> {
    entry(k, alloy_primitives::eip191_hash_message(HASH), 31)
}

fn by(owner: Address, v: u8, s: U256) -> Vec<u8> {
    let mut out = owner.into_word().to_vec();
    out.extend_from_slice(&s.to_be_bytes::<32>());
    out.push(v);
    out
}

/// Three owner keys, sorted by address.
fn owners() -> (Vec<SigningKey>, Vec<Address>) {
    let mut keys = vec![key(1), key(2), key(3)];
    keys.sort_by_key(address);
    let addresses = keys.iter().map(address).collect();
    (keys, addresses)
}

fn report(blob: &[u8], owners: &[Address], threshold: u64, executor: Address) -> BlobReport {
    evaluate(
        blob,
        &SafeContext {
            safe_tx_hash: HASH,
            owners,
            threshold,
            executor,
            approved_by: &[],
            approved_on_chain: &[],
        },
    )
}

fn standings(r: &BlobReport) -> Vec<&'static str> {
    r.entries
        .iter()
        .map(|e| match e.standing {
            Standing::Counted => "counted",
            Standing::CountedOnChain(_) => "counted on chain",
            Standing::NotCounted(_) => "not counted",
            Standing::Invalid(_) => "invalid",
        })
        .collect()
}

#[test]
fn sorted_owners_count_by_either_scheme_and_extra_entries_are_ignored() {
    let (keys, owners) = owners();
    let blob = [typed(&keys[0]), eth_sign(&keys[1]), vec![0xff; 65]].concat();
    let r = report(&blob, &owners, 2, Address::ZERO);
    assert_eq!(standings(&r), ["counted", "counted"]);
    assert_eq!(r.entries[0].owner, Some(owners[0]));
    assert_eq!((r.entries[0].kind, r.entries[1].kind), (EntryKind::Eip712, EntryKind::EthSign));
    assert_eq!(r.entries[1].owner, Some(owners[1]));
    assert_eq!(r.extra_entries, 1, "the garbage third entry is reported, never read");
    assert!(r.sufficient() && !r.any_invalid());
}

#[test]
fn unsorted_duplicated_and_foreign_owners_are_invalid() {
    let (keys, owners) = owners();
    let unsorted = [typed(&keys[1]), typed(&keys[0])].concat();
    assert_eq!(standings(&report(&unsorted, &owners, 2, Address::ZERO)), ["counted", "invalid"]);
    // After an entry out of order, a later owner below the highest so far is out of order too
    // (found by the fuzz target: counted owners must stay ascending).
    let high_low_mid = [typed(&keys[2]), typed(&keys[0]), typed(&keys[1])].concat();
    assert_eq!(
        standings(&report(&high_low_mid, &owners, 3, Address::ZERO)),
        ["counted", "invalid", "invalid"]
    );
    let twice = [typed(&keys[0]), eth_sign(&keys[0])].concat();
    assert_eq!(standings(&report(&twice, &owners, 2, Address::ZERO)), ["counted", "invalid"]);
    let stranger = key(9);
    let foreign = typed(&stranger);
    let r = report(&foreign, &owners, 1, Address::ZERO);
    assert_eq!(standings(&r), ["invalid"]);
    assert_eq!(r.entries[0].owner, Some(address(&stranger)));
    // A signature over another hash recovers to someone else: not an owner.
    let other = entry(&keys[0], B256::repeat_byte(1), 27);
    assert_eq!(standings(&report(&other, &owners, 1, Address::ZERO)), ["invalid"]);
}

#[test]
fn a_short_blob_is_insufficient_without_being_invalid() {
    let (keys, owners) = owners();
    let r = report(&typed(&keys[0]), &owners, 2, Address::ZERO);
    assert_eq!(standings(&r), ["counted"]);
    assert!(!r.sufficient() && !r.any_invalid());
    let r = report(&typed(&keys[0])[..64], &owners, 1, Address::ZERO);
    assert!(r.entries.is_empty() && !r.sufficient(), "64 bytes hold no entry");
    assert!(!report(&[], &owners, 1, Address::ZERO).sufficient());
}

#[test]
fn an_approved_hash_counts_for_the_executor_only_and_contracts_never() {
    let (keys, owners) = owners();
    let executor = owners[0];
    let blob = [by(executor, 1, U256::ZERO), typed(&keys[1])].concat();
    assert_eq!(standings(&report(&blob, &owners, 2, executor)), ["counted", "counted"]);
    assert_eq!(standings(&report(&blob, &owners, 2, Address::ZERO)), ["not counted", "counted"]);
    // A nested Safe whose approveHash of this hash the manifest approves counts too.
    let nested = SafeContext {
        safe_tx_hash: HASH,
        owners: &owners,
        threshold: 2,
        executor: Address::ZERO,
        approved_by: &owners[..1],
        approved_on_chain: &[],
    };
    assert_eq!(standings(&evaluate(&blob, &nested)), ["counted", "counted"]);
    // An owner the action lists in approved_hashes counts, reported as resting on chain state.
    let on_chain = SafeContext { approved_by: &[], approved_on_chain: &owners[..1], ..nested };
    let relying = evaluate(&blob, &on_chain);
    assert_eq!(standings(&relying), ["counted on chain", "counted"]);
    assert!(relying.sufficient());
    let Standing::CountedOnChain(why) = &relying.entries[0].standing else { panic!("{relying:?}") };
    assert!(why.contains("does not bind the Safe nonce"), "{why}");
    // Listing another owner does not make this one count.
    let other = SafeContext { approved_by: &[], approved_on_chain: &owners[2..], ..nested };
    assert_eq!(standings(&evaluate(&blob, &other)), ["not counted", "counted"]);
    // A contract signature whose data (a length word and its bytes) follows the static parts.
    let mut blob = [by(owners[0], 0, U256::from(130)), typed(&keys[1])].concat();
    blob.extend_from_slice(&U256::from(3).to_be_bytes::<32>());
    blob.extend_from_slice(&[1, 2, 3]);
    let r = report(&blob, &owners, 2, Address::ZERO);
    assert_eq!(standings(&r), ["not counted", "counted"]);
    assert_eq!(r.entries[0].kind, EntryKind::Contract);
    assert!(!r.sufficient());
    // An offset into the static parts, at the very end, far past it, and a length word that
    // claims more bytes than follow.
    let with_tail = |offset: u64, tail: &[u8]| {
        let mut blob = [by(owners[0], 0, U256::from(offset)), typed(&keys[1])].concat();
        blob.extend_from_slice(tail);
        report(&blob, &owners, 2, Address::ZERO)
    };
    let three_claimed_two_given = [U256::from(3).to_be_bytes::<32>().as_slice(), &[1, 2]].concat();
    for (offset, tail) in
        [(64, &[][..]), (130, &[][..]), (1 << 40, &[][..]), (130, &three_claimed_two_given[..])]
    {
        assert_eq!(standings(&with_tail(offset, tail))[0], "invalid", "offset {offset}, tail {}", tail.len());
    }
}

#[test]
fn any_other_v_is_invalid() {
    let (keys, owners) = owners();
    for v in [2u8, 26, 29, 30, 33, 255] {
        let mut e = typed(&keys[0]);
        e[64] = v;
        let r = report(&e, &owners, 1, Address::ZERO);
        assert!(r.any_invalid(), "v = {v}");
        assert_eq!(r.entries[0].kind, EntryKind::Unknown(v));
    }
}

#[test]
fn only_threshold_entries_are_ever_read() {
    let (keys, owners) = owners();
    let mut blob = [typed(&keys[0]), typed(&keys[1])].concat();
    blob.resize(1 << 20, 0xee);
    let r = report(&blob, &owners, 2, Address::ZERO);
    assert_eq!(r.entries.len(), 2);
    assert_eq!(r.extra_entries, (1 << 20) / 65 - 2);
    assert!(r.sufficient());
    // A threshold beyond the blob reads only what is there.
    assert_eq!(report(&blob[..130], &owners, u64::MAX, Address::ZERO).entries.len(), 2);
}
