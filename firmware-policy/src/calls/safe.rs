//! Safe: `execTransaction` (with its Safe transaction fields, and the inner call as the child)
//! and `approveHash`.

#![allow(missing_docs)]

use alloc::vec;

use alloy_primitives::U256;
use alloy_sol_types::sol;

use super::{ArgValue, CallNode, Ctx, Decoded, Operation, addr, bytes, decode_known, detail, uint, word};
use crate::tx::wipe_bytes;

sol! {
    interface Safe {
        function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures);
        function approveHash(bytes32 hashToApprove);
    }
}

pub(super) fn exec_transaction(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<Safe::execTransactionCall>(data)?;
    node.canonical = canonical;
    node.args = vec![
        addr("to", call.to),
        uint("value", "uint256", call.value),
        bytes("data", &call.data),
        uint("operation", "uint8", U256::from(call.operation)),
        uint("safeTxGas", "uint256", call.safeTxGas),
        uint("baseGas", "uint256", call.baseGas),
        uint("gasPrice", "uint256", call.gasPrice),
        addr("gasToken", call.gasToken),
        addr("refundReceiver", call.refundReceiver),
        bytes("signatures", &call.signatures),
    ];
    let operation = match call.operation {
        0 => Operation::Call,
        1 => Operation::DelegateCall,
        _ => {
            // Solidity's enum conversion reverts on any other value.
            node.canonical = false;
            node.details = vec![detail(
                "error",
                ArgValue::Text("Safe operation is neither 0 (call) nor 1 (delegatecall)"),
            )];
            wipe_bytes(&mut call.data);
            return Ok(());
        }
    };
    node.details = vec![detail("safe_operation", ArgValue::Text(operation.as_str()))];
    let child = ctx.child(Some(call.to), call.value, operation, &call.data);
    wipe_bytes(&mut call.data);
    wipe_bytes(&mut call.signatures);
    node.children.push(child?);
    Ok(())
}

pub(super) fn approve_hash(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<Safe::approveHashCall>(data)?;
    node.canonical = canonical;
    node.args = vec![word("hashToApprove", call.hashToApprove)];
    node.details = vec![detail("approved_hash", ArgValue::Word(call.hashToApprove))];
    Ok(())
}
