//! The authoring file (`RELEASE.toml`, spec `manifest.md`) compiled into the manifest model.
//!
//! Everything a release manager can get wrong is named here with its TOML path (`actions[2].to`);
//! the validity rules themselves live in the core (`Manifest::validate`) so that `manifest build`
//! and every reader apply the same ones.

mod gate;
pub use gate::{event_of, view_call_of};

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use firmware_policy::manifest::FORMAT_V1;
use firmware_policy::manifest::{LayoutRecord, SafeActionFields, SafeDecl};
use firmware_policy::safe_tx::SafeVersion;
use firmware_policy::{Action, ActionKind, AuthorizationBound, Manifest, Rollback};
use serde::Deserialize;
use thiserror::Error;
use zeroize::Zeroize;

use crate::text::escape;
use crate::timefmt::parse_instant;
use crate::values::{parse_address, parse_prefixed_hex, parse_quantity_str};

/// Why an authoring file was refused.
#[derive(Debug, Error)]
pub enum AuthoringError {
    /// The TOML does not parse or does not fit the schema (the message carries line and column).
    #[error("{0}")]
    Toml(String),
    /// A field's value is wrong.
    #[error("{field}: {message}")]
    Field {
        /// The TOML path of the field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

fn field_err(field: impl Into<String>, message: impl Into<String>) -> AuthoringError {
    AuthoringError::Field { field: field.into(), message: message.into() }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseToml {
    format: String,
    release: String,
    chain_id: toml::Value,
    executor: String,
    not_before: toml::Value,
    expires_at: toml::Value,
    allowed_targets: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    rollback: Option<RollbackToml>,
    #[serde(default)]
    actions: Vec<ActionToml>,
    #[serde(default)]
    safes: Vec<SafeToml>,
    /// The simulation gate: how old its state may be, reachable code, the chain of control.
    #[serde(default)]
    max_state_age: Option<toml::Value>,
    #[serde(default)]
    code: Vec<gate::CodeToml>,
    #[serde(default)]
    authority: Vec<gate::AuthorityToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SafeToml {
    address: String,
    version: String,
    owners: Vec<String>,
    threshold: toml::Value,
    #[serde(default)]
    delegatecall_allowed: Vec<String>,
    #[serde(default)]
    owned_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackToml {
    manifest_hash: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionToml {
    name: String,
    #[serde(default)]
    kind: Option<String>,
    to: String,
    #[serde(default)]
    value: Option<toml::Value>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    nonce: Option<toml::Value>,
    #[serde(default)]
    gas_limit_max: Option<toml::Value>,
    #[serde(default)]
    max_fee_per_gas_max: Option<toml::Value>,
    #[serde(default)]
    max_priority_fee_per_gas_max: Option<toml::Value>,
    #[serde(default)]
    authorizations: Vec<AuthorizationToml>,
    /// A stuck transaction may be replaced by one paying at least 10 % more (the journal's rule).
    #[serde(default)]
    replaceable: bool,
    /// Function signatures naming calls of this action's tree no built-in decoder knows.
    #[serde(default)]
    abi: Vec<String>,
    /// A Safe action's Safe, and its SafeTx fields beyond (to, value, data, nonce).
    #[serde(default)]
    safe: Option<String>,
    #[serde(default)]
    operation: Option<toml::Value>,
    #[serde(default)]
    safe_tx_gas: Option<toml::Value>,
    #[serde(default)]
    base_gas: Option<toml::Value>,
    #[serde(default)]
    gas_price: Option<toml::Value>,
    #[serde(default)]
    gas_token: Option<String>,
    #[serde(default)]
    refund_receiver: Option<String>,
    /// An inner Safe's approveHash action: the name of the outer Safe's action it approves.
    #[serde(default)]
    approves: Option<String>,
    /// Owners whose approved-hash entry counts for this Safe action (an on-chain approveHash).
    #[serde(default)]
    approved_hashes: Option<Vec<String>>,
    /// What the action must do to chain state: slot values after it, events among its logs.
    #[serde(default)]
    expect: Option<gate::ExpectToml>,
    /// The upgrade's old and new implementations' compiler output, compared by `layout check`.
    #[serde(default)]
    layout: Option<LayoutToml>,
    /// Why an incompatible storage layout is released anyway.
    #[serde(default)]
    allow_layout_change: Option<String>,
}

/// `layout = {old = "v1.json", new = "v2.json", contract = "BoxV2", reference = "BoxV1"}`: paths
/// relative to the authoring file; `reference` (the old contract) defaults to `contract`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutToml {
    old: String,
    new: String,
    contract: String,
    #[serde(default)]
    reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizationToml {
    chain_id: toml::Value,
    address: String,
    nonce: toml::Value,
}

fn uint(v: &toml::Value, field: &str) -> Result<U256, AuthoringError> {
    match v {
        toml::Value::Integer(i) => {
            u64::try_from(*i).map(U256::from).map_err(|_| field_err(field, format!("{i} is negative")))
        }
        toml::Value::String(s) => parse_quantity_str(s).map_err(|e| field_err(field, e)),
        other => Err(field_err(
            field,
            format!("expected an integer or a decimal string, got {}", other.type_str()),
        )),
    }
}

fn narrow<T: TryFrom<U256>>(v: U256, field: &str) -> Result<T, AuthoringError> {
    T::try_from(v).map_err(|_| field_err(field, format!("{v} is too large for this field")))
}

fn instant(v: &toml::Value, field: &str) -> Result<u64, AuthoringError> {
    match v {
        toml::Value::Integer(i) => {
            u64::try_from(*i).map_err(|_| field_err(field, format!("{i} is negative")))
        }
        toml::Value::String(s) => parse_instant(s).map_err(|e| field_err(field, e)),
        toml::Value::Datetime(d) => {
            if d.offset.is_none() || d.time.is_none() || d.date.is_none() {
                return Err(field_err(
                    field,
                    format!("{d} needs a date, a time and an offset (e.g. 2026-11-21T00:00:00Z)"),
                ));
            }
            parse_instant(&d.to_string()).map_err(|e| field_err(field, e))
        }
        other => Err(field_err(
            field,
            format!("expected an RFC 3339 time or unix seconds, got {}", other.type_str()),
        )),
    }
}

fn address(s: &str, field: &str) -> Result<Address, AuthoringError> {
    parse_address(s).map_err(|e| field_err(field, e))
}

/// Parses the TOML text of a release into the (unnormalized) manifest model. An action's
/// `layout` needs the authoring file's directory: [`parse_release_in`].
pub fn parse_release(text: &str) -> Result<Manifest, AuthoringError> {
    parse_release_in(text, None)
}

/// [`parse_release`] of the authoring file in `dir`, whose actions' `layout` paths are relative
/// to it: each pair is compared (`layout check`) and the result written into the action.
pub fn parse_release_in(text: &str, dir: Option<&std::path::Path>) -> Result<Manifest, AuthoringError> {
    let release: ReleaseToml = toml::from_str(text).map_err(|e| AuthoringError::Toml(e.to_string()))?;
    if release.format != FORMAT_V1 {
        return Err(field_err("format", format!("{:?} is not {FORMAT_V1:?}", release.format)));
    }
    let rollback = release
        .rollback
        .as_ref()
        .ok_or_else(|| field_err("rollback", "required: plan the reverse path before the release"))?;
    let hash_bytes = parse_prefixed_hex(&rollback.manifest_hash)
        .ok()
        .and_then(|b| B256::try_from(b.as_slice()).ok())
        .ok_or_else(|| field_err("rollback.manifest_hash", "expected 0x + 64 hex digits"))?;
    let mut allowed_targets = Vec::with_capacity(release.allowed_targets.len());
    for (i, t) in release.allowed_targets.iter().enumerate() {
        allowed_targets.push(address(t, &format!("allowed_targets[{i}]"))?);
    }
    let mut labels = Vec::with_capacity(release.labels.len());
    for (k, v) in &release.labels {
        let a = address(k, &format!("labels.{k:?}"))?;
        if labels.iter().any(|(b, _): &(Address, String)| *b == a) {
            return Err(field_err(format!("labels.{k:?}"), "another label names the same address"));
        }
        labels.push((a, v.clone()));
    }
    let mut actions = Vec::with_capacity(release.actions.len());
    for (i, a) in release.actions.iter().enumerate() {
        actions.push(action(a, i)?);
    }
    resolve_approvals(&release.actions, &mut actions)?;
    resolve_layouts(&release.actions, &mut actions, dir)?;
    let mut safes = Vec::with_capacity(release.safes.len());
    for (i, t) in release.safes.iter().enumerate() {
        safes.push(safe(t, i)?);
    }
    // Canonical order is by address; declaring a Safe twice is a mistake, not a merge.
    safes.sort_by_key(|s: &SafeDecl| s.address);
    if let Some(pair) = safes.windows(2).find(|w| w[0].address == w[1].address) {
        return Err(field_err("safes", format!("{} is declared twice", pair[0].address)));
    }
    let manifest = Manifest {
        release: release.release.clone(),
        chain_id: narrow(uint(&release.chain_id, "chain_id")?, "chain_id")?,
        executor: address(&release.executor, "executor")?,
        not_before: instant(&release.not_before, "not_before")?,
        expires_at: instant(&release.expires_at, "expires_at")?,
        allowed_targets,
        labels,
        rollback: Rollback { manifest_hash: hash_bytes, note: rollback.note.clone() },
        actions,
        safes,
        max_state_age: gate::max_state_age(release.max_state_age.as_ref())?,
        code: gate::code(&release.code)?,
        authority: gate::authority(&release.authority)?,
    };
    check_abi(&manifest)?;
    Ok(manifest)
}

/// Every declared signature parses, renames no built-in decoder, shares its selector with no
/// other declaration, and names a call that is in its own action's tree (a name for nothing is
/// a mistake, or a name waiting for a payload that is not the approved one).
fn check_abi(m: &Manifest) -> Result<(), AuthoringError> {
    let abi = crate::abi::ManifestAbi::of(m).map_err(|e| {
        let (field, message) = e.split_once(": ").unwrap_or(("abi", e.as_str()));
        field_err(field, message)
    })?;
    if abi.is_empty() {
        return Ok(());
    }
    for (i, a) in m.actions.iter().enumerate() {
        if a.abi.is_empty() {
            continue;
        }
        let tree = firmware_policy::calls::decode_call_shape(
            Some(a.to),
            a.value,
            firmware_policy::Operation::Call,
            &a.data,
        )
        .map_err(|e| field_err(format!("actions[{i}].data"), e.to_string()))?;
        let mut present = Vec::new();
        crate::abi::selectors(&tree, &mut present);
        for (j, text) in a.abi.iter().enumerate() {
            let at = format!("actions[{i}].abi[{j}]");
            let f = crate::abi::parse_signature(text).map_err(|e| field_err(&at, e))?;
            if !present.contains(&f.selector().0) {
                return Err(field_err(
                    at,
                    format!(
                        "{} (selector {}) matches no call in this action's tree",
                        f.signature(),
                        alloy_primitives::hex::encode_prefixed(f.selector())
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn safe(t: &SafeToml, i: usize) -> Result<SafeDecl, AuthoringError> {
    let f = |name: &str| format!("safes[{i}].{name}");
    let (version, l2) = SafeVersion::parse(&t.version).ok_or_else(|| {
        field_err(
            f("version"),
            format!(
                "{:?} is not 0.1.0, 1.0.0, 1.1.0, 1.1.1, 1.2.0, 1.3.0, 1.4.1 or 1.5.0 (+L2 accepted)",
                t.version
            ),
        )
    })?;
    let list = |items: &[String], name: &str| -> Result<Vec<Address>, AuthoringError> {
        let mut out = items
            .iter()
            .enumerate()
            .map(|(j, a)| address(a, &format!("safes[{i}].{name}[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_unstable();
        if out.windows(2).any(|w| w[0] == w[1]) {
            return Err(field_err(f(name), "an address appears twice"));
        }
        Ok(out)
    };
    Ok(SafeDecl {
        address: address(&t.address, &f("address"))?,
        version,
        l2,
        owners: list(&t.owners, "owners")?,
        threshold: narrow(uint(&t.threshold, &f("threshold"))?, &f("threshold"))?,
        delegatecall_allowed: list(&t.delegatecall_allowed, "delegatecall_allowed")?,
        owned_by: t.owned_by.as_deref().map(|a| address(a, &f("owned_by"))).transpose()?,
    })
}

/// A Safe action's fields, or `None` for a call action (which may name none of them).
fn safe_fields(
    a: &ActionToml,
    kind: ActionKind,
    i: usize,
) -> Result<Option<SafeActionFields>, AuthoringError> {
    let f = |name: &str| format!("actions[{i}].{name}");
    let given = [
        ("operation", a.operation.is_some()),
        ("safe_tx_gas", a.safe_tx_gas.is_some()),
        ("base_gas", a.base_gas.is_some()),
        ("gas_price", a.gas_price.is_some()),
        ("gas_token", a.gas_token.is_some()),
        ("refund_receiver", a.refund_receiver.is_some()),
        ("safe", a.safe.is_some()),
        ("approves", a.approves.is_some()),
        ("approved_hashes", a.approved_hashes.is_some()),
    ];
    if kind == ActionKind::Call {
        return match given.iter().find(|(_, present)| *present) {
            Some((name, _)) => Err(field_err(f(name), "only a kind = \"safe\" action has this field")),
            None => Ok(None),
        };
    }
    let safe = a
        .safe
        .as_deref()
        .ok_or_else(|| field_err(f("safe"), "required for kind = \"safe\": the Safe that executes it"))?;
    let uint_or_zero = |v: &Option<toml::Value>, name: &str| -> Result<U256, AuthoringError> {
        v.as_ref().map_or(Ok(U256::ZERO), |v| uint(v, &f(name)))
    };
    let address_or_zero = |v: &Option<String>, name: &str| -> Result<Address, AuthoringError> {
        v.as_deref().map_or(Ok(Address::ZERO), |v| address(v, &f(name)))
    };
    let operation = uint_or_zero(&a.operation, "operation")?;
    let operation = u8::try_from(operation)
        .ok()
        .filter(|o| *o <= 1)
        .ok_or_else(|| field_err(f("operation"), "0 (call) or 1 (delegatecall)"))?;
    Ok(Some(SafeActionFields {
        safe: address(safe, &f("safe"))?,
        operation,
        safe_tx_gas: uint_or_zero(&a.safe_tx_gas, "safe_tx_gas")?,
        base_gas: uint_or_zero(&a.base_gas, "base_gas")?,
        gas_price: uint_or_zero(&a.gas_price, "gas_price")?,
        gas_token: address_or_zero(&a.gas_token, "gas_token")?,
        refund_receiver: address_or_zero(&a.refund_receiver, "refund_receiver")?,
        // A name until every action is read (`resolve_approvals`).
        approves: None,
    }))
}

/// `approved_hashes`, sorted (the canonical order); an owner named twice is an error, since it
/// would count once on chain.
fn approved_hashes(a: &ActionToml, i: usize) -> Result<Vec<Address>, AuthoringError> {
    let field = format!("actions[{i}].approved_hashes");
    let Some(list) = &a.approved_hashes else { return Ok(Vec::new()) };
    if list.is_empty() {
        return Err(field_err(&field, "name at least one owner, or leave the key out"));
    }
    let mut owners = list.iter().map(|s| address(s, &field)).collect::<Result<Vec<_>, _>>()?;
    owners.sort_unstable();
    if let Some(w) = owners.windows(2).find(|w| w[0] == w[1]) {
        return Err(field_err(&field, format!("{} is named twice", w[0])));
    }
    Ok(owners)
}

/// `approves = "name"` becomes the index of the action of that name (the manifest's validation
/// then holds the approving action to exactly `approveHash` of that action's safeTxHash).
fn resolve_approvals(tomls: &[ActionToml], actions: &mut [Action]) -> Result<(), AuthoringError> {
    for (i, t) in tomls.iter().enumerate() {
        let Some(name) = t.approves.as_deref() else { continue };
        let found = actions.iter().position(|a| a.name == name);
        let index = found.ok_or_else(|| {
            field_err(format!("actions[{i}].approves"), format!("no action is named {name:?}"))
        })?;
        if let Some(fields) = actions.get_mut(i).and_then(|a| a.safe_tx.as_mut()) {
            fields.approves = Some(index as u64);
        }
    }
    Ok(())
}

/// Compares each action's `layout` pair and records the digests and the result; an incompatible
/// pair without `allow_layout_change` is refused with the findings.
fn resolve_layouts(
    tomls: &[ActionToml],
    actions: &mut [Action],
    dir: Option<&std::path::Path>,
) -> Result<(), AuthoringError> {
    for (i, (t, a)) in tomls.iter().zip(actions.iter_mut()).enumerate() {
        let field = format!("actions[{i}].layout");
        let Some(layout) = &t.layout else {
            if t.allow_layout_change.is_some() {
                return Err(field_err(
                    format!("actions[{i}].allow_layout_change"),
                    "there is no layout to allow a change of",
                ));
            }
            continue;
        };
        let dir = dir.ok_or_else(|| field_err(&field, "the paths need the authoring file's directory"))?;
        let reference = layout.reference.as_deref().unwrap_or(&layout.contract);
        let old = crate::layout::read(&dir.join(&layout.old), Some(reference))
            .map_err(|e| field_err(&field, e.to_string()))?;
        let new = crate::layout::read(&dir.join(&layout.new), Some(&layout.contract))
            .map_err(|e| field_err(&field, e.to_string()))?;
        let errors: Vec<String> = crate::layout::compare(&old, &new)
            .into_iter()
            .filter(|f| f.error)
            .map(|f| format!("{}: {}", f.what, f.detail))
            .collect();
        let allowed_change = t.allow_layout_change.clone().unwrap_or_default();
        if !errors.is_empty() && allowed_change.is_empty() {
            return Err(field_err(
                &field,
                format!(
                    "{} does not keep {}'s storage layout ({}); write allow_layout_change = \"why\" on the action to release it anyway",
                    new.contract,
                    old.contract,
                    errors.join("; ")
                ),
            ));
        }
        a.layout = Some(LayoutRecord {
            old_digest: old.digest(),
            new_digest: new.digest(),
            compatible: errors.is_empty(),
            allowed_change,
        });
    }
    Ok(())
}

fn action(a: &ActionToml, i: usize) -> Result<Action, AuthoringError> {
    let f = |name: &str| format!("actions[{i}].{name}");
    let kind = match a.kind.as_deref() {
        None => ActionKind::Call,
        Some(k) => ActionKind::parse(k).ok_or_else(|| {
            field_err(f("kind"), format!("{k:?} is not a known kind (\"call\" or \"safe\")"))
        })?,
    };
    let data = match a.data.as_deref() {
        None => Vec::new(),
        Some(s) => parse_prefixed_hex(s).map_err(|e| field_err(f("data"), e))?,
    };
    let opt = |v: &Option<toml::Value>, name: &str| -> Result<Option<U256>, AuthoringError> {
        v.as_ref().map(|v| uint(v, &f(name))).transpose()
    };
    let mut authorizations = Vec::with_capacity(a.authorizations.len());
    for (j, auth) in a.authorizations.iter().enumerate() {
        let g = |name: &str| format!("actions[{i}].authorizations[{j}].{name}");
        authorizations.push(AuthorizationBound {
            chain_id: uint(&auth.chain_id, &g("chain_id"))?,
            address: address(&auth.address, &g("address"))?,
            nonce: narrow(uint(&auth.nonce, &g("nonce"))?, &g("nonce"))?,
        });
    }
    Ok(Action {
        name: a.name.clone(),
        kind,
        to: address(&a.to, &f("to"))?,
        value: opt(&a.value, "value")?.unwrap_or_default(),
        data,
        nonce: opt(&a.nonce, "nonce")?.map(|v| narrow(v, &f("nonce"))).transpose()?,
        gas_limit_max: opt(&a.gas_limit_max, "gas_limit_max")?
            .map(|v| narrow(v, &f("gas_limit_max")))
            .transpose()?,
        max_fee_per_gas_max: opt(&a.max_fee_per_gas_max, "max_fee_per_gas_max")?
            .map(|v| narrow(v, &f("max_fee_per_gas_max")))
            .transpose()?,
        max_priority_fee_per_gas_max: opt(&a.max_priority_fee_per_gas_max, "max_priority_fee_per_gas_max")?
            .map(|v| narrow(v, &f("max_priority_fee_per_gas_max")))
            .transpose()?,
        authorizations,
        replaceable: a.replaceable,
        abi: a.abi.clone(),
        approved_hashes: approved_hashes(a, i)?,
        safe_tx: safe_fields(a, kind, i)?,
        expect: gate::expect(a.expect.as_ref(), i)?,
        layout: None,
    })
}

/// Warnings `manifest build` prints: bounds a release manager probably meant to set.
pub fn warnings(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in m.actions.iter().enumerate() {
        if let Some(l) = a.layout.as_ref().filter(|l| !l.compatible) {
            out.push(format!(
                "actions[{i}] ({}): its new implementation does not keep the old storage layout; released because {:?}",
                crate::text::escape(&a.name),
                crate::text::escape(&l.allowed_change)
            ));
        }
    }
    for safe in &m.safes {
        if !safe.version.domain_has_chain_id() {
            out.push(format!(
                "safes ({}): Safe {} has no chain id in its domain: its owners' signatures are valid for a Safe at this address on every chain",
                safe.address,
                safe.version_text()
            ));
        }
    }
    for (i, a) in m.actions.iter().enumerate() {
        if a.max_fee_per_gas_max.is_none() && a.max_priority_fee_per_gas_max.is_none() {
            out.push(format!("actions[{i}] ({}): no fee caps: any fee will be accepted", escape(&a.name)));
        }
        if a.max_fee_per_gas_max.is_none() && a.max_priority_fee_per_gas_max.is_some() {
            out.push(format!(
                "actions[{i}] ({}): a priority-fee cap without max_fee_per_gas_max: maxFeePerGas is \
                 uncapped, and a legacy or EIP-2930 transaction for it is always refused",
                escape(&a.name)
            ));
        }
        if a.nonce.is_none() && a.kind == ActionKind::Call {
            out.push(format!(
                "actions[{i}] ({}): no nonce bound: the action may be signed at any nonce",
                escape(&a.name)
            ));
        }
        if !a.abi.is_empty() {
            out.push(format!(
                "actions[{i}] ({}): abi names calls by 4-byte selectors, which can collide: each name is \
                 shown as \"named by the manifest\"; check every signature against the contract's source",
                escape(&a.name)
            ));
        }
    }
    out
}

/// Wipes the TOML text after parsing.
pub fn wipe(mut text: String) {
    text.zeroize();
}
