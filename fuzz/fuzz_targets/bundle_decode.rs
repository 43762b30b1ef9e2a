//! Whatever bytes arrive as a bundle, the decoder never panics, allocates no more than the input
//! holds, and accepts only the one canonical encoding (what it accepts re-encodes to the same
//! bytes, with exactly one manifest). The entry decoders of its own formats (the Safe proposal,
//! the approver set) are held to the same on every body, and on the raw input.
#![no_main]

use firmware_policy::bundle::{Bundle, EntryKind};
use firmware_policy::quorum::Trust;
use firmware_policy::safe_tx::SafeProposal;
use libfuzzer_sys::fuzz_target;

fn bodies(data: &[u8]) {
    if let Ok(p) = SafeProposal::from_canonical_bytes(data) {
        assert_eq!(p.to_canonical_bytes().as_slice(), data);
    }
    if let Ok(t) = Trust::from_display_bytes(data) {
        assert_eq!(t.display_bytes(), data);
    }
}

fuzz_target!(|data: &[u8]| {
    bodies(data);
    if let Ok(bundle) = Bundle::from_canonical_bytes(data) {
        for e in bundle.entries() {
            bodies(&e.body);
        }
        assert_eq!(bundle.to_canonical_bytes().as_slice(), data);
        assert_eq!(bundle.of(EntryKind::Manifest).count(), 1);
        let total: usize = bundle.entries().iter().map(|e| e.body.len()).sum();
        assert!(total <= data.len());
    }
});
