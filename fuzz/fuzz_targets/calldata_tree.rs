//! The call tree never panics, never exceeds its depth, and is deterministic.
#![no_main]

use firmware_policy::calls::decode_call;
use firmware_policy::limits::MAX_CALL_DEPTH;
use firmware_policy::{Address, Operation, U256};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let to = Some(Address::repeat_byte(0xa1));
    if let Ok(tree) = decode_call(to, U256::ZERO, Operation::Call, data) {
        assert!(tree.depth() <= MAX_CALL_DEPTH);
        assert_eq!(tree.calldata_len, data.len());
        let again = decode_call(to, U256::ZERO, Operation::Call, data).expect("deterministic");
        assert_eq!(tree, again);
    }
});
