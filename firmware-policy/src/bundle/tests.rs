use alloc::vec;

use super::*;

fn entry(kind: EntryKind, body: &[u8]) -> Entry {
    Entry { kind, body: Zeroizing::new(body.to_vec()) }
}

fn sample() -> Bundle {
    Bundle::new(vec![
        entry(EntryKind::Transaction, b"\x02tx-one"),
        entry(EntryKind::Approval, b"approval-a"),
        entry(EntryKind::Manifest, b"manifest"),
        entry(EntryKind::Transaction, b"\x02tx-two"),
        entry(EntryKind::Approval, b"approval-b"),
    ])
    .unwrap()
}

#[test]
fn entries_are_ordered_by_kind_and_kept_in_order_within_one() {
    let b = sample();
    let kinds: Vec<&str> = b.entries().iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["manifest", "approval", "approval", "transaction", "transaction"]);
    let txs: Vec<&[u8]> = b.of(EntryKind::Transaction).collect();
    assert_eq!(txs, [&b"\x02tx-one"[..], &b"\x02tx-two"[..]]);
    assert_eq!(b.manifest(), b"manifest");
}

#[test]
fn a_bundle_round_trips_and_has_one_encoding() {
    let b = sample();
    let bytes = b.to_canonical_bytes();
    assert_eq!(Bundle::from_canonical_bytes(&bytes).unwrap(), b);
    for cut in 0..bytes.len() {
        assert!(Bundle::from_canonical_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut trailing = bytes.to_vec();
    trailing.push(0);
    assert!(Bundle::from_canonical_bytes(&trailing).is_err());
    // Entries out of kind order: the same content, another encoding.
    let swapped = Bundle {
        entries: vec![
            entry(EntryKind::Manifest, b"m"),
            entry(EntryKind::Transaction, b"t"),
            entry(EntryKind::Approval, b"a"),
        ],
    };
    let e = Bundle::from_canonical_bytes(&swapped.to_canonical_bytes()).unwrap_err();
    assert_eq!(e.problem, BundleProblem::NotCanonical);
}

#[test]
fn counts_kinds_and_lengths_are_refused_with_what_is_wrong() {
    assert_eq!(
        Bundle::new(vec![entry(EntryKind::Approval, b"a")]).unwrap_err().problem,
        BundleProblem::Count("a bundle holds exactly one manifest")
    );
    let two = Bundle::new(vec![
        entry(EntryKind::Manifest, b"m"),
        entry(EntryKind::Rollback, b"r"),
        entry(EntryKind::Rollback, b"s"),
    ]);
    assert!(matches!(two.unwrap_err().problem, BundleProblem::Count(_)));
    // An unknown kind, at its offset.
    let mut bytes =
        Bundle::new(vec![entry(EntryKind::Manifest, b"m")]).unwrap().to_canonical_bytes().to_vec();
    let at = bytes.len() - 3; // [0x82, kind, 0x41 'm']
    bytes[at] = 0x09;
    let e = Bundle::from_canonical_bytes(&bytes).unwrap_err();
    assert_eq!((e.problem, e.offset), (BundleProblem::UnknownKind(9), Some(at)));
    // A body length beyond the file: refused before anything is allocated for it.
    let mut lying =
        Bundle::new(vec![entry(EntryKind::Manifest, b"m")]).unwrap().to_canonical_bytes().to_vec();
    let n = lying.len();
    lying.splice(n - 2..n, [0x5a, 0x00, 0x0f, 0xff, 0xff]);
    assert!(matches!(Bundle::from_canonical_bytes(&lying).unwrap_err().problem, BundleProblem::Malformed(_)));
    // An entry count no file this size could hold.
    let mut count =
        Bundle::new(vec![entry(EntryKind::Manifest, b"m")]).unwrap().to_canonical_bytes().to_vec();
    let at = count.iter().position(|&b| b == 0x81).unwrap();
    count.splice(at..=at, [0x99, 0x03, 0xff]);
    assert_eq!(Bundle::from_canonical_bytes(&count).unwrap_err().problem, BundleProblem::TooManyEntries);
}
