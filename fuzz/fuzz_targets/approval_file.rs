//! Whatever bytes arrive as an approval file, the decoder never panics, accepts only the one
//! canonical encoding (what it accepts re-encodes to the same bytes), and recovery of a decoded
//! file never panics either.
#![no_main]

use firmware_policy::release_approval::{ApprovalFile, ReleaseSubject};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = ApprovalFile::from_canonical_bytes(data) {
        assert_eq!(file.to_canonical_bytes(), data);
        let subject = ReleaseSubject {
            manifest_hash: file.manifest_hash,
            release: "fuzz".into(),
            chain_id: 1,
            not_before: 0,
            expires_at: u64::MAX,
        };
        let _ = file.recover(&subject);
    }
});
