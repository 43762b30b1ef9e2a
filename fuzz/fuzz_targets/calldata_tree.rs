//! The call tree never panics, never exceeds its depth, is deterministic, and stays linear in its
//! input: per level, at most the input's bytes and one call per 32 input bytes (run with
//! `-rss_limit_mb=512`, so a blow-up is a failure too).
#![no_main]

use firmware_policy::calls::decode_call;
use firmware_policy::limits::MAX_CALL_DEPTH;
use firmware_policy::{Address, CallNode, Operation, U256};
use libfuzzer_sys::fuzz_target;

fn totals(node: &CallNode) -> (usize, usize) {
    node.children.iter().map(totals).fold((1, node.calldata_len), |(n, b), (cn, cb)| (n + cn, b + cb))
}

fuzz_target!(|data: &[u8]| {
    let to = Some(Address::repeat_byte(0xa1));
    if let Ok(tree) = decode_call(to, U256::ZERO, Operation::Call, data) {
        assert!(tree.depth() <= MAX_CALL_DEPTH);
        assert_eq!(tree.calldata_len, data.len());
        let levels = tree.depth() + 1;
        let (nodes, bytes) = totals(&tree);
        assert!(bytes <= levels * data.len(), "{bytes} calldata bytes from {} input bytes", data.len());
        assert!(nodes <= levels * (data.len() / 32 + 1), "{nodes} calls from {} input bytes", data.len());
        let again = decode_call(to, U256::ZERO, Operation::Call, data).expect("deterministic");
        assert_eq!(tree, again);
    }
});
