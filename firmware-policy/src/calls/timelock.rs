//! OpenZeppelin TimelockController: `schedule`, `scheduleBatch`, `execute`, `executeBatch` and
//! `cancel`, each with the operation id the contract computes (`hashOperation[Batch]`), and the
//! calls it schedules or executes as children.

#![allow(missing_docs)]

use alloc::vec;
use alloc::vec::Vec;

use alloy_primitives::{Address, B256, Bytes, Keccak256, U256, keccak256};
use alloy_sol_types::{SolValue, sol};

use super::{
    Arg, ArgValue, CallNode, Ctx, Decoded, Operation, addr, decode_known, detail, uint, with_encoded, word,
};

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

/// Which of a Timelock call's argument words the operation id's encoding shares.
#[derive(Clone, Copy)]
enum IdFields {
    /// `execute`, `executeBatch`: the arguments are exactly the id's fields.
    All,
    /// `schedule`, `scheduleBatch`: the id's fields are the arguments without the last word
    /// (`delay`); these head slots hold offsets of dynamic values.
    WithoutDelay { dynamic: &'static [usize] },
}

const WORD: usize = 32;

/// The operation id of a call whose calldata is canonical, hashed over the calldata itself.
///
/// Without `delay` the encoding loses one head word, so each dynamic offset is 32 less and the
/// tails are the calldata's own bytes, in place. Re-encoding would build (and have to wipe) a
/// second copy as large as the payload; this reads the payload once more, in the hash.
fn operation_id_in_place(args: &[u8], fields: IdFields) -> Option<B256> {
    let IdFields::WithoutDelay { dynamic } = fields else {
        return Some(keccak256(args));
    };
    let (heads, tails) = args.split_at_checked(6 * WORD)?;
    let mut hasher = Keccak256::new();
    for (slot, head) in heads.chunks_exact(WORD).take(5).enumerate() {
        if dynamic.contains(&slot) {
            let offset = U256::from_be_slice(head).checked_sub(U256::from(WORD))?;
            hasher.update(offset.to_be_bytes::<WORD>());
        } else {
            hasher.update(head);
        }
    }
    hasher.update(tails);
    Some(hasher.finalize())
}

/// The operation id: hashed in place when the calldata is canonical (it then is the id's
/// encoding, up to the head), re-encoded from the decoded fields when it is not.
fn operation_id(data: &[u8], canonical: bool, fields: IdFields, reencoded: impl FnOnce() -> B256) -> B256 {
    let in_place = canonical.then(|| data.get(4..).and_then(|args| operation_id_in_place(args, fields)));
    in_place.flatten().unwrap_or_else(reencoded)
}

fn timelock_single(
    node: &mut CallNode,
    data: &[u8],
    ctx: &Ctx<'_>,
    (target, value, payload, predecessor, salt): (Address, U256, Bytes, B256, B256),
    payload_name: &'static str,
    delay: Option<U256>,
) -> Decoded {
    let id = ctx.ids.then(|| {
        let fields = if delay.is_some() { IdFields::WithoutDelay { dynamic: &[2] } } else { IdFields::All };
        operation_id(data, node.canonical, fields, || {
            hash_operation(target, value, &payload, predecessor, salt)
        })
    });
    let child = ctx.child(Some(target), value, Operation::Call, &payload);
    // The payload moves into the node, its only holder from here on, which wipes it when dropped
    // (also when the child failed). Built at its final size: a vector that grows frees its old
    // block unwiped.
    node.args = Vec::with_capacity(6);
    node.args.extend([
        addr("target", target),
        uint("value", "uint256", value),
        Arg { name: payload_name, ty: "bytes", value: ArgValue::Bytes(payload) },
        word("predecessor", predecessor),
        word("salt", salt),
    ]);
    node.args.extend(delay.map(|d| uint("delay", "uint256", d)));
    if let Some(id) = id {
        node.details = vec![detail("operation_id", ArgValue::Word(id))];
    }
    node.children.push(child?);
    Ok(())
}

pub(super) fn schedule(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::scheduleCall>(data)?;
    node.canonical = canonical;
    let fields = (call.target, call.value, core::mem::take(&mut call.data), call.predecessor, call.salt);
    timelock_single(node, data, ctx, fields, "data", Some(call.delay))
}

pub(super) fn execute(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::executeCall>(data)?;
    node.canonical = canonical;
    let fields = (call.target, call.value, core::mem::take(&mut call.payload), call.predecessor, call.salt);
    timelock_single(node, data, ctx, fields, "payload", None)
}

fn timelock_batch(
    node: &mut CallNode,
    data: &[u8],
    ctx: &Ctx<'_>,
    (targets, values, payloads, predecessor, salt): (&[Address], &[U256], Vec<Bytes>, B256, B256),
    delay: Option<U256>,
) -> Decoded {
    let id = ctx.ids.then(|| {
        let fields =
            if delay.is_some() { IdFields::WithoutDelay { dynamic: &[0, 1, 2] } } else { IdFields::All };
        operation_id(data, node.canonical, fields, || {
            hash_operation_batch(targets, values, &payloads, predecessor, salt)
        })
    });
    // The contract reverts with TimelockInvalidOperationLength on different lengths: no call.
    let lengths_match = targets.len() == values.len() && targets.len() == payloads.len();
    // At its final size: doubling a vector of thousands of calls holds up to twice the memory.
    let mut children = Vec::with_capacity(if lengths_match { targets.len() } else { 0 });
    let mut failed = None;
    if lengths_match {
        for ((target, value), payload) in targets.iter().zip(values).zip(&payloads) {
            match ctx.child(Some(*target), *value, Operation::Call, payload) {
                Ok(child) => children.push(child),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
    }
    // The payloads move into the node, their only holder from here on, which wipes them when
    // dropped (also when a child failed).
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
            value: ArgValue::List(payloads.into_iter().map(ArgValue::Bytes).collect()),
        },
        word("predecessor", predecessor),
        word("salt", salt),
    ]);
    node.args.extend(delay.map(|d| uint("delay", "uint256", d)));
    node.details = Vec::with_capacity(2);
    node.details.extend(id.map(|id| detail("operation_id", ArgValue::Word(id))));
    if !lengths_match {
        node.canonical = false;
        node.details.push(detail("error", ArgValue::Text("targets, values and payloads differ in length")));
    }
    node.children = children;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

pub(super) fn schedule_batch(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::scheduleBatchCall>(data)?;
    node.canonical = canonical;
    let payloads = core::mem::take(&mut call.payloads);
    let fields = (&call.targets[..], &call.values[..], payloads, call.predecessor, call.salt);
    timelock_batch(node, data, ctx, fields, Some(call.delay))
}

pub(super) fn execute_batch(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<TimelockController::executeBatchCall>(data)?;
    node.canonical = canonical;
    let payloads = core::mem::take(&mut call.payloads);
    let fields = (&call.targets[..], &call.values[..], payloads, call.predecessor, call.salt);
    timelock_batch(node, data, ctx, fields, None)
}

pub(super) fn cancel(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<TimelockController::cancelCall>(data)?;
    node.canonical = canonical;
    node.args = vec![word("id", call.id)];
    node.details = vec![detail("operation_id", ArgValue::Word(call.id))];
    Ok(())
}
