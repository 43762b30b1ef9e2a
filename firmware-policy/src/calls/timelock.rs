//! OpenZeppelin TimelockController: `schedule`, `scheduleBatch`, `execute`, `executeBatch` and
//! `cancel`, each with the operation id the contract computes (`hashOperation[Batch]`), and the
//! calls it schedules or executes as children.

#![allow(missing_docs)]

use alloc::vec;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolValue, sol};

use super::{
    Arg, ArgValue, CallNode, Ctx, Decoded, Operation, addr, bytes, decode_known, detail, uint, with_encoded,
    word,
};
use crate::tx::wipe_bytes;

sol! {
    interface TimelockController {
        function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay);
        function scheduleBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt, uint256 delay);
        function execute(address target, uint256 value, bytes payload, bytes32 predecessor, bytes32 salt);
        function executeBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt);
        function cancel(bytes32 id);
    }
}

/// OpenZeppelin TimelockController `hashOperation`.
pub fn hash_operation(target: Address, value: U256, data: &Bytes, predecessor: B256, salt: B256) -> B256 {
    let fields = (target, value, data.clone(), predecessor, salt);
    with_encoded(&fields.tokenize(), |encoded| keccak256(encoded))
}

/// OpenZeppelin TimelockController `hashOperationBatch`.
pub fn hash_operation_batch(
    targets: &[Address],
    values: &[U256],
    payloads: &[Bytes],
    predecessor: B256,
    salt: B256,
) -> B256 {
    // Borrowed, not copied: the arrays are encoded where they are.
    let fields = (targets, values, payloads, predecessor, salt);
    with_encoded(&fields.tokenize(), |encoded| keccak256(encoded))
}

fn timelock_single(
    node: &mut CallNode,
    ctx: &Ctx<'_>,
    (target, value, payload, predecessor, salt): (Address, U256, &Bytes, B256, B256),
    payload_name: &'static str,
    delay: Option<U256>,
) -> Decoded {
    // Built at its final size: a vector that grows frees its old block unwiped.
    node.args = Vec::with_capacity(6);
    node.args.extend([
        addr("target", target),
        uint("value", "uint256", value),
        bytes(payload_name, payload),
        word("predecessor", predecessor),
        word("salt", salt),
    ]);
    node.args.extend(delay.map(|d| uint("delay", "uint256", d)));
    if ctx.ids {
        let id = hash_operation(target, value, payload, predecessor, salt);
        node.details = vec![detail("operation_id", ArgValue::Word(id))];
    }
    node.children.push(ctx.child(Some(target), value, Operation::Call, payload)?);
    Ok(())
}

pub(super) fn schedule(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::scheduleCall>(data)?;
    node.canonical = canonical;
    let fields = (call.target, call.value, &call.data, call.predecessor, call.salt);
    timelock_single(node, ctx, fields, "data", Some(call.delay))?;
    wipe_bytes(&mut call.data);
    Ok(())
}

pub(super) fn execute(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::executeCall>(data)?;
    node.canonical = canonical;
    let fields = (call.target, call.value, &call.payload, call.predecessor, call.salt);
    timelock_single(node, ctx, fields, "payload", None)?;
    wipe_bytes(&mut call.payload);
    Ok(())
}

fn timelock_batch(
    node: &mut CallNode,
    ctx: &Ctx<'_>,
    (targets, values, payloads, predecessor, salt): (&[Address], &[U256], &[Bytes], B256, B256),
    delay: Option<U256>,
) -> Decoded {
    node.args = Vec::with_capacity(6);
    node.args.extend([
        Arg {
            name: "targets",
            ty: "address[]",
            value: ArgValue::List(targets.iter().map(|a| ArgValue::Address(*a)).collect()),
        },
        Arg {
            name: "values",
            ty: "uint256[]",
            value: ArgValue::List(values.iter().map(|v| ArgValue::Uint(*v)).collect()),
        },
        Arg {
            name: "payloads",
            ty: "bytes[]",
            value: ArgValue::List(payloads.iter().map(|p| ArgValue::Bytes(p.clone())).collect()),
        },
        word("predecessor", predecessor),
        word("salt", salt),
    ]);
    node.args.extend(delay.map(|d| uint("delay", "uint256", d)));
    if ctx.ids {
        let id = hash_operation_batch(targets, values, payloads, predecessor, salt);
        node.details = vec![detail("operation_id", ArgValue::Word(id))];
    }
    if targets.len() != values.len() || targets.len() != payloads.len() {
        // The contract reverts with TimelockInvalidOperationLength; no call would be made.
        node.canonical = false;
        node.details.push(detail("error", ArgValue::Text("targets, values and payloads differ in length")));
        return Ok(());
    }
    // At its final size: doubling a vector of thousands of calls holds up to twice the memory.
    node.children.reserve_exact(targets.len());
    for ((target, value), payload) in targets.iter().zip(values).zip(payloads) {
        node.children.push(ctx.child(Some(*target), *value, Operation::Call, payload)?);
    }
    Ok(())
}

fn wipe_all(list: &mut [Bytes]) {
    for b in list {
        wipe_bytes(b);
    }
}

pub(super) fn schedule_batch(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::scheduleBatchCall>(data)?;
    node.canonical = canonical;
    let fields = (&call.targets[..], &call.values[..], &call.payloads[..], call.predecessor, call.salt);
    let result = timelock_batch(node, ctx, fields, Some(call.delay));
    wipe_all(&mut call.payloads);
    result
}

pub(super) fn execute_batch(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::executeBatchCall>(data)?;
    node.canonical = canonical;
    let fields = (&call.targets[..], &call.values[..], &call.payloads[..], call.predecessor, call.salt);
    let result = timelock_batch(node, ctx, fields, None);
    wipe_all(&mut call.payloads);
    result
}

pub(super) fn cancel(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<TimelockController::cancelCall>(data)?;
    node.canonical = canonical;
    node.args = vec![word("id", call.id)];
    node.details = vec![detail("operation_id", ArgValue::Word(call.id))];
    Ok(())
}
