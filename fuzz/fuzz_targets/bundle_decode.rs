//! Whatever bytes arrive as a bundle, the decoder never panics, allocates no more than the input
//! holds, and accepts only the one canonical encoding (what it accepts re-encodes to the same
//! bytes, with exactly one manifest).
#![no_main]

use firmware_policy::bundle::{Bundle, EntryKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = Bundle::from_canonical_bytes(data) {
        assert_eq!(bundle.to_canonical_bytes().as_slice(), data);
        assert_eq!(bundle.of(EntryKind::Manifest).count(), 1);
        let total: usize = bundle.entries().iter().map(|e| e.body.len()).sum();
        assert!(total <= data.len());
    }
});
