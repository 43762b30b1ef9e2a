//! Whatever bytes arrive as a Safe's signatures blob, evaluating it never panics, reads at most
//! `threshold` entries, and counts only owners of the Safe, strictly ascending.
#![no_main]

use alloy_primitives::{Address, B256};
use firmware_policy::safe_signatures::{SafeContext, evaluate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, blob)) = data.split_first() else { return };
    let threshold = u64::from(first % 5);
    // Owners named by the input itself too, so approved-hash entries (v = 1) can name them.
    let owners: Vec<Address> =
        blob.chunks_exact(65).take(3).map(|c| Address::from_slice(&c[12..32])).collect();
    let ctx = SafeContext {
        safe_tx_hash: B256::repeat_byte(0x5a),
        owners: &owners,
        threshold,
        executor: owners.first().copied().unwrap_or_default(),
        approved_by: owners.get(1..2).unwrap_or_default(),
        approved_on_chain: owners.get(2..3).unwrap_or_default(),
    };
    let report = evaluate(blob, &ctx);
    let expected = usize::try_from(threshold).unwrap_or(usize::MAX).min(blob.len() / 65);
    assert_eq!(report.entries.len(), expected);
    assert_eq!(report.extra_entries, blob.len() / 65 - expected);
    let counted: Vec<Address> =
        report.entries.iter().filter(|e| e.standing.counts()).filter_map(|e| e.owner).collect();
    assert_eq!(counted.len(), report.counted());
    assert!(counted.iter().all(|o| owners.contains(o)));
    assert!(counted.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(report.sufficient(), report.counted() as u64 >= threshold);
});
