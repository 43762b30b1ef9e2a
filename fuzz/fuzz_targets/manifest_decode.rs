//! Manifest decoding never panics; anything accepted is canonical, valid and hashes its bytes;
//! and opening against another hash only walks the bytes (well-formed or an input error).
#![no_main]

use firmware_policy::{B256, LoadedManifest, ManifestHash, OpenedManifest, keccak256};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = LoadedManifest::from_canonical_bytes(data) {
        assert_eq!(m.bytes(), data);
        assert_eq!(m.hash().0, keccak256(data));
        assert!(m.manifest().validate().is_ok());
        assert_eq!(m.manifest().to_canonical_bytes().as_slice(), data);
        // A decodable manifest is well-formed CBOR, so the unapproved path accepts it too.
        let other = ManifestHash(B256::repeat_byte(0x42));
        assert!(matches!(OpenedManifest::open(data, other), Ok(OpenedManifest::NotApproved { .. })));
    }
    match OpenedManifest::open(data, ManifestHash(keccak256(data))) {
        Ok(OpenedManifest::Approved(m)) => assert_eq!(m.bytes(), data),
        Ok(OpenedManifest::NotApproved { .. }) => panic!("the file's own hash is its approval"),
        Err(_) => {}
    }
});
