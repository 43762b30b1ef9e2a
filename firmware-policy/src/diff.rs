//! What differs between a refused proposal and the approved action it most resembles.
//!
//! `payload_not_approved` alone says only that no action has exactly this (to, calldata). A
//! signer needs to see *where*: an implementation swapped three wrappers deep looks like any other
//! upgrade, and when the new address is itself allowlisted no other check fails. This walks the
//! two call trees side by side and names every node and argument that differs, by its path
//! through the wrappers (`execTransaction.data → schedule.data → upgradeAndCall.implementation`).
//!
//! Rules:
//! - the closest action: among the actions with the proposal's `to` (else all of them), the one
//!   with the most equal leaf arguments; ties go to manifest order;
//! - a node whose selector or function differs is one entry at that node, with the two selectors;
//!   nothing below it is compared;
//! - a `bytes` argument that was decoded into calls is compared through those calls, not as bytes
//!   (its difference is where the calls differ); when they show no difference (an unknown
//!   function's calldata), the bytes themselves are the entry;
//! - a call a ProxyAdmin makes on its proxy restates the ProxyAdmin's own arguments, so only the
//!   calls below it are compared; a MultiSend entry's `to`, `value` and `operation` come from its
//!   packed bytes and are compared as fields of the entry.
//!
//! Work is linear in the two trees (the manifest's actions are decoded by the linear decoders).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use alloy_primitives::Bytes;
use zeroize::Zeroize;

use crate::calls::{ArgValue, CallNode, Namer};
use crate::check::{Proposal, Reason, Verdict};
use crate::manifest::LoadedManifest;

/// The separator between the segments of a path.
pub const ARROW: &str = " → ";

/// One difference.
#[derive(Debug, PartialEq, Eq)]
pub struct DiffEntry {
    /// `function.arg` segments joined by [`ARROW`]; a node-level entry ends in the function name.
    pub path: String,
    /// Child indices from the root to the node of the proposed tree the entry belongs to.
    pub node: Vec<usize>,
    /// The approved value (a selector is 4 bytes; a missing call is text).
    pub approved: ArgValue,
    /// The proposed value.
    pub proposed: ArgValue,
}

impl Drop for DiffEntry {
    fn drop(&mut self) {
        self.approved.zeroize();
        self.proposed.zeroize();
    }
}

/// The closest approved action and every difference from it.
#[derive(Debug, PartialEq, Eq)]
pub struct TreeDiff {
    /// The action's index in the manifest.
    pub action: usize,
    /// The differences, in tree order.
    pub entries: Vec<DiffEntry>,
}

/// The diff the verdict shows: present only when the manifest is the approved one and the
/// verdict reports `payload_not_approved`.
/// `namer` names calls from the manifest's `abi`, as the proposal's tree was named.
pub fn explain(
    manifest: &LoadedManifest,
    verdict: &Verdict,
    proposal: &Proposal,
    namer: Option<&dyn Namer>,
) -> Option<TreeDiff> {
    if !verdict.reasons().contains(&Reason::PayloadNotApproved) || verdict.manifest_hash() != manifest.hash()
    {
        return None;
    }
    closest(manifest, proposal.calls(), namer)
}

/// The action whose tree is closest to `proposed`, and the differences.
pub fn closest(
    manifest: &LoadedManifest,
    proposed: &CallNode,
    namer: Option<&dyn Namer>,
) -> Option<TreeDiff> {
    let actions = &manifest.manifest().actions;
    let same_to = actions.iter().any(|a| Some(a.to) == proposed.to);
    let mut best: Option<(usize, TreeDiff)> = None;
    for (index, action) in actions.iter().enumerate() {
        if same_to && Some(action.to) != proposed.to {
            continue;
        }
        let tree = match namer {
            Some(n) => manifest.action_tree_named(index, n),
            None => manifest.action_tree(index),
        };
        let Some(approved) = tree else { continue };
        let mut walk = Walk { entries: Vec::new(), equal: 0 };
        if approved.to != proposed.to {
            walk.entry(String::from("to"), &[], to_value(approved.to), to_value(proposed.to));
        }
        walk.node(&approved, proposed, "", &mut Vec::new());
        let better = best.as_ref().is_none_or(|(equal, _)| walk.equal > *equal);
        if better {
            best = Some((walk.equal, TreeDiff { action: index, entries: walk.entries }));
        }
    }
    best.map(|(_, diff)| diff)
}

fn to_value(to: Option<alloy_primitives::Address>) -> ArgValue {
    to.map_or(ArgValue::Text("(none: contract creation)"), ArgValue::Address)
}

/// The name a node's path segment uses: the function name, else the selector, else "call".
fn name(node: &CallNode) -> String {
    match (node.function, node.selector) {
        (Some(f), _) => f.split('(').next().unwrap_or(f).to_string(),
        (None, Some(_)) if node.named.is_some() => {
            let signature = node.named.as_ref().map_or("", |n| n.signature.as_str());
            signature.split('(').next().unwrap_or(signature).to_string()
        }
        (None, Some(s)) => format!("0x{}", alloy_primitives::hex::encode(s)),
        (None, None) => String::from("call"),
    }
}

fn selector_value(node: &CallNode) -> ArgValue {
    node.selector.map_or(ArgValue::Text("(no selector)"), |s| ArgValue::Bytes(Bytes::copy_from_slice(&s)))
}

/// The argument a node's children were decoded from: its `bytes` or `bytes[]` argument.
fn child_source(node: &CallNode) -> Option<&crate::calls::Arg> {
    node.args.iter().find(|a| a.ty == "bytes" || a.ty == "bytes[]")
}

/// A ProxyAdmin call: its child restates its arguments as a call on the proxy.
fn restates_arguments(node: &CallNode) -> bool {
    matches!(node.function, Some(f) if f.starts_with("upgrade(") || f.starts_with("upgradeAndCall("))
}

/// A MultiSend: its children's fields come from its packed bytes.
fn packs_calls(node: &CallNode) -> bool {
    matches!(node.function, Some(f) if f.starts_with("multiSend("))
}

struct Walk {
    entries: Vec<DiffEntry>,
    equal: usize,
}

impl Walk {
    fn entry(&mut self, path: String, node: &[usize], approved: ArgValue, proposed: ArgValue) {
        self.entries.push(DiffEntry { path, node: node.to_vec(), approved, proposed });
    }

    /// Compares two nodes at `prefix` (the path down to them, ending in an arrow or empty).
    fn node(&mut self, a: &CallNode, p: &CallNode, prefix: &str, at: &mut Vec<usize>) {
        let fname = name(p);
        let signature = |n: &CallNode| n.named.as_ref().map(|x| x.signature.clone());
        if a.selector != p.selector || a.function != p.function || signature(a) != signature(p) {
            self.entry(format!("{prefix}{fname}"), at, selector_value(a), selector_value(p));
            return;
        }
        let source = child_source(p).map(|s| s.name);
        for (arg_a, arg_p) in a.args.iter().zip(&p.args) {
            if arg_a.value == arg_p.value {
                self.equal = self.equal.saturating_add(1);
            } else if Some(arg_p.name) == source && !p.children.is_empty() {
                // Compared through the calls decoded from it, below.
            } else {
                self.value(format!("{prefix}{fname}.{}", arg_p.name), at, &arg_a.value, &arg_p.value);
            }
        }
        if let (Some(na), Some(np)) = (&a.named, &p.named) {
            for (x, y) in na.args.iter().zip(&np.args) {
                if x.value == y.value {
                    self.equal = self.equal.saturating_add(1);
                } else {
                    let arg = if y.name.is_empty() { y.ty.as_str() } else { y.name.as_str() };
                    self.value(format!("{prefix}{fname}.{arg}"), at, &x.value, &y.value);
                }
            }
        }
        self.children(a, p, prefix, &fname, source, at);
    }

    /// An argument's difference; arrays of equal length are compared element by element.
    fn value(&mut self, path: String, at: &[usize], a: &ArgValue, p: &ArgValue) {
        match (a, p) {
            (ArgValue::List(la), ArgValue::List(lp)) if la.len() == lp.len() => {
                for (i, (x, y)) in la.iter().zip(lp).enumerate() {
                    if x == y {
                        self.equal = self.equal.saturating_add(1);
                    } else {
                        self.value(format!("{path}[{i}]"), at, x, y);
                    }
                }
            }
            _ => self.entry(path, at, a.clone(), p.clone()),
        }
    }

    fn children(
        &mut self,
        a: &CallNode,
        p: &CallNode,
        prefix: &str,
        fname: &str,
        source: Option<&str>,
        at: &mut Vec<usize>,
    ) {
        if a.children.is_empty() && p.children.is_empty() {
            return;
        }
        let via = source.map_or_else(|| String::from(fname), |s| format!("{fname}.{s}"));
        if a.children.len() != p.children.len() {
            let count = |n: &CallNode| ArgValue::Uint(alloy_primitives::U256::from(n.children.len()));
            let path = format!("{prefix}{via} (number of calls)");
            self.entry(path, at, count(a), count(p));
            return;
        }
        let several = p.children.len() > 1;
        let before = self.entries.len();
        for (k, (ca, cp)) in a.children.iter().zip(&p.children).enumerate() {
            at.push(k);
            let segment =
                if several { format!("{prefix}{via}[{k}]{ARROW}") } else { format!("{prefix}{via}{ARROW}") };
            if packs_calls(p) {
                self.fields(ca, cp, &segment, at);
            }
            if restates_arguments(p) {
                // Only what the proxy call carries further down: its initializer.
                let inner_source = child_source(cp).map(|s| s.name);
                self.children(ca, cp, &segment, &name(cp), inner_source, at);
            } else {
                self.node(ca, cp, &segment, at);
            }
            at.pop();
        }
        // Bytes that differ where the calls decoded from them do not (an unknown function's
        // calldata, trailing bytes): the bytes are the difference.
        if self.entries.len() == before {
            let arg = |n: &CallNode| n.args.iter().find(|x| Some(x.name) == source).map(|x| x.value.clone());
            if let (Some(x), Some(y)) = (arg(a), arg(p))
                && x != y
            {
                self.entry(format!("{prefix}{via}"), at, x, y);
            }
        }
    }

    /// A MultiSend entry's own fields.
    fn fields(&mut self, a: &CallNode, p: &CallNode, segment: &str, at: &[usize]) {
        if a.to != p.to {
            self.entry(format!("{segment}to"), at, to_value(a.to), to_value(p.to));
        }
        if a.value != p.value {
            self.entry(format!("{segment}value"), at, ArgValue::Uint(a.value), ArgValue::Uint(p.value));
        }
        if a.operation != p.operation {
            self.entry(
                format!("{segment}operation"),
                at,
                ArgValue::Text(a.operation.as_str()),
                ArgValue::Text(p.operation.as_str()),
            );
        }
    }
}
