use alloy_primitives::{address, b256, hex};

use super::*;

const S0: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
const S1: Address = address!("0xd692Cb1346262F584D17B4B470954501f6715a82");
const S2: Address = address!("0xfeb0594A0561d0DF76EA8b2F52271538e6704f75");

fn subject() -> ReleaseSubject {
    ReleaseSubject {
        manifest_hash: ManifestHash(b256!(
            "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        )),
        release: "box v2".into(),
        chain_id: 1,
        not_before: 1_700_000_000,
        expires_at: 4_000_000_000,
    }
}

/// eth-account's approval of `subject()` by `approver`, from tests/vectors/approvals.json (read
/// without a JSON crate, which the core does not have: the first subject's entries come first).
fn vector(approver: Address) -> ApprovalFile {
    let doc = include_str!("../../../tests/vectors/approvals.json");
    let needle = alloc::format!("\"approver\": \"{}\"", approver.to_checksum(None));
    let rest = &doc[doc.find(&needle).expect("the approver signed the first subject")..];
    let key = "\"signature_bytes\": \"0x";
    let start = rest.find(key).unwrap() + key.len();
    let signature: [u8; 65] = hex::decode(&rest[start..start + 130]).unwrap().try_into().unwrap();
    ApprovalFile { manifest_hash: subject().manifest_hash, approver, signature, signed_as: SignedAs::Full }
}

#[test]
fn trust_sets_refuse_what_could_never_or_always_count() {
    assert!(Trust::new(1, alloc::vec![], true).is_err());
    assert!(Trust::new(0, alloc::vec![S0], true).is_err());
    assert!(Trust::new(2, alloc::vec![S0], true).is_err());
    assert!(Trust::new(1, alloc::vec![S0, S0], true).is_err());
    assert!(Trust::new(1, alloc::vec![Address::ZERO], true).is_err());
    assert_eq!(Trust::new(2, alloc::vec![S0, S1], false).unwrap().approvers(), &[S1, S0], "ascending");
}

#[test]
fn each_approval_is_counted_or_named_for_why_not() {
    let trust = Trust::new(2, alloc::vec![S0, S1], true).unwrap();
    let s = subject();
    let mut wrong_name = vector(S0);
    wrong_name.approver = S1;
    let mut bad_v = vector(S1);
    bad_v.signature[64] = 29;
    let mut other = vector(S0);
    other.manifest_hash =
        ManifestHash(b256!("0x1111111111111111111111111111111111111111111111111111111111111111"));
    let approvals = [vector(S0), vector(S0), vector(S2), wrong_name, bad_v, other];
    let report = evaluate(Some(&s), s.manifest_hash, &approvals, &trust);
    let standings: Vec<&str> = report.entries.iter().map(|e| e.standing.code()).collect();
    assert_eq!(
        standings,
        ["counted", "duplicate", "not_trusted", "signed_by_other", "invalid", "other_manifest"]
    );
    assert_eq!(report.entries[3].standing, Standing::SignedByOther(S0));
    assert!(!report.met(), "one distinct trusted approver of two");
    let report = evaluate(Some(&s), s.manifest_hash, &[vector(S1), vector(S0)], &trust);
    assert!(report.met());
    assert_eq!(report.counted().collect::<Vec<_>>(), [S1, S0]);
    // Without the file's facts nothing can be recovered.
    let report = evaluate(None, s.manifest_hash, &[vector(S1), vector(S0)], &trust);
    assert!(report.entries.iter().all(|e| e.standing.code() == "invalid"));
}

#[test]
fn the_display_form_round_trips_and_has_one_encoding() {
    let trust = Trust::new(2, alloc::vec![S0, S1, S2], false).unwrap();
    let bytes = trust.display_bytes();
    assert_eq!(Trust::from_display_bytes(&bytes), Ok(trust));
    for cut in 0..bytes.len() {
        assert!(Trust::from_display_bytes(&bytes[..cut]).is_err());
    }
    let mut longer = bytes;
    longer.push(0);
    assert!(Trust::from_display_bytes(&longer).is_err(), "trailing bytes");
}
