//! Manifest decoding never panics; anything accepted is canonical, valid and hashes its bytes.
#![no_main]

use firmware_policy::{LoadedManifest, keccak256};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = LoadedManifest::from_canonical_bytes(data) {
        assert_eq!(m.bytes(), data);
        assert_eq!(m.hash().0, keccak256(data));
        assert!(m.manifest().validate().is_ok());
        assert_eq!(m.manifest().to_canonical_bytes().as_slice(), data);
    }
});
