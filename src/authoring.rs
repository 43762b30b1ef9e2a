//! The authoring file (`RELEASE.toml`, spec `manifest.md`) compiled into the manifest model.
//!
//! Everything a release manager can get wrong is named here with its TOML path (`actions[2].to`);
//! the validity rules themselves live in the core (`Manifest::validate`) so that `manifest build`
//! and every reader apply the same ones.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use firmware_policy::manifest::FORMAT_V1;
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
    safes: Vec<toml::Value>,
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

/// Parses the TOML text of a release into the (unnormalized) manifest model.
pub fn parse_release(text: &str) -> Result<Manifest, AuthoringError> {
    let release: ReleaseToml = toml::from_str(text).map_err(|e| AuthoringError::Toml(e.to_string()))?;
    if release.format != FORMAT_V1 {
        return Err(field_err("format", format!("{:?} is not {FORMAT_V1:?}", release.format)));
    }
    if !release.safes.is_empty() {
        return Err(field_err("safes", "reserved for Safe co-signing; must be empty in v1"));
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

fn action(a: &ActionToml, i: usize) -> Result<Action, AuthoringError> {
    let f = |name: &str| format!("actions[{i}].{name}");
    let kind = match a.kind.as_deref() {
        None => ActionKind::Call,
        Some(k) => ActionKind::parse(k)
            .ok_or_else(|| field_err(f("kind"), format!("{k:?} is not a known kind (v1: \"call\")")))?,
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
    })
}

/// Warnings `manifest build` prints: bounds a release manager probably meant to set.
pub fn warnings(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
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
        if a.nonce.is_none() {
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
