//! Storage layout compatibility of an upgrade: the new implementation must read every variable the
//! old one wrote where it wrote it. Layouts come from solc's standard-JSON output or a build-info
//! file (Foundry, Hardhat: `output` holds the same), and ERC-7201 namespaces from the AST, since
//! `storageLayout` leaves them out.
//!
//! Types are compared by structure (value types by label and size, structs by their members,
//! mappings by key and value, arrays by base and length), never by the AST ids solc puts in type
//! ids, and a contract or interface type is the address it stores. The rules: every old variable
//! keeps its slot, offset and type (a new name is reported, not refused); a new variable goes
//! after the old ones, or into slots an old `__gap` gives up while its end stays put; every old
//! ERC-7201 namespace stays, its members keep their order and types, and new members are appended.

use std::collections::BTreeMap;
use std::path::Path;

use alloy_primitives::{U256, keccak256};
use serde_json::{Value, json};

/// Why a file is not a compiler output with the layouts asked for.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// Not JSON, or not a standard-JSON output or build-info file.
    #[error("{file}: {why}")]
    Input {
        /// The file.
        file: String,
        /// What is wrong, naming the field.
        why: String,
    },
}

/// A type as storage holds it, without AST ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    /// A value type (`uint256`, `address`, `bool`, `bytes32`, an enum), by label and size.
    Value {
        /// Its label (a contract or interface is `address`; an enum is `enum`).
        label: String,
        /// Bytes it takes.
        bytes: u64,
    },
    /// `bytes` or `string`.
    Dynamic(String),
    /// A struct: its members in order (the struct's name is not compared).
    Struct {
        /// The members.
        members: Vec<Var>,
        /// Bytes it takes.
        bytes: u64,
    },
    /// A mapping.
    Mapping(Box<Ty>, Box<Ty>),
    /// An array: its base, and its length when static.
    Array {
        /// The element type.
        base: Box<Ty>,
        /// `Some(n)` for `T[n]`.
        len: Option<u64>,
        /// Bytes it takes (a dynamic array: one slot).
        bytes: u64,
    },
}

/// A storage variable (or a struct member).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// Its name.
    pub label: String,
    /// Its slot.
    pub slot: U256,
    /// Its byte offset within the slot.
    pub offset: u64,
    /// Its type.
    pub ty: Ty,
    /// Its type as solc writes it, for people.
    pub type_label: String,
}

/// An ERC-7201 namespace: its id and its struct's members (name, type as solc writes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// The id after `erc7201:`.
    pub id: String,
    /// The members, in order.
    pub members: Vec<(String, String)>,
}

/// One contract's storage layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The contract's name.
    pub contract: String,
    /// Its variables, by slot and offset.
    pub vars: Vec<Var>,
    /// Its namespaces (its own and its bases'), by id.
    pub namespaces: Vec<Namespace>,
}

impl Ty {
    fn slots(&self) -> U256 {
        match self {
            Ty::Value { bytes, .. } | Ty::Struct { bytes, .. } | Ty::Array { bytes, .. } => {
                U256::from(bytes.div_ceil(32).max(1))
            }
            Ty::Dynamic(_) | Ty::Mapping(..) => U256::from(1),
        }
    }

    fn normalized(&self) -> Value {
        match self {
            Ty::Value { label, bytes } => json!({"value": label, "bytes": bytes}),
            Ty::Dynamic(label) => json!({"dynamic": label}),
            Ty::Struct { members, bytes } => {
                json!({"struct": members.iter().map(Var::normalized).collect::<Vec<_>>(), "bytes": bytes})
            }
            Ty::Mapping(k, v) => json!({"mapping": [k.normalized(), v.normalized()]}),
            Ty::Array { base, len, bytes } => json!({"array": base.normalized(), "len": len, "bytes": bytes}),
        }
    }
}

impl Var {
    fn normalized(&self) -> Value {
        json!({"label": self.label, "slot": self.slot.to_string(), "offset": self.offset, "type": self.ty.normalized()})
    }

    fn end(&self) -> U256 {
        self.slot.saturating_add(self.ty.slots())
    }

    /// Where it starts, in bytes of storage.
    fn start_byte(&self) -> U256 {
        self.slot.saturating_mul(U256::from(32)).saturating_add(U256::from(self.offset))
    }

    /// Where it ends, in bytes: a value smaller than a slot ends inside it (the next one may be
    /// packed after it); anything else ends at a slot's end.
    fn end_byte(&self) -> U256 {
        match &self.ty {
            Ty::Value { bytes, .. } if *bytes < 32 => self.start_byte().saturating_add(U256::from(*bytes)),
            _ => self.end().saturating_mul(U256::from(32)),
        }
    }

    fn is_gap(&self) -> bool {
        self.label == "__gap" && matches!(self.ty, Ty::Array { len: Some(_), .. })
    }
}

impl Layout {
    /// The normalized layout as JSON (names, slots, offsets, structural types; namespaces), the
    /// same for the same storage whatever the AST ids.
    pub fn normalized(&self) -> Value {
        json!({
            "contract": self.contract,
            "storage": self.vars.iter().map(Var::normalized).collect::<Vec<_>>(),
            "namespaces": self.namespaces.iter().map(|n| json!({"id": n.id, "members": n.members})).collect::<Vec<_>>(),
        })
    }

    /// keccak256 of the normalized layout's compact JSON.
    pub fn digest(&self) -> alloy_primitives::B256 {
        keccak256(self.normalized().to_string())
    }
}

/// Reads `contract` (`Name` or `path:Name`) from a compiler output file; `None` picks the one
/// contract with storage when there is exactly one.
pub fn read(path: &Path, contract: Option<&str>) -> Result<Layout, LayoutError> {
    let file = path.display().to_string();
    let err = |why: String| LayoutError::Input { file: file.clone(), why };
    let bytes = crate::input::read_file_limited(path, 256 << 20).map_err(|e| err(e.to_string()))?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| err(format!("not JSON: {e}")))?;
    let output = if doc.get("contracts").is_some() { &doc } else { &doc["output"] };
    let Some(contracts) = output["contracts"].as_object() else {
        return Err(err("neither solc's standard-JSON output nor a build-info file (no `contracts`)".into()));
    };
    let mut found: Vec<(String, String, &Value)> = Vec::new();
    for (source, named) in contracts {
        for (name, c) in named.as_object().into_iter().flatten() {
            let wanted = match contract {
                Some(w) => w == name || *w == format!("{source}:{name}"),
                None => c["storageLayout"]["storage"].as_array().is_some_and(|s| !s.is_empty()),
            };
            if wanted {
                found.push((source.clone(), name.clone(), c));
            }
        }
    }
    let (source, name, c) = match found.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(err(match contract {
                Some(w) => format!("no contract {w}"),
                None => "no contract with storage: name one with --contract".into(),
            }));
        }
        _ => {
            let names: Vec<String> = found.iter().map(|(s, n, _)| format!("{s}:{n}")).collect();
            return Err(err(format!(
                "several contracts match ({}): name one as path:Name",
                names.join(", ")
            )));
        }
    };
    let layout = &c["storageLayout"];
    if layout.is_null() {
        return Err(err(format!(
            "{source}:{name} has no storageLayout: compile with outputSelection \"storageLayout\" (and \"ast\" for ERC-7201 namespaces)"
        )));
    }
    let types = layout["types"].as_object().cloned().unwrap_or_default();
    let vars =
        vars_of(&layout["storage"], &types, 0).map_err(|why| err(format!("{source}:{name}: {why}")))?;
    let namespaces = namespaces_of(output, &name);
    Ok(Layout { contract: name, vars, namespaces })
}

fn vars_of(
    storage: &Value,
    types: &serde_json::Map<String, Value>,
    depth: usize,
) -> Result<Vec<Var>, String> {
    let Some(entries) = storage.as_array() else { return Err("storage is not an array".into()) };
    let mut vars = Vec::with_capacity(entries.len());
    for e in entries {
        let label = e["label"].as_str().ok_or("a variable without a label")?.to_string();
        let slot: U256 =
            e["slot"].as_str().and_then(|s| s.parse().ok()).ok_or(format!("{label}: no slot"))?;
        let offset = e["offset"].as_u64().ok_or(format!("{label}: no offset"))?;
        let id = e["type"].as_str().ok_or(format!("{label}: no type"))?;
        let type_label = types.get(id).and_then(|t| t["label"].as_str()).unwrap_or(id).to_string();
        vars.push(Var { label, slot, offset, ty: ty_of(id, types, depth)?, type_label });
    }
    vars.sort_by_key(|v| (v.slot, v.offset));
    Ok(vars)
}

fn ty_of(id: &str, types: &serde_json::Map<String, Value>, depth: usize) -> Result<Ty, String> {
    if depth > 32 {
        return Err("types nested more than 32 deep".into());
    }
    let t = types.get(id).ok_or(format!("type {id} is not in `types`"))?;
    let label = t["label"].as_str().unwrap_or_default();
    let bytes: u64 = t["numberOfBytes"].as_str().and_then(|b| b.parse().ok()).unwrap_or(32);
    let next = |key: &str| -> Result<Box<Ty>, String> {
        let inner = t[key].as_str().ok_or(format!("type {id} has no {key}"))?;
        ty_of(inner, types, depth + 1).map(Box::new)
    };
    Ok(match t["encoding"].as_str().unwrap_or_default() {
        "mapping" => Ty::Mapping(next("key")?, next("value")?),
        "bytes" => Ty::Dynamic(label.to_string()),
        "dynamic_array" => Ty::Array { base: next("base")?, len: None, bytes },
        _ if t.get("members").is_some() => {
            Ty::Struct { members: vars_of(&t["members"], types, depth + 1)?, bytes }
        }
        _ if t.get("base").is_some() => {
            let len = label.rsplit_once('[').and_then(|(_, n)| n.trim_end_matches(']').parse().ok());
            Ty::Array { base: next("base")?, len, bytes }
        }
        _ => {
            let label = if label.starts_with("contract ") || label.starts_with("interface ") {
                "address".to_string()
            } else if label.starts_with("enum ") {
                "enum".to_string()
            } else {
                label.to_string()
            };
            Ty::Value { label, bytes }
        }
    })
}

/// The ERC-7201 namespaces of `contract` and its bases, from the AST: structs annotated
/// `@custom:storage-location erc7201:ID`.
fn namespaces_of(output: &Value, contract: &str) -> Vec<Namespace> {
    let mut by_id: BTreeMap<u64, &Value> = BTreeMap::new();
    let mut stack: Vec<&Value> =
        output["sources"].as_object().into_iter().flatten().map(|(_, s)| &s["ast"]).collect();
    while let Some(node) = stack.pop() {
        if node["nodeType"] == "ContractDefinition"
            && let Some(id) = node["id"].as_u64()
        {
            by_id.insert(id, node);
        }
        if let Some(children) = node["nodes"].as_array() {
            stack.extend(children);
        }
    }
    let Some(definition) = by_id.values().find(|c| c["name"] == contract) else { return Vec::new() };
    let bases: Vec<&Value> = definition["linearizedBaseContracts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_u64().and_then(|id| by_id.get(&id).copied()))
        .collect();
    let mut namespaces: Vec<Namespace> = Vec::new();
    for c in bases {
        for node in c["nodes"].as_array().into_iter().flatten() {
            let doc =
                node["documentation"]["text"].as_str().or(node["documentation"].as_str()).unwrap_or_default();
            let Some(id) = doc.split("@custom:storage-location erc7201:").nth(1) else { continue };
            let id = id.split_whitespace().next().unwrap_or_default().to_string();
            let members = node["members"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    let ty = m["typeDescriptions"]["typeString"].as_str().unwrap_or_default();
                    (m["name"].as_str().unwrap_or_default().to_string(), type_text(ty))
                })
                .collect();
            if !namespaces.iter().any(|n| n.id == id) {
                namespaces.push(Namespace { id, members });
            }
        }
    }
    namespaces.sort_by(|a, b| a.id.cmp(&b.id));
    namespaces
}

/// A member's type as solc writes it, with contract and interface types as the address they are.
fn type_text(ty: &str) -> String {
    if ty.starts_with("contract ") || ty.starts_with("interface ") {
        "address".into()
    } else {
        ty.to_string()
    }
}

/// One finding of the comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Whether it makes the pair incompatible.
    pub error: bool,
    /// What: `deleted`, `moved`, `retyped`, `inserted`, `gap`, `namespace`, `renamed`, `appended`.
    pub what: &'static str,
    /// For people.
    pub detail: String,
}

/// Compares `old` with `new`: every finding, errors first where they stand in the layout.
pub fn compare(old: &Layout, new: &Layout) -> Vec<Finding> {
    let mut out = Vec::new();
    let error = |what, detail| Finding { error: true, what, detail };
    let note = |what, detail| Finding { error: false, what, detail };
    let at = |v: &Var| format!("slot {} offset {}", v.slot, v.offset);
    let mut matched = vec![false; new.vars.len()];
    // An old variable the new layout has by name somewhere else has moved: said once, as a move.
    let moved = |o: &Var| {
        new.vars.iter().position(|n| n.label == o.label && (n.slot, n.offset) != (o.slot, o.offset))
    };
    for o in old.vars.iter().filter(|v| !v.is_gap()) {
        let here = new.vars.iter().position(|n| n.slot == o.slot && n.offset == o.offset && !n.is_gap());
        if let Some(i) = moved(o).filter(|_| here.is_none_or(|h| new.vars[h].ty != o.ty)) {
            matched[i] = true;
            let n = &new.vars[i];
            out.push(error(
                "moved",
                format!("{} ({}) moved from {} to {}", o.label, o.type_label, at(o), at(n)),
            ));
            continue;
        }
        match here {
            None => out.push(error(
                "deleted",
                format!("{} ({}) at {} is gone from the new layout", o.label, o.type_label, at(o)),
            )),
            Some(i) => {
                let n = &new.vars[i];
                matched[i] = true;
                if n.ty != o.ty {
                    out.push(error(
                        "retyped",
                        format!(
                            "{} at {} was {}, is {} ({})",
                            o.label,
                            at(o),
                            o.type_label,
                            n.type_label,
                            n.label
                        ),
                    ));
                } else if n.label != o.label {
                    out.push(note("renamed", format!("{} at {} is now named {}", o.label, at(o), n.label)));
                }
            }
        }
    }
    let old_end = old.vars.iter().map(Var::end_byte).max().unwrap_or_default();
    let old_gap = old.vars.iter().find(|v| v.is_gap());
    let new_gap = new.vars.iter().find(|v| v.is_gap());
    match (old_gap, new_gap) {
        (Some(og), Some(ng)) if og.end() != ng.end() => out.push(error(
            "gap",
            format!(
                "__gap ended at slot {} and ends at slot {}: it must shrink by what is added before it",
                og.end(),
                ng.end()
            ),
        )),
        (Some(og), None) => {
            out.push(error("gap", format!("__gap (slots {} to {}) is gone", og.slot, og.end())))
        }
        _ => {}
    }
    for (n, _) in new.vars.iter().zip(&matched).filter(|(n, m)| !**m && !n.is_gap()) {
        let in_gap = old_gap.is_some_and(|g| n.slot >= g.slot && n.end() <= g.end())
            && new_gap.is_some_and(|ng| n.end() <= ng.slot);
        if in_gap {
            out.push(note(
                "appended",
                format!("{} ({}) at {} takes slots the __gap gave up", n.label, n.type_label, at(n)),
            ));
        } else if n.start_byte() >= old_end {
            out.push(note(
                "appended",
                format!("{} ({}) at {} is after the old layout", n.label, n.type_label, at(n)),
            ));
        } else {
            out.push(error(
                "inserted",
                format!(
                    "{} ({}) at {} is inside the old layout, where old variables live",
                    n.label,
                    n.type_label,
                    at(n)
                ),
            ));
        }
    }
    for o in &old.namespaces {
        let Some(n) = new.namespaces.iter().find(|n| n.id == o.id) else {
            out.push(error("namespace", format!("namespace erc7201:{} is gone", o.id)));
            continue;
        };
        for (i, (name, ty)) in o.members.iter().enumerate() {
            match n.members.get(i) {
                None => {
                    out.push(error("namespace", format!("erc7201:{}: member {name} ({ty}) is gone", o.id)))
                }
                Some((_, nty)) if nty != ty => out.push(error(
                    "namespace",
                    format!("erc7201:{}: member {i} ({name}) was {ty}, is {nty}", o.id),
                )),
                Some((nname, _)) if nname != name => {
                    out.push(note("renamed", format!("erc7201:{}: member {name} is now named {nname}", o.id)))
                }
                Some(_) => {}
            }
        }
        for (name, ty) in n.members.iter().skip(o.members.len()) {
            out.push(note("appended", format!("erc7201:{}: member {name} ({ty}) appended", o.id)));
        }
    }
    out.sort_by_key(|f| !f.error);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(label: &str, bytes: u64) -> Ty {
        Ty::Value { label: label.into(), bytes }
    }

    fn var(label: &str, slot: u64, offset: u64, ty: Ty) -> Var {
        Var { label: label.into(), slot: U256::from(slot), offset, ty, type_label: String::new() }
    }

    fn layout(vars: Vec<Var>) -> Layout {
        Layout { contract: "C".into(), vars, namespaces: Vec::new() }
    }

    fn kinds(old: &Layout, new: &Layout) -> Vec<(bool, &'static str)> {
        compare(old, new).iter().map(|f| (f.error, f.what)).collect()
    }

    fn gap(slot: u64, n: u64) -> Var {
        var("__gap", slot, 0, Ty::Array { base: Box::new(value("uint256", 32)), len: Some(n), bytes: 32 * n })
    }

    #[test]
    fn each_rule_finds_what_it_names() {
        let old = layout(vec![var("a", 0, 0, value("uint256", 32)), var("b", 1, 0, value("address", 20))]);
        let same = |vars| kinds(&old, &layout(vars));
        assert_eq!(same(old.vars.clone()), vec![]);
        // Appended after the old layout; a byte packed after b in its slot is inside it.
        let mut appended = old.vars.clone();
        appended.push(var("c", 2, 0, value("uint256", 32)));
        assert_eq!(same(appended), vec![(false, "appended")]);
        let mut packed = old.vars.clone();
        packed.push(var("flag", 1, 20, value("bool", 1)));
        assert_eq!(same(packed), vec![(false, "appended")]);
        let mut under = old.vars.clone();
        under.push(var("flag", 1, 19, value("bool", 1)));
        assert_eq!(same(under), vec![(true, "inserted")]);
        // Renamed in place, retyped, deleted, moved.
        assert_eq!(
            same(vec![var("total", 0, 0, value("uint256", 32)), old.vars[1].clone()]),
            vec![(false, "renamed")]
        );
        assert_eq!(
            same(vec![var("a", 0, 0, value("uint128", 16)), old.vars[1].clone()]),
            vec![(true, "retyped")]
        );
        assert_eq!(same(vec![old.vars[0].clone()]), vec![(true, "deleted")]);
        assert_eq!(
            same(vec![
                old.vars[0].clone(),
                var("x", 1, 0, value("uint256", 32)),
                var("b", 2, 0, value("address", 20))
            ]),
            vec![(true, "moved"), (true, "inserted")]
        );
        // A contract type is the address it stores; an enum is compared by size.
        assert_eq!(value("address", 20), value("address", 20));
    }

    #[test]
    fn a_gap_may_shrink_by_what_is_added_before_it_and_its_end_stays() {
        let old = layout(vec![var("a", 0, 0, value("uint256", 32)), gap(1, 49)]);
        let used = layout(vec![
            var("a", 0, 0, value("uint256", 32)),
            var("b", 1, 0, value("uint256", 32)),
            gap(2, 48),
        ]);
        assert_eq!(kinds(&old, &used), vec![(false, "appended")]);
        let misused = layout(vec![
            var("a", 0, 0, value("uint256", 32)),
            var("b", 1, 0, value("uint256", 32)),
            gap(2, 49),
        ]);
        assert!(kinds(&old, &misused).contains(&(true, "gap")));
        let removed = layout(vec![var("a", 0, 0, value("uint256", 32))]);
        assert_eq!(kinds(&old, &removed), vec![(true, "gap")]);
    }

    #[test]
    fn namespaces_keep_their_members_and_append() {
        let ns = |members: &[(&str, &str)]| Layout {
            contract: "C".into(),
            vars: Vec::new(),
            namespaces: vec![Namespace {
                id: "example.main".into(),
                members: members.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
            }],
        };
        let old = ns(&[("x", "uint256")]);
        assert_eq!(kinds(&old, &ns(&[("x", "uint256"), ("y", "address")])), vec![(false, "appended")]);
        assert_eq!(kinds(&old, &ns(&[("x", "address")])), vec![(true, "namespace")]);
        assert_eq!(kinds(&old, &ns(&[("total", "uint256")])), vec![(false, "renamed")]);
        assert_eq!(kinds(&old, &layout(Vec::new())), vec![(true, "namespace")]);
    }

    #[test]
    fn the_digest_is_of_structure_not_of_ast_ids() {
        let a = layout(vec![var("a", 0, 0, value("uint256", 32))]);
        let mut b = a.clone();
        b.vars[0].type_label = "t_uint256 as solc spells it".into();
        assert_eq!(a.digest(), b.digest());
        b.vars[0].slot = U256::from(1);
        assert_ne!(a.digest(), b.digest());
    }
}
