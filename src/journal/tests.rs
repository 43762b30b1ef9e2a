use alloy_primitives::{Address, U256, address};

use super::*;

const NOW: u64 = 1_800_000_000;
const EXECUTOR: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");

fn hash(n: u8) -> B256 {
    B256::with_last_byte(n)
}

fn key(action: usize) -> UseKey {
    UseKey { manifest_hash: hash(0xee), action: Some(action), signer: EXECUTOR, signs: Signs::Transaction }
}

fn attempt(kind: Kind, signing_hash: B256, action: usize) -> Body {
    let k = key(action);
    let mut b = Body::new(kind);
    b.manifest_hash = Some(k.manifest_hash);
    b.action = Some(action);
    b.signer = Some(k.signer);
    b.signs = Some(k.signs);
    b.signing_hash = Some(signing_hash);
    match kind {
        Kind::Signed => {
            b.signature = Some(vec![1u8; 65].into());
            b.tx_hash = Some(hash(0x77));
        }
        Kind::Failed => b.released = Some(true),
        _ => {}
    }
    b
}

fn failed(signing_hash: B256, action: usize, released: bool) -> Body {
    Body { released: Some(released), ..attempt(Kind::Failed, signing_hash, action) }
}

#[test]
fn appends_chain_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, warning) = Journal::open(&path, NOW).unwrap();
        assert!(warning.is_none());
        j.append(attempt(Kind::Intent, hash(0xa), 0), NOW).unwrap();
        j.append(attempt(Kind::Signed, hash(0xa), 0), NOW + 1).unwrap();
        assert_eq!(j.head(), Head { records: 2, hash: j.records()[1].hash });
    }
    let c = read(&path).unwrap();
    assert_eq!(c.records.len(), 2);
    assert_eq!(c.records[1].body.prev, c.records[0].hash);
    assert_eq!(c.records[1].body.time, NOW + 1);
    assert_eq!(c.records[1].number(), 2);
    assert!(c.torn.is_none());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn an_edit_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, _) = Journal::open(&path, NOW).unwrap();
        j.append(attempt(Kind::Intent, hash(0xa), 0), NOW).unwrap();
        j.append(attempt(Kind::Signed, hash(0xa), 0), NOW).unwrap();
        j.append(attempt(Kind::Intent, hash(0xb), 1), NOW).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    // Edit a field.
    std::fs::write(&path, text.replacen("\"action\":1", "\"action\":2", 1)).unwrap();
    let e = read(&path).unwrap_err();
    assert!(matches!(e, JournalError::Broken { line: 3, .. }), "{e}");
    // Remove a record.
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    assert!(matches!(read(&path).unwrap_err(), JournalError::Broken { line: 2, .. }));
    // A key no record has, even one the hash would not cover, is refused.
    let extra = lines[0].replacen("{\"body\":{", "{\"body\":{\"x\":1,", 1);
    std::fs::write(&path, format!("{extra}\n")).unwrap();
    assert!(matches!(read(&path).unwrap_err(), JournalError::Broken { line: 1, .. }));
    // An unparsable line that no torn record seals is damage, not a tear.
    std::fs::write(&path, format!("{}\n{{\"body\n{}\n", lines[0], lines[1])).unwrap();
    assert!(matches!(read(&path).unwrap_err(), JournalError::Broken { line: 2, .. }));
}

#[test]
fn a_torn_tail_is_sealed_by_appending_never_by_cutting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, _) = Journal::open(&path, NOW).unwrap();
        j.append(attempt(Kind::Intent, hash(0xa), 0), NOW).unwrap();
    }
    let torn = b"{\"body\":{\"seq\":1,\"prev\":\"0x";
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(torn).unwrap();
    drop(f);
    let before = std::fs::read(&path).unwrap();
    let t = read(&path).unwrap().torn.expect("torn tail reported");
    assert_eq!((t.line, t.len), (2, torn.len() as u64));

    let (j, warning) = Journal::open(&path, NOW).unwrap();
    assert!(warning.unwrap().contains("torn"));
    assert_eq!(j.records().len(), 2);
    let seal = &j.records()[1].body;
    assert_eq!(seal.kind, Kind::Torn);
    assert_eq!(seal.torn_len, Some(torn.len() as u64));
    assert_eq!(seal.torn_sha256, Some(B256::from_slice(&sha2::Sha256::digest(torn))));
    drop(j);
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(&before), "the file was only appended to");
    let c = read(&path).unwrap();
    assert!(c.torn.is_none());
    assert_eq!(c.records.len(), 2);
    // Later records chain on after the seal.
    let (mut j, _) = Journal::open(&path, NOW).unwrap();
    j.append(attempt(Kind::Intent, hash(0xb), 1), NOW).unwrap();
    assert_eq!(read(&path).unwrap().records.len(), 3);
    // The seal covers exactly those bytes: change one and the journal is broken.
    let mut edited = std::fs::read(&path).unwrap();
    let at = before.len() - 3;
    edited[at] = b'Z';
    std::fs::write(&path, edited).unwrap();
    assert!(matches!(read(&path).unwrap_err(), JournalError::Broken { line: 3, .. }));
}

#[test]
fn a_seal_torn_by_a_second_crash_is_sealed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, _) = Journal::open(&path, NOW).unwrap();
        j.append(attempt(Kind::Intent, hash(0xa), 0), NOW).unwrap();
    }
    // A torn record, then a seal that was itself cut after its newline.
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"body\":{\"se\n{\"body\":{\"seq\":1,\"ki").unwrap();
    drop(f);
    let (j, warning) = Journal::open(&path, NOW).unwrap();
    assert!(warning.is_some());
    assert_eq!(j.records().len(), 2);
    drop(j);
    assert_eq!(read(&path).unwrap().records.len(), 2);
}

#[test]
fn a_large_journal_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let (mut j, _) = Journal::open(&path, NOW).unwrap();
    for i in 0..3000u32 {
        j.append(attempt(Kind::Intent, hash((i % 250) as u8), i as usize), NOW).unwrap();
    }
    drop(j);
    assert!(std::fs::metadata(&path).unwrap().len() > 1 << 20);
    let (j, warning) = Journal::open(&path, NOW).unwrap();
    assert!(warning.is_none());
    assert_eq!(j.records().len(), 3000);
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let (_held, _) = Journal::open(&path, NOW).unwrap();
    assert!(matches!(Journal::open(&path, NOW), Err(JournalError::Busy(_))));
}

#[test]
fn one_signature_per_action_and_only_a_certain_failure_releases() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let (mut j, _) = Journal::open(&path, NOW).unwrap();
    let (a, b) = (hash(0xa), hash(0xb));
    assert_eq!(one_time_use(j.records(), &key(0), a), Use::Free);
    j.append(attempt(Kind::Intent, a, 0), NOW).unwrap();
    assert_eq!(one_time_use(j.records(), &key(0), a), Use::PendingSame);
    assert!(matches!(one_time_use(j.records(), &key(0), b), Use::Taken(_)), "a pending intent binds");
    // A disconnect after the last chunk: the device may have signed, the intent keeps binding.
    j.append(failed(a, 0, false), NOW).unwrap();
    assert!(matches!(one_time_use(j.records(), &key(0), b), Use::Taken(_)));
    assert_eq!(one_time_use(j.records(), &key(0), a), Use::PendingSame, "the same payload may be retried");
    // A rejection on the device: certainly not signed, the action is free again.
    j.append(failed(a, 0, true), NOW).unwrap();
    assert_eq!(one_time_use(j.records(), &key(0), b), Use::Free);
    j.append(attempt(Kind::Intent, b, 0), NOW).unwrap();
    j.append(attempt(Kind::Signed, b, 0), NOW).unwrap();
    assert!(matches!(one_time_use(j.records(), &key(0), b), Use::SignedSame(_)));
    assert!(matches!(one_time_use(j.records(), &key(0), a), Use::Taken(_)));
    assert_eq!(one_time_use(j.records(), &key(1), a), Use::Free, "other actions are independent");
    let other_signer = UseKey { signer: Address::ZERO, ..key(0) };
    assert_eq!(one_time_use(j.records(), &other_signer, a), Use::Free, "so are other signers");
    let other_manifest = UseKey { manifest_hash: hash(1), ..key(0) };
    assert_eq!(one_time_use(j.records(), &other_manifest, a), Use::Free, "and other manifests");
}

#[test]
fn a_head_is_extended_only_by_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let (mut j, _) = Journal::open(&path, NOW).unwrap();
    assert_eq!(j.head(), Head { records: 0, hash: B256::ZERO });
    j.append(attempt(Kind::Intent, hash(0xa), 0), NOW).unwrap();
    let head = j.head();
    j.append(attempt(Kind::Signed, hash(0xa), 0), NOW).unwrap();
    assert!(head.is_extended_by(j.records()));
    assert!(Head { records: 0, hash: B256::ZERO }.is_extended_by(j.records()));
    assert!(!Head { records: 3, ..head }.is_extended_by(j.records()), "truncated");
    assert!(!Head { hash: hash(9), ..head }.is_extended_by(j.records()), "rewritten");
    assert_eq!(Head::parse(&head.to_string()).unwrap(), head);
    assert!(Head::parse("2").is_err() && Head::parse("x:0x00").is_err() && Head::parse("1:0x0x00").is_err());
}

#[test]
fn a_torn_region_ending_in_a_newline_is_sealed_without_a_second_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, _) = Journal::open(&path, NOW).unwrap();
        j.append(attempt(Kind::Intent, hash(0xa), 0), NOW).unwrap();
    }
    // A torn record whose seal was cut right after its newline: the region ends with '\n'.
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"body\":{\"seq\":1,\n").unwrap();
    drop(f);
    assert!(read(&path).unwrap().torn.is_some());
    let (j, warning) = Journal::open(&path, NOW).unwrap();
    assert!(warning.is_some());
    drop(j);
    let c = read(&path).unwrap();
    assert_eq!((c.records.len(), c.torn.is_none()), (2, true));
}

#[test]
fn a_safe_owners_signature_needs_its_facts_not_a_tx_hash_and_each_kind_is_its_own_key() {
    let mut safe = attempt(Kind::Signed, hash(5), 0);
    safe.signs = Some(Signs::SafeTx);
    safe.tx_hash = None;
    assert_eq!(safe.missing_field(), Some("safe_tx"), "a Safe signature says what it signs");
    safe.safe_tx = Some(SafeTxFacts {
        safe: EXECUTOR,
        chain_id: Some(1),
        version: "1.4.1".into(),
        nonce: U256::ZERO,
        to: EXECUTOR,
        value: U256::ZERO,
        calldata_keccak: hash(1),
        calldata_len: 4,
        operation: 0,
        safe_tx_gas: U256::ZERO,
        base_gas: U256::ZERO,
        gas_price: U256::ZERO,
        gas_token: Address::ZERO,
        refund_receiver: Address::ZERO,
        domain_separator: hash(2),
        message_hash: hash(3),
    });
    assert_eq!(safe.missing_field(), None, "and needs no transaction hash");
    let mut tx = attempt(Kind::Signed, hash(5), 0);
    tx.tx_hash = None;
    assert_eq!(tx.missing_field(), Some("tx_hash"), "a transaction's signature still needs one");

    // A record of one kind never binds another kind for the same (manifest, action, signer).
    let records: Vec<Record> = [safe]
        .into_iter()
        .enumerate()
        .map(|(i, mut body)| {
            body.seq = i as u64;
            let hash = body.hash();
            Record { body, hash }
        })
        .collect();
    let safe_key = UseKey { signs: Signs::SafeTx, ..key(0) };
    let eth_sign_key = UseKey { signs: Signs::SafeTxEthSign, ..key(0) };
    assert!(matches!(one_time_use(&records, &safe_key, hash(5)), Use::SignedSame(_)));
    assert!(matches!(one_time_use(&records, &safe_key, hash(6)), Use::Taken(_)));
    assert_eq!(one_time_use(&records, &eth_sign_key, hash(6)), Use::Free);
    assert_eq!(one_time_use(&records, &key(0), hash(6)), Use::Free);
}
