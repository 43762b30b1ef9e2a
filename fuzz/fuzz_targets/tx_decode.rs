//! Transaction decoding never panics, and what it accepts is its own canonical form.
#![no_main]

use firmware_policy::{DecodedTx, Proposal, TxForm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = DecodedTx::decode(data) {
        if tx.form() == TxForm::Unsigned {
            assert_eq!(tx.signing_payload(), data);
        }
        // The payload derived from any accepted input decodes to itself.
        let again = DecodedTx::decode(tx.signing_payload()).expect("payload re-decodes");
        assert_eq!(again.signing_payload(), tx.signing_payload());
        let _ = Proposal::new(tx);
    }
});
