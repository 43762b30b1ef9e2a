//! Differential: our exact decoder against alloy-consensus's own unsigned decoding. Whenever we
//! accept an unsigned payload, alloy must decode the same transaction and re-encode it to the
//! same bytes; whenever alloy decodes a payload exactly and canonically, we must accept it.
#![no_main]

use alloy_consensus::{SignableTransaction, TypedTransaction};
use firmware_policy::{DecodedTx, TxForm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ours = DecodedTx::decode(data);
    let mut buf = data;
    let theirs = TypedTransaction::decode_unsigned(&mut buf);
    let theirs_exact = theirs.ok().filter(|_| buf.is_empty()).filter(|tx| {
        let mut out = Vec::new();
        tx.encode_for_signing(&mut out);
        out == data
    });
    match (ours, theirs_exact) {
        (Ok(tx), Some(_)) => assert_eq!(tx.signing_payload(), data),
        (Ok(tx), None) => assert_eq!(tx.form(), TxForm::Signed, "we accepted an unsigned payload alloy refuses"),
        (Err(e), Some(_)) => panic!("alloy accepts a canonical payload we refuse: {e}"),
        (Err(_), None) => {}
    }
});
