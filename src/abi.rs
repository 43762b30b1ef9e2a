//! Function names the approved manifest supplies (`abi = ["function initializeV2(uint256)"]`),
//! for calls no built-in decoder knows: an upgrade's initializer above all.
//!
//! A name is only as trustworthy as the manifest that declares it, and a 4-byte selector can
//! collide with another function's, so a named call is always marked "named by the manifest",
//! never overrides a built-in decoder, and is used only once the manifest's hash matched.
//! Arguments are decoded only for the types the linear layout check covers (words, `bytes`,
//! `string`, arrays of words, `bytes[]`), after that check: any other type names the call
//! without decoding it, so work stays linear in the input whatever the manifest declares.

use alloy_dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier};
use alloy_json_abi::Function;
use alloy_primitives::Bytes;
use firmware_policy::calls::layout::{self, Param};
use firmware_policy::calls::{Named, NamedArg, Namer, is_builtin_selector};
use firmware_policy::{ArgValue, CallNode, Manifest};
use zeroize::Zeroize;

/// The union of every action's `abi`, by selector.
pub struct ManifestAbi {
    functions: Vec<Function>,
}

/// Parses one declared signature: `function name(type [name], …)` (the keyword may be left
/// out). Only functions; no outputs are needed.
pub fn parse_signature(text: &str) -> Result<Function, String> {
    let body = text.trim();
    let body = body.strip_prefix("function ").unwrap_or(body);
    Function::parse(body).map_err(|e| format!("not a function signature: {e}"))
}

impl ManifestAbi {
    /// Every action's declared functions. Two declarations with one selector but different
    /// signatures are refused: which one a call is would be a guess.
    pub fn of(manifest: &Manifest) -> Result<Self, String> {
        let mut functions: Vec<Function> = Vec::new();
        for (i, action) in manifest.actions.iter().enumerate() {
            for (j, text) in action.abi.iter().enumerate() {
                let at = format!("actions[{i}].abi[{j}]");
                let f = parse_signature(text).map_err(|e| format!("{at}: {e}"))?;
                let selector = f.selector().0;
                if is_builtin_selector(selector) {
                    return Err(format!(
                        "{at}: {} has the selector of a built-in decoder (0x{}); a manifest cannot rename it",
                        f.signature(),
                        alloy_primitives::hex::encode(selector)
                    ));
                }
                match functions.iter().find(|g| g.selector() == f.selector()) {
                    Some(g) if g.signature() != f.signature() => {
                        return Err(format!(
                            "{at}: {} and {} share the selector 0x{}",
                            f.signature(),
                            g.signature(),
                            alloy_primitives::hex::encode(selector)
                        ));
                    }
                    Some(_) => {}
                    None => functions.push(f),
                }
            }
        }
        Ok(ManifestAbi { functions })
    }

    /// Whether the manifest declares nothing.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// The selectors declared, with their signatures.
    pub fn declared(&self) -> impl Iterator<Item = ([u8; 4], String)> + '_ {
        self.functions.iter().map(|f| (f.selector().0, f.signature()))
    }
}

/// The layout shape of a parameter type, when the linear layout check covers it.
fn shape(ty: &DynSolType) -> Option<Param> {
    let word = |t: &DynSolType| {
        matches!(
            t,
            DynSolType::Address
                | DynSolType::Bool
                | DynSolType::Int(_)
                | DynSolType::Uint(_)
                | DynSolType::FixedBytes(_)
                | DynSolType::Function
        )
    };
    match ty {
        t if word(t) => Some(Param::Word),
        DynSolType::Bytes | DynSolType::String => Some(Param::Bytes),
        DynSolType::Array(inner) if word(inner) => Some(Param::Words),
        DynSolType::Array(inner) if matches!(**inner, DynSolType::Bytes | DynSolType::String) => {
            Some(Param::BytesList)
        }
        _ => None,
    }
}

fn arg_value(v: DynSolValue) -> ArgValue {
    match v {
        DynSolValue::Address(a) => ArgValue::Address(a),
        DynSolValue::Bool(b) => ArgValue::Bool(b),
        DynSolValue::Uint(u, _) => ArgValue::Uint(u),
        DynSolValue::Int(i, _) => ArgValue::String(i.to_string()),
        DynSolValue::FixedBytes(w, 32) => ArgValue::Word(w),
        DynSolValue::FixedBytes(w, n) => {
            ArgValue::Bytes(Bytes::copy_from_slice(w.get(..n).unwrap_or_default()))
        }
        DynSolValue::Function(f) => ArgValue::Bytes(Bytes::copy_from_slice(f.as_slice())),
        DynSolValue::Bytes(b) => ArgValue::Bytes(Bytes::from(b)),
        DynSolValue::String(s) => ArgValue::String(s),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            ArgValue::List(items.into_iter().map(arg_value).collect())
        }
        // Only EIP-712 values are custom structs; ABI decoding never makes one.
        DynSolValue::CustomStruct { tuple, .. } => ArgValue::List(tuple.into_iter().map(arg_value).collect()),
    }
}

impl Namer for ManifestAbi {
    fn name(&self, selector: [u8; 4], data: &[u8]) -> Option<(Named, bool)> {
        let f = self.functions.iter().find(|f| f.selector().0 == selector)?;
        let signature = f.signature();
        let args = data.get(4..).unwrap_or_default();
        let not_decoded =
            |why: String| Named { signature: signature.clone(), args: Vec::new(), not_decoded: Some(why) };
        let types: Result<Vec<DynSolType>, _> = f.inputs.iter().map(|p| p.resolve()).collect();
        let Ok(types) = types else {
            return Some((not_decoded("a parameter type alloy cannot resolve".into()), true));
        };
        let params: Option<Vec<Param>> = types.iter().map(shape).collect();
        let Some(params) = params else {
            let why = "arguments not decoded: a parameter type outside the linear layout check (words, bytes, \
                       string, arrays of words, bytes[])";
            return Some((not_decoded(why.into()), true));
        };
        if let Err(e) = layout::check(&params, args) {
            return Some((not_decoded(e.to_string()), false));
        }
        let values = match f.abi_decode_input(args) {
            Ok(values) => values,
            Err(e) => return Some((not_decoded(format!("arguments do not decode: {e}")), false)),
        };
        let mut encoded = f.abi_encode_input_raw(&values).unwrap_or_default();
        let canonical = encoded == args;
        encoded.zeroize();
        let args = f
            .inputs
            .iter()
            .zip(values)
            .map(|(p, v)| NamedArg { name: p.name.clone(), ty: p.ty.clone(), value: arg_value(v) })
            .collect();
        Some((Named { signature, args, not_decoded: None }, canonical))
    }
}

/// Selectors of every node of a tree.
pub fn selectors(node: &CallNode, out: &mut Vec<[u8; 4]>) {
    out.extend(node.selector);
    for child in &node.children {
        selectors(child, out);
    }
}

/// `proposal` with its tree named by the approved manifest's `abi`, and those names (for the
/// diff); as it is, and none, when the manifest is not the approved one (an unapproved file's
/// names are never used) or declares none.
pub fn named_proposal(
    manifest: &firmware_policy::OpenedManifest,
    proposal: firmware_policy::Proposal,
) -> Result<(firmware_policy::Proposal, Option<ManifestAbi>), String> {
    let Some(approved) = manifest.approved() else { return Ok((proposal, None)) };
    let abi = ManifestAbi::of(approved.manifest())?;
    if abi.is_empty() {
        return Ok((proposal, None));
    }
    let proposal = proposal.renamed(&abi).map_err(|e| format!("calldata: {e}"))?;
    Ok((proposal, Some(abi)))
}

/// The verdict's diff ([`firmware_policy::diff::explain`]), with the approved action trees named
/// as the proposal's was (`abi`, from [`named_proposal`]).
pub fn diff(
    manifest: &firmware_policy::OpenedManifest,
    verdict: &firmware_policy::Verdict,
    proposal: &firmware_policy::Proposal,
    abi: Option<&ManifestAbi>,
) -> Option<firmware_policy::diff::TreeDiff> {
    let namer = abi.map(|a| a as &dyn Namer);
    firmware_policy::diff::explain(manifest.approved()?, verdict, proposal, namer)
}

/// The manifest's names, when it declares any (and they parse).
pub fn namer_of(loaded: &firmware_policy::LoadedManifest) -> Option<ManifestAbi> {
    ManifestAbi::of(loaded.manifest()).ok().filter(|a| !a.is_empty())
}

/// An action's own tree, named by the manifest's `abi` (what `manifest show` prints).
pub fn action_tree(
    loaded: &firmware_policy::LoadedManifest,
    index: usize,
    abi: Option<&ManifestAbi>,
) -> Option<CallNode> {
    match abi {
        Some(abi) => loaded.action_tree_named(index, abi),
        None => loaded.action_tree(index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_linear_layouts_are_decoded() {
        let shape_of = |t: &str| shape(&DynSolType::parse(t).unwrap_or(DynSolType::Bool));
        assert_eq!(shape_of("uint256"), Some(Param::Word));
        assert_eq!(shape_of("string"), Some(Param::Bytes));
        assert_eq!(shape_of("address[]"), Some(Param::Words));
        assert_eq!(shape_of("string[]"), Some(Param::BytesList));
        assert_eq!(shape(&DynSolType::parse("(uint256,bytes)").unwrap_or(DynSolType::Bool)), None);
        assert_eq!(shape(&DynSolType::parse("uint256[][]").unwrap_or(DynSolType::Bool)), None);
    }

    #[test]
    fn signatures_parse_with_or_without_the_keyword() {
        let a = parse_signature("function initializeV2(uint256 answer)").map(|f| f.signature());
        let b = parse_signature("initializeV2(uint256)").map(|f| f.signature());
        assert_eq!(a, Ok("initializeV2(uint256)".into()));
        assert_eq!(a, b);
        assert!(parse_signature("event Upgraded(address)").is_err());
    }
}
