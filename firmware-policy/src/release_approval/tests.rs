use alloy_primitives::{address, b256, hex};

use super::*;

/// The recorded real-app approval (tests/vectors/eip712_full_release_approval.json).
fn recorded() -> ReleaseSubject {
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

fn recorded_file() -> ApprovalFile {
    // The app answered v ‖ r ‖ s; the file holds r ‖ s ‖ v.
    let vrs = hex!(
        "1c35553726f28e0da40b7155763f6ba783a3e49b9245a3bc26a8e4586cade12b3e5a051c6dada0701b55cf049acc3be1ee399d5971a109ede79efbafbf37557dda"
    );
    let mut signature = [0u8; 65];
    signature[..64].copy_from_slice(&vrs[1..]);
    signature[64] = vrs[0];
    ApprovalFile {
        manifest_hash: recorded().manifest_hash,
        approver: address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"),
        signature,
        signed_as: SignedAs::Full,
    }
}

#[test]
fn the_hashes_are_the_ones_the_real_app_paged() {
    let h = recorded().hashes();
    // "Message hash (1/2)" … "(2/2)" on the Nano S+ in hashed mode.
    assert_eq!(h.message_hash, b256!("0xa2ca3989462c772661e593b89d2c493aa71c1c766587c85ac023ab22001833b4"));
    assert_eq!(recorded_file().recover(&recorded()), Ok(recorded_file().approver));
}

#[test]
fn a_file_round_trips_and_has_one_encoding() {
    let file = recorded_file();
    let bytes = file.to_canonical_bytes();
    assert_eq!(&bytes[..2], &[0xa5, 0x00], "a map of five, key 0 first");
    assert_eq!(ApprovalFile::from_canonical_bytes(&bytes), Ok(file));
    // A longer head for the same value is refused at its offset.
    let mut long = bytes.clone();
    let at = bytes.iter().position(|&b| b == 0x54).unwrap(); // bytes(20) head of the approver
    long.splice(at..=at, [0x58, 20]);
    let e = ApprovalFile::from_canonical_bytes(&long).unwrap_err();
    assert_eq!(e.offset, at, "{e}");
    // Every truncation is an error, never a panic.
    for cut in 0..bytes.len() {
        assert!(ApprovalFile::from_canonical_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut trailing = bytes;
    trailing.push(0);
    assert_eq!(
        ApprovalFile::from_canonical_bytes(&trailing).unwrap_err().problem,
        "bytes after the approval"
    );
}

#[test]
fn a_file_with_a_wrong_field_names_it() {
    let mut file = recorded_file();
    file.signed_as = SignedAs::Hashed;
    let bytes = file.to_canonical_bytes();
    let text = bytes.windows(6).position(|w| w == b"hashed").unwrap();
    let mut other = bytes;
    other[text..text + 6].copy_from_slice(b"hashes");
    let e = ApprovalFile::from_canonical_bytes(&other).unwrap_err();
    assert!(e.problem.starts_with("key 4"), "{e}");
    assert_eq!(e.offset, text - 1);
}

#[test]
fn recovery_refuses_another_subject_a_bad_v_and_a_high_s() {
    let file = recorded_file();
    let mut later = recorded();
    later.expires_at += 1;
    assert_ne!(file.recover(&later), Ok(file.approver), "the window is part of what is signed");
    let mut bad_v = file.clone();
    bad_v.signature[64] = 1;
    assert_eq!(bad_v.recover(&recorded()), Err("its v is neither 27 nor 28"));
    // The same signature with s' = n - s and the other parity recovers the same key: refused.
    let sig = file.parsed_signature().unwrap();
    let n = U256::from_be_slice(&hex!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"));
    let mut high = file;
    high.signature[32..64].copy_from_slice(&(n - sig.s()).to_be_bytes::<32>());
    high.signature[64] = if sig.v() { 27 } else { 28 };
    assert!(high.recover(&recorded()).unwrap_err().contains("upper half"));
}
