//! Whatever bytes arrive as a containment file (from a bundle, or a laptop's media), the decoder
//! never panics and accepts only the one canonical encoding: what it accepts re-encodes to the
//! same bytes.
#![no_main]

use firmware_policy::containment::Containment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = Containment::from_canonical_bytes(data) {
        assert_eq!(record.to_canonical_bytes(), data);
    }
});
