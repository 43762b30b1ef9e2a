//! Safe MultiSend's packed batch: `operation(1) ‖ to(20) ‖ value(32) ‖ dataLength(32) ‖ data`,
//! repeated. It is not ABI encoding, so it is read here, by hand, against a bounded slice.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};

use super::Operation;

/// One entry of the batch; `data` borrows from the batch bytes.
pub(super) struct Entry<'a> {
    pub(super) operation: Operation,
    pub(super) to: Address,
    pub(super) value: U256,
    pub(super) data: &'a [u8],
}

/// The entries read, and why reading stopped early, if it did.
pub(super) struct Batch<'a> {
    pub(super) entries: Vec<Entry<'a>>,
    pub(super) error: Option<&'static str>,
}

const HEAD: usize = 1 + 20 + 32 + 32;

pub(super) fn parse(mut rest: &[u8]) -> Batch<'_> {
    let mut entries = Vec::new();
    while !rest.is_empty() {
        let Some((head, tail)) = rest.split_first_chunk::<HEAD>() else {
            return Batch { entries, error: Some("MultiSend entry is truncated") };
        };
        let (op, head) = head.split_at(1);
        let (to, head) = head.split_at(20);
        let (value, len) = head.split_at(32);
        let operation = match op {
            [0] => Operation::Call,
            [1] => Operation::DelegateCall,
            _ => return Batch { entries, error: Some("MultiSend operation is neither 0 nor 1") },
        };
        let len = U256::from_be_slice(len);
        let Some(data) = usize::try_from(len).ok().and_then(|n| tail.get(..n)) else {
            return Batch { entries, error: Some("MultiSend data length runs past the batch") };
        };
        rest = tail.get(data.len()..).unwrap_or_default();
        entries.push(Entry {
            operation,
            to: Address::from_slice(to),
            value: U256::from_be_slice(value),
            data,
        });
    }
    Batch { entries, error: None }
}
