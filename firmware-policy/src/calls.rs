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

pub mod layout;
pub(crate) mod multisend;
pub(crate) mod proxy;
pub(crate) mod safe;
mod table;
pub(crate) mod timelock;

pub use timelock::{hash_operation, hash_operation_batch};

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use alloy_sol_types::abi::{Encoder, TokenSeq};
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
    /// A byte string. Shared with the decoded call it came from (and the child decoded from it),
    /// not copied: each wrapper level of a nested payload would otherwise hold one more copy.
    Bytes(Bytes),
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
            // The last holder wipes the shared buffer (see `tx::wipe_bytes`).
            ArgValue::Bytes(b) => crate::tx::wipe_bytes(b),
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
    /// A function the approved manifest's `abi` names (only for selectors no built-in decoder
    /// knows): its signature and arguments are input text, escaped wherever they are shown.
    /// Boxed: most nodes have none, and every node is moved and dropped.
    pub named: Option<alloc::boxed::Box<Named>>,
}

/// A call named by the manifest's `abi`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Named {
    /// The signature as the manifest declares it, canonicalized (`initializeV2(uint256)`).
    pub signature: String,
    /// The decoded arguments, when the types are ones the linear layout check covers.
    pub args: Vec<NamedArg>,
    /// Why the arguments are not shown, when they are not.
    pub not_decoded: Option<String>,
}

/// One argument of a manifest-named call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NamedArg {
    /// The parameter name (may be empty).
    pub name: String,
    /// The Solidity type.
    pub ty: String,
    /// The value.
    pub value: ArgValue,
}

/// Names calls the built-in decoders do not know, from the approved manifest's `abi` (the agent
/// implements it with alloy's dynamic ABI). `data` is the whole calldata, selector included.
/// Its work must be linear in `data` (check the layout with [`layout`] before decoding), and it
/// returns `canonical: false` when the arguments do not re-encode to `data`.
pub trait Namer {
    /// The named call and whether its calldata is canonical, if `selector` is declared.
    fn name(&self, selector: [u8; 4], data: &[u8]) -> Option<(Named, bool)>;
}

/// Whether a built-in decoder knows `selector` (a manifest may never rename one).
pub fn is_builtin_selector(selector: [u8; 4]) -> bool {
    table::lookup(selector).is_some()
}

impl Drop for CallNode {
    fn drop(&mut self) {
        if let Some(named) = &mut self.named {
            for arg in &mut named.args {
                arg.value.zeroize();
            }
        }
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
            named: None,
        }
    }
}

/// `multiSend(bytes)`, MultiSend's and MultiSendCallOnly's one function.
pub const MULTI_SEND_SELECTOR: [u8; 4] =
    <multisend::MultiSend::multiSendCall as alloy_sol_types::SolCall>::SELECTOR;

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
    decode_root(to, value, operation, data, true, None)
}

/// [`decode_call`] with names for selectors no built-in decoder knows: what a proposal's tree is
/// decoded with once the manifest's hash matched, and an action's own tree.
pub fn decode_call_named(
    to: Option<Address>,
    value: U256,
    operation: Operation,
    data: &[u8],
    namer: &dyn Namer,
) -> Result<CallNode, CallTreeError> {
    decode_root(to, value, operation, data, true, Some(namer))
}

/// [`decode_call`] without the facts that cost a hash of the payload (Timelock operation ids):
/// what validation needs, which checks the tree's shape, targets and canonicality only.
pub fn decode_call_shape(
    to: Option<Address>,
    value: U256,
    operation: Operation,
    data: &[u8],
) -> Result<CallNode, CallTreeError> {
    decode_root(to, value, operation, data, false, None)
}

fn decode_root(
    to: Option<Address>,
    value: U256,
    operation: Operation,
    data: &[u8],
    ids: bool,
    namer: Option<&dyn Namer>,
) -> Result<CallNode, CallTreeError> {
    let budget = Budget { nodes: Cell::new(0), bytes: Cell::new(0) };
    decode_at(to, value, operation, data, &Ctx { depth: 0, budget: &budget, ids, namer })
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
    Arg { name, ty: "bytes", value: ArgValue::Bytes(b.clone()) }
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
        crate::wipe::wipe(&mut word.0);
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
    /// Whether to compute wrapper facts that cost a hash of the payload (Timelock operation ids):
    /// manifest validation needs the tree's shape, not its ids, and the payload is hashed once.
    ids: bool,
    /// Names for selectors no built-in decoder knows (the approved manifest's `abi`).
    namer: Option<&'b dyn Namer>,
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
        decode_at(
            to,
            value,
            operation,
            data,
            &Ctx { depth, budget: self.budget, ids: self.ids, namer: self.namer },
        )
    }

    /// A child call that does not exist as bytes in the input (a ProxyAdmin's call on its proxy),
    /// built by `fill` from fields already decoded. It counts against the limits as the
    /// `calldata_len` bytes its encoding would have.
    fn synthesized(
        &self,
        to: Option<Address>,
        value: U256,
        operation: Operation,
        selector: [u8; 4],
        calldata_len: usize,
        fill: impl FnOnce(&mut CallNode, &Ctx<'_>) -> Decoded,
    ) -> Result<CallNode, Fail> {
        let depth = self.depth.checked_add(1).ok_or(CallTreeError::TooDeep)?;
        if depth > MAX_CALL_DEPTH {
            return Err(CallTreeError::TooDeep.into());
        }
        self.budget.spend(calldata_len)?;
        let mut node = CallNode {
            to,
            value,
            operation,
            selector: Some(selector),
            function: None,
            known_as: &[],
            args: Vec::new(),
            canonical: true,
            calldata_len,
            details: Vec::new(),
            children: Vec::new(),
            named: None,
        };
        if let Some(known) = table::lookup(selector) {
            node.function = Some(known.signature);
            node.known_as = known.known_as;
        }
        fill(&mut node, &Ctx { depth, budget: self.budget, ids: self.ids, namer: self.namer })?;
        Ok(node)
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
    let Some(known) = table::lookup(selector) else {
        if let Some((named, canonical)) = ctx.namer.and_then(|n| n.name(selector, data)) {
            node.named = Some(alloc::boxed::Box::new(named));
            node.canonical = canonical;
        }
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

#[cfg(test)]
mod tests;
