//! Safe MultiSend's packed batch: `operation(1) ‖ to(20) ‖ value(32) ‖ dataLength(32) ‖ data`,
//! repeated. It is not ABI encoding, so it is read here, by hand, against a bounded slice.

#![allow(missing_docs)]

use alloc::vec;
use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::sol;

use super::{ArgValue, CallNode, Ctx, Decoded, Operation, bytes, decode_known, detail};
use crate::tx::wipe_bytes;

sol! {
    interface MultiSend {
        // MultiSend and MultiSendCallOnly.
        function multiSend(bytes transactions);
    }
}

/// One entry of the batch; `data` borrows from the batch bytes.
struct Entry<'a> {
    operation: Operation,
    to: Address,
    value: U256,
    data: &'a [u8],
}

/// The entries read, and why reading stopped early, if it did.
struct Batch<'a> {
    entries: Vec<Entry<'a>>,
    error: Option<&'static str>,
}

const HEAD: usize = 1 + 20 + 32 + 32;

fn parse(mut rest: &[u8]) -> Batch<'_> {
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

pub(super) fn multi_send(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<MultiSend::multiSendCall>(data)?;
    node.canonical = canonical;
    node.args = vec![bytes("transactions", &call.transactions)];
    let batch = parse(&call.transactions);
    node.details = vec![detail("entries", ArgValue::Uint(U256::from(batch.entries.len())))];
    if let Some(problem) = batch.error {
        node.canonical = false;
        node.details.push(detail("error", ArgValue::Text(problem)));
    }
    let mut result = Ok(());
    node.children.reserve_exact(batch.entries.len());
    for entry in &batch.entries {
        match ctx.child(Some(entry.to), entry.value, entry.operation, entry.data) {
            Ok(child) => node.children.push(child),
            Err(e) => {
                result = Err(e.into());
                break;
            }
        }
    }
    drop(batch);
    wipe_bytes(&mut call.transactions);
    result
}
