//! Safe: `execTransaction` (with its Safe transaction fields, and the inner call as the child)
//! and `approveHash`.

#![allow(missing_docs)]

use alloc::vec;

use alloy_primitives::{Bytes, U256};
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

/// The SafeTx fields (its nonce zero: it is the Safe's, not the call's) and the signatures of a
/// decoded canonical `execTransaction` node, read from its arguments (the calldata is not
/// decoded a second time).
pub(crate) fn exec_transaction_of(node: &CallNode) -> Option<(crate::safe_tx::SafeTxFields, Bytes)> {
    use ArgValue::{Address as A, Bytes as B, Uint as U};
    if node.selector != Some(<Safe::execTransactionCall as alloy_sol_types::SolCall>::SELECTOR)
        || !node.canonical
    {
        return None;
    }
    let values: alloc::vec::Vec<&ArgValue> = node.args.iter().map(|a| &a.value).collect();
    let [
        A(to),
        U(value),
        B(data),
        U(operation),
        U(safe_tx_gas),
        U(base_gas),
        U(gas_price),
        A(gas_token),
        A(refund_receiver),
        B(signatures),
    ] = values.as_slice()
    else {
        return None;
    };
    let fields = crate::safe_tx::SafeTxFields {
        to: *to,
        value: *value,
        data: data.clone(),
        operation: u8::try_from(*operation).ok()?,
        safe_tx_gas: *safe_tx_gas,
        base_gas: *base_gas,
        gas_price: *gas_price,
        gas_token: *gas_token,
        refund_receiver: *refund_receiver,
        nonce: U256::ZERO,
    };
    Some((fields, signatures.clone()))
}
