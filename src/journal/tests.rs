use super::*;

fn intent(hash: &str, action: usize) -> Body {
    Body {
        kind: Kind::Intent,
        manifest_hash: Some("0xm".into()),
        action: Some(action),
        signing_hash: Some(hash.into()),
        ..Body::empty()
    }
}

fn with(kind: Kind, hash: &str, action: usize) -> Body {
    Body { kind, ..intent(hash, action) }
}

#[test]
fn appends_chain_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, warning) = Journal::open(&path).unwrap();
        assert!(warning.is_none());
        j.append(intent("0xa", 0)).unwrap();
        j.append(with(Kind::Signed, "0xa", 0)).unwrap();
    }
    let c = read(&path).unwrap();
    assert_eq!(c.records.len(), 2);
    assert_eq!(c.records[1].body.prev, c.records[0].hash);
    assert!(c.torn.is_none());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn an_edit_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, _) = Journal::open(&path).unwrap();
        j.append(intent("0xa", 0)).unwrap();
        j.append(with(Kind::Signed, "0xa", 0)).unwrap();
        j.append(intent("0xb", 1)).unwrap();
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
}

#[test]
fn a_torn_tail_is_reported_then_sealed_as_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let (mut j, _) = Journal::open(&path).unwrap();
        j.append(intent("0xa", 0)).unwrap();
    }
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"seq\":1,\"prev\":\"0x").unwrap();
    drop(f);
    assert_eq!(read(&path).unwrap().torn.as_deref(), Some(&b"{\"seq\":1,\"prev\":\"0x"[..]));
    let (j, warning) = Journal::open(&path).unwrap();
    assert!(warning.unwrap().contains("torn"));
    assert_eq!(j.records().len(), 2);
    assert_eq!(j.records()[1].body.kind, Kind::Torn);
    assert_eq!(j.records()[1].body.detail.as_deref(), Some("0x7b22736571223a312c2270726576223a223078"));
    drop(j);
    let c = read(&path).unwrap();
    assert!(c.torn.is_none());
    assert_eq!(c.records.len(), 2);
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let (_held, _) = Journal::open(&path).unwrap();
    assert!(matches!(Journal::open(&path), Err(JournalError::Busy(_))));
}

#[test]
fn one_signature_per_action() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let (mut j, _) = Journal::open(&path).unwrap();
    assert_eq!(action_state(j.records(), "0xm", 0, "0xa"), ActionState::Free);
    j.append(intent("0xa", 0)).unwrap();
    assert_eq!(action_state(j.records(), "0xm", 0, "0xa"), ActionState::Same(None));
    assert!(
        matches!(action_state(j.records(), "0xm", 0, "0xb"), ActionState::Other(_)),
        "pending intent binds"
    );
    j.append(with(Kind::Failed, "0xa", 0)).unwrap();
    assert_eq!(
        action_state(j.records(), "0xm", 0, "0xb"),
        ActionState::Free,
        "a failed attempt frees the action"
    );
    j.append(intent("0xb", 0)).unwrap();
    j.append(with(Kind::Signed, "0xb", 0)).unwrap();
    assert!(matches!(action_state(j.records(), "0xm", 0, "0xb"), ActionState::Same(Some(_))));
    assert!(matches!(action_state(j.records(), "0xm", 0, "0xa"), ActionState::Other(_)));
    assert_eq!(
        action_state(j.records(), "0xm", 1, "0xa"),
        ActionState::Free,
        "other actions are independent"
    );
    assert_eq!(action_state(j.records(), "0xother", 0, "0xa"), ActionState::Free, "other manifests too");
}
