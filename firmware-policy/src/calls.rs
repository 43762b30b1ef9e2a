//! The call tree: what a transaction's calldata does, down through every wrapper.
//!
//! Each node is one call. Wrappers (Safe `execTransaction`, MultiSend, TimelockController,
//! ProxyAdmin, an upgrade's initializer) become parents of the calls they make or schedule, so a
//! signer sees the implementation being installed three wrappers deep, and the policy can hold
//! every reached address against the allowlist.
//!
//! Decoding never guesses: an unknown selector is a node with no function, and a selector that
//! several contracts share is labelled with all of them. A node whose calldata is not the exact
//! ABI encoding of its arguments (trailing bytes, odd offsets) is marked non-canonical rather than
//! rejected, so the verdict can say so.

pub(crate) mod abi;
mod layout;
mod multisend;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::abi::{Encoder, TokenSeq};
use alloy_sol_types::{SolCall, SolValue};
use zeroize::Zeroize;

use crate::limits::{MAX_CALL_DEPTH, MAX_TREE_BYTES, MAX_TREE_NODES};

/// How a call is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A message call.
    Call,
    /// A delegatecall: the target's code runs with the caller's storage.
    DelegateCall,
    /// Contract creation.
    Create,
}

impl Operation {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Call => "call",
            Operation::DelegateCall => "delegatecall",
            Operation::Create => "create",
        }
    }
}

/// A decoded argument or detail value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ArgValue {
    /// An address.
    Address(Address),
    /// An unsigned integer.
    Uint(U256),
    /// A 32-byte word (`bytes32`).
    Word(B256),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A boolean.
    Bool(bool),
    /// A fixed text produced by the decoder (never text from input).
    Text(&'static str),
    /// Free text produced by the decoder from input (a decode error message).
    String(String),
    /// An array.
    List(Vec<ArgValue>),
}

impl Zeroize for ArgValue {
    fn zeroize(&mut self) {
        match self {
            ArgValue::Address(a) => a.0.0.zeroize(),
            ArgValue::Uint(u) => *u = U256::ZERO,
            ArgValue::Word(w) => w.0.zeroize(),
            ArgValue::Bytes(b) => b.zeroize(),
            ArgValue::Bool(b) => b.zeroize(),
            ArgValue::Text(_) => {}
            ArgValue::String(s) => s.zeroize(),
            ArgValue::List(l) => {
                for v in l.iter_mut() {
                    v.zeroize();
                }
                l.clear();
            }
        }
    }
}

/// One named argument of a decoded call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Arg {
    /// The parameter name from the contract's ABI.
    pub name: &'static str,
    /// The Solidity type.
    pub ty: &'static str,
    /// The value.
    pub value: ArgValue,
}

/// A wrapper fact: a Timelock operation id, the new implementation, a Safe operation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Detail {
    /// The fact's name.
    pub key: &'static str,
    /// Its value.
    pub value: ArgValue,
}

/// One call in the tree.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CallNode {
    /// The target; `None` for contract creation.
    pub to: Option<Address>,
    /// Wei sent with the call.
    pub value: U256,
    /// How the call is made.
    pub operation: Operation,
    /// The first four bytes, when there are at least four.
    pub selector: Option<[u8; 4]>,
    /// The full signature, when the selector is one this decoder knows.
    pub function: Option<&'static str>,
    /// Contracts known to use this selector (all of them: never a guess of one).
    pub known_as: &'static [&'static str],
    /// Decoded arguments.
    pub args: Vec<Arg>,
    /// False when the calldata is not the exact ABI encoding of `args`.
    pub canonical: bool,
    /// Length of the calldata.
    pub calldata_len: usize,
    /// Wrapper facts.
    pub details: Vec<Detail>,
    /// The calls this call makes or schedules, in order.
    pub children: Vec<CallNode>,
}

impl Drop for CallNode {
    fn drop(&mut self) {
        for arg in &mut self.args {
            arg.value.zeroize();
        }
        for detail in &mut self.details {
            detail.value.zeroize();
        }
    }
}

/// Why a call tree could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallTreeError {
    /// Wrappers nest deeper than [`MAX_CALL_DEPTH`].
    TooDeep,
    /// The tree has more than [`MAX_TREE_NODES`] calls.
    TooManyNodes,
    /// The calls of the tree carry more than [`MAX_TREE_BYTES`] of calldata in all.
    TooManyBytes,
}

impl fmt::Display for CallTreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallTreeError::TooDeep => {
                write!(f, "calls nest deeper than {MAX_CALL_DEPTH} levels")
            }
            CallTreeError::TooManyNodes => {
                write!(f, "the call tree has more than {MAX_TREE_NODES} calls (size limit)")
            }
            CallTreeError::TooManyBytes => write!(
                f,
                "the calls of the tree carry more than {MAX_TREE_BYTES} bytes of calldata in all (size limit)"
            ),
        }
    }
}

impl core::error::Error for CallTreeError {}

/// The name of the detail that carries an upgrade's new implementation.
pub const NEW_IMPLEMENTATION: &str = "new_implementation";

impl CallNode {
    /// Every address the tree below the root calls or installs as code: children's targets at
    /// any depth, and every new implementation (the root's own `to` is not included).
    pub fn reached_addresses(&self) -> Vec<Address> {
        let mut out = Vec::new();
        self.collect_reached(&mut out);
        out
    }

    fn collect_reached(&self, out: &mut Vec<Address>) {
        for detail in &self.details {
            if let (NEW_IMPLEMENTATION, ArgValue::Address(a)) = (detail.key, &detail.value) {
                out.push(*a);
            }
        }
        for child in &self.children {
            if let Some(to) = child.to {
                out.push(to);
            }
            child.collect_reached(out);
        }
    }

    /// Whether this node and every node below it is canonical.
    pub fn is_canonical(&self) -> bool {
        self.canonical && self.children.iter().all(CallNode::is_canonical)
    }

    /// The number of levels below this node (0 for a leaf).
    pub fn depth(&self) -> usize {
        self.children.iter().map(|c| c.depth().saturating_add(1)).max().unwrap_or(0)
    }

    fn leaf(to: Option<Address>, value: U256, operation: Operation, data: &[u8]) -> Self {
        let selector = data.first_chunk::<4>().copied();
        CallNode {
            to,
            value,
            operation,
            selector,
            function: None,
            known_as: &[],
            args: Vec::new(),
            // Empty calldata is canonical; one to three bytes are not an ABI call at all.
            canonical: data.is_empty() || selector.is_some(),
            calldata_len: data.len(),
            details: Vec::new(),
            children: Vec::new(),
        }
    }
}

/// Decodes `data` sent to `to` into a call tree.
///
/// Work and memory are linear in `data`: every known call's argument layout is checked before it
/// is decoded (so no two children share bytes), and the whole tree is capped at
/// [`MAX_TREE_NODES`] calls and [`MAX_TREE_BYTES`] of calldata.
pub fn decode_call(
    to: Option<Address>,
    value: U256,
    operation: Operation,
    data: &[u8],
) -> Result<CallNode, CallTreeError> {
    let budget = Budget { nodes: Cell::new(0), bytes: Cell::new(0) };
    decode_at(to, value, operation, data, &Ctx { depth: 0, budget: &budget })
}

fn addr(name: &'static str, a: Address) -> Arg {
    Arg { name, ty: "address", value: ArgValue::Address(a) }
}
fn uint(name: &'static str, ty: &'static str, v: U256) -> Arg {
    Arg { name, ty, value: ArgValue::Uint(v) }
}
fn word(name: &'static str, w: B256) -> Arg {
    Arg { name, ty: "bytes32", value: ArgValue::Word(w) }
}
fn bytes(name: &'static str, b: &Bytes) -> Arg {
    Arg { name, ty: "bytes", value: ArgValue::Bytes(b.to_vec()) }
}
fn detail(key: &'static str, value: ArgValue) -> Detail {
    Detail { key, value }
}

/// ABI-encodes `tokens` into alloy's word buffer, hands the bytes to `f`, and wipes the buffer.
/// `SolCall::abi_encode` would copy that buffer into a second vector and free the first unwiped;
/// this path makes no copy of the (policy) bytes at all.
fn with_encoded<'a, T: TokenSeq<'a>, R>(tokens: &T, f: impl FnOnce(&[u8]) -> R) -> R {
    let mut encoder = Encoder::with_capacity(tokens.total_words());
    encoder.append_head_tail(tokens);
    let result = f(encoder.bytes());
    let mut words = encoder.finish();
    for word in &mut words {
        word.0.zeroize();
    }
    result
}

/// Decodes one known call: `Ok` only when the bytes decode; `canonical` when the decoded
/// arguments re-encode to exactly `data`.
fn decode_known<C: SolCall>(data: &[u8]) -> Result<(C, bool), String> {
    match C::abi_decode(data) {
        Ok(call) => {
            let args = data.get(4..).unwrap_or_default();
            let canonical = with_encoded(&call.tokenize(), |encoded| encoded == args);
            Ok((call, canonical))
        }
        Err(e) => Err(format!("{e}")),
    }
}

/// What one tree has used of its limits so far.
struct Budget {
    nodes: Cell<usize>,
    bytes: Cell<usize>,
}

impl Budget {
    fn spend(&self, calldata_len: usize) -> Result<(), CallTreeError> {
        let nodes = self.nodes.get().saturating_add(1);
        if nodes > MAX_TREE_NODES {
            return Err(CallTreeError::TooManyNodes);
        }
        let bytes = self.bytes.get().saturating_add(calldata_len);
        if bytes > MAX_TREE_BYTES {
            return Err(CallTreeError::TooManyBytes);
        }
        self.nodes.set(nodes);
        self.bytes.set(bytes);
        Ok(())
    }
}

struct Ctx<'b> {
    depth: usize,
    budget: &'b Budget,
}

impl Ctx<'_> {
    fn child(
        &self,
        to: Option<Address>,
        value: U256,
        operation: Operation,
        data: &[u8],
    ) -> Result<CallNode, CallTreeError> {
        let depth = self.depth.checked_add(1).ok_or(CallTreeError::TooDeep)?;
        if depth > MAX_CALL_DEPTH {
            return Err(CallTreeError::TooDeep);
        }
        decode_at(to, value, operation, data, &Ctx { depth, budget: self.budget })
    }
}

fn decode_at(
    to: Option<Address>,
    value: U256,
    operation: Operation,
    data: &[u8],
    ctx: &Ctx<'_>,
) -> Result<CallNode, CallTreeError> {
    ctx.budget.spend(data.len())?;
    let mut node = CallNode::leaf(to, value, operation, data);
    let Some(selector) = node.selector else {
        return Ok(node);
    };
    let Some(known) = abi::lookup(selector) else {
        return Ok(node);
    };
    node.function = Some(known.signature);
    node.known_as = known.known_as;
    // The layout first: a decoder must never see shared or overlapping tails (see `layout`).
    if let Err(e) = layout::check(known.params, data.get(4..).unwrap_or_default()) {
        node.canonical = false;
        node.details = vec![detail("decode_error", ArgValue::String(format!("{e}")))];
        return Ok(node);
    }
    let result = (known.decode)(&mut node, data, ctx);
    match result {
        Ok(()) => Ok(node),
        Err(Fail::Tree(e)) => Err(e),
        Err(Fail::Abi(message)) => {
            node.canonical = false;
            node.args.clear();
            node.children.clear();
            node.details = vec![detail("decode_error", ArgValue::String(message))];
            Ok(node)
        }
    }
}

/// Why a known call's decoder stopped: a malformed argument encoding (the node is shown as
/// non-canonical) or a tree that is too deep (the whole decode fails).
enum Fail {
    Abi(String),
    Tree(CallTreeError),
}

impl From<CallTreeError> for Fail {
    fn from(e: CallTreeError) -> Self {
        Fail::Tree(e)
    }
}

impl From<String> for Fail {
    fn from(e: String) -> Self {
        Fail::Abi(e)
    }
}

type Decoded = Result<(), Fail>;

fn upgrade_to(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<abi::upgradeToCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("newImplementation", call.newImplementation)];
    node.details = vec![detail(NEW_IMPLEMENTATION, ArgValue::Address(call.newImplementation))];
    Ok(())
}

fn upgrade_to_and_call(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::upgradeToAndCallCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("newImplementation", call.newImplementation), bytes("data", &call.data)];
    node.details = vec![detail(NEW_IMPLEMENTATION, ArgValue::Address(call.newImplementation))];
    if !call.data.is_empty() {
        let implementation = Some(call.newImplementation);
        let init = ctx.child(implementation, U256::ZERO, Operation::DelegateCall, &call.data)?;
        node.children.push(init);
    }
    crate::tx::wipe_bytes(&mut call.data);
    Ok(())
}

fn proxy_admin_upgrade(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<abi::upgradeCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("proxy", call.proxy), addr("implementation", call.implementation)];
    let inner = abi::upgradeToCall { newImplementation: call.implementation }.abi_encode();
    node.children.push(ctx.child(Some(call.proxy), U256::ZERO, Operation::Call, &inner)?);
    Ok(())
}

fn proxy_admin_upgrade_and_call(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::upgradeAndCallCall>(data)?;
    node.canonical = canonical;
    node.args = vec![
        addr("proxy", call.proxy),
        addr("implementation", call.implementation),
        bytes("data", &call.data),
    ];
    // Both OpenZeppelin v4 and v5 forward msg.value to the proxy.
    let mut inner = abi::upgradeToAndCallCall {
        newImplementation: call.implementation,
        data: core::mem::take(&mut call.data),
    };
    let mut encoded = inner.abi_encode();
    let child = ctx.child(Some(call.proxy), node.value, Operation::Call, &encoded);
    encoded.zeroize();
    crate::tx::wipe_bytes(&mut inner.data);
    node.children.push(child?);
    Ok(())
}

fn change_proxy_admin(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<abi::changeProxyAdminCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("proxy", call.proxy), addr("newAdmin", call.newAdmin)];
    let inner = abi::changeAdminCall { newAdmin: call.newAdmin }.abi_encode();
    node.children.push(ctx.child(Some(call.proxy), U256::ZERO, Operation::Call, &inner)?);
    Ok(())
}

fn change_admin(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<abi::changeAdminCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("newAdmin", call.newAdmin)];
    node.details = vec![detail("new_admin", ArgValue::Address(call.newAdmin))];
    Ok(())
}

fn transfer_ownership(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<abi::transferOwnershipCall>(data)?;
    node.canonical = canonical;
    node.args = vec![addr("newOwner", call.newOwner)];
    node.details = vec![detail("new_owner", ArgValue::Address(call.newOwner))];
    Ok(())
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
    let fields = (targets.to_vec(), values.to_vec(), payloads.to_vec(), predecessor, salt);
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
    let id = hash_operation(target, value, payload, predecessor, salt);
    node.details = vec![detail("operation_id", ArgValue::Word(id))];
    node.children.push(ctx.child(Some(target), value, Operation::Call, payload)?);
    Ok(())
}

fn schedule(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::scheduleCall>(data)?;
    node.canonical = canonical;
    let fields = (call.target, call.value, &call.data, call.predecessor, call.salt);
    timelock_single(node, ctx, fields, "data", Some(call.delay))?;
    crate::tx::wipe_bytes(&mut call.data);
    Ok(())
}

fn execute(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::executeCall>(data)?;
    node.canonical = canonical;
    let fields = (call.target, call.value, &call.payload, call.predecessor, call.salt);
    timelock_single(node, ctx, fields, "payload", None)?;
    crate::tx::wipe_bytes(&mut call.payload);
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
            value: ArgValue::List(payloads.iter().map(|p| ArgValue::Bytes(p.to_vec())).collect()),
        },
        word("predecessor", predecessor),
        word("salt", salt),
    ]);
    node.args.extend(delay.map(|d| uint("delay", "uint256", d)));
    let id = hash_operation_batch(targets, values, payloads, predecessor, salt);
    node.details = vec![detail("operation_id", ArgValue::Word(id))];
    if targets.len() != values.len() || targets.len() != payloads.len() {
        // The contract reverts with TimelockInvalidOperationLength; no call would be made.
        node.canonical = false;
        node.details.push(detail("error", ArgValue::Text("targets, values and payloads differ in length")));
        return Ok(());
    }
    for ((target, value), payload) in targets.iter().zip(values).zip(payloads) {
        node.children.push(ctx.child(Some(*target), *value, Operation::Call, payload)?);
    }
    Ok(())
}

fn wipe_all(list: &mut [Bytes]) {
    for b in list {
        crate::tx::wipe_bytes(b);
    }
}

fn schedule_batch(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::scheduleBatchCall>(data)?;
    node.canonical = canonical;
    let fields = (&call.targets[..], &call.values[..], &call.payloads[..], call.predecessor, call.salt);
    let result = timelock_batch(node, ctx, fields, Some(call.delay));
    wipe_all(&mut call.payloads);
    result
}

fn execute_batch(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::executeBatchCall>(data)?;
    node.canonical = canonical;
    let fields = (&call.targets[..], &call.values[..], &call.payloads[..], call.predecessor, call.salt);
    let result = timelock_batch(node, ctx, fields, None);
    wipe_all(&mut call.payloads);
    result
}

fn cancel(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<abi::cancelCall>(data)?;
    node.canonical = canonical;
    node.args = vec![word("id", call.id)];
    node.details = vec![detail("operation_id", ArgValue::Word(call.id))];
    Ok(())
}

fn exec_transaction(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::execTransactionCall>(data)?;
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
            crate::tx::wipe_bytes(&mut call.data);
            return Ok(());
        }
    };
    node.details = vec![detail("safe_operation", ArgValue::Text(operation.as_str()))];
    let child = ctx.child(Some(call.to), call.value, operation, &call.data);
    crate::tx::wipe_bytes(&mut call.data);
    crate::tx::wipe_bytes(&mut call.signatures);
    node.children.push(child?);
    Ok(())
}

fn multi_send(node: &mut CallNode, data: &[u8], ctx: &Ctx<'_>) -> Decoded {
    let (mut call, canonical) = decode_known::<abi::multiSendCall>(data)?;
    node.canonical = canonical;
    node.args = vec![bytes("transactions", &call.transactions)];
    let batch = multisend::parse(&call.transactions);
    node.details = vec![detail("entries", ArgValue::Uint(U256::from(batch.entries.len())))];
    if let Some(problem) = batch.error {
        node.canonical = false;
        node.details.push(detail("error", ArgValue::Text(problem)));
    }
    let mut result = Ok(());
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
    crate::tx::wipe_bytes(&mut call.transactions);
    result
}

fn approve_hash(node: &mut CallNode, data: &[u8], _: &Ctx<'_>) -> Decoded {
    let (call, canonical) = decode_known::<abi::approveHashCall>(data)?;
    node.canonical = canonical;
    node.args = vec![word("hashToApprove", call.hashToApprove)];
    node.details = vec![detail("approved_hash", ArgValue::Word(call.hashToApprove))];
    Ok(())
}

#[cfg(test)]
mod tests;
