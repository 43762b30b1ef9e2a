//! The Safe transaction a `safe` command is given, in each form it comes in, detected by shape:
//!
//! - the Safe Transaction Service's object (`safe`, the SafeTx fields, `safeTxHash`, and other
//!   keys, which are ignored and never trusted: `dataDecoded` above all). It names no chain and
//!   no version: the flags give them;
//! - EIP-712 typed data for `SafeTx` (the `eth_signTypedData_v4` payload), whose domain and types
//!   must be exactly those of the version;
//! - the plain object `{"safe", "chainId", "safeVersion", "to", …, "nonce"}` (strict: no other
//!   keys; the five refund fields default to zero);
//! - a Safe{Wallet} Transaction Builder batch file (`builder`), which has no nonce and no
//!   version: the flags give them.
//!
//! The flags fill what a form lacks; a flag that disagrees with the input is an error. Numbers
//! are decimal strings, `0x` quantities or integers; JSON is read strictly (no repeated keys).

use alloy_primitives::{Address, B256, Bytes, U256};
use firmware_policy::safe_tx::{SafeDomain, SafeTxFields, SafeVersion};
use serde_json::{Map, Value};

use crate::request::{parse_strict_json, quantity};
use crate::values::{parse_address, parse_prefixed_hex};

/// Which form the input was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// The Safe Transaction Service's object.
    Service,
    /// EIP-712 typed data.
    TypedData,
    /// The plain object.
    Plain,
    /// A Safe{Wallet} Transaction Builder batch file.
    Builder,
    /// A release bundle's Safe proposal (canonical CBOR, every field given).
    Bundle,
}

impl Form {
    /// How the output names it.
    pub fn describe(self) -> &'static str {
        match self {
            Form::Service => "the Safe Transaction Service's object (its other keys ignored)",
            Form::TypedData => "EIP-712 typed data (eth_signTypedData_v4)",
            Form::Plain => "a plain Safe transaction object",
            Form::Builder => {
                "a Transaction Builder batch, as Safe{Wallet} proposes it (one call, or a delegatecall to MultiSendCallOnly)"
            }
            Form::Bundle => "a release bundle's Safe proposal",
        }
    }
}

/// What the flags say; each fills a gap of the input or must agree with it.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--safe`.
    pub safe: Option<Address>,
    /// `--chain-id`.
    pub chain_id: Option<u64>,
    /// `--safe-version` (with whether `+L2` was given).
    pub version: Option<(SafeVersion, bool)>,
    /// `--nonce`.
    pub nonce: Option<U256>,
    /// What an approved manifest says, for what neither the input nor a flag gives: its chain,
    /// and the version it declares for the Safe. Never a reason to disagree: the check compares.
    pub manifest: Option<ManifestFacts>,
}

/// The chain and the declared Safes of an approved manifest.
#[derive(Clone, Debug, Default)]
pub struct ManifestFacts {
    /// The manifest's chain.
    pub chain_id: u64,
    /// Each declared Safe and its version.
    pub safes: Vec<(Address, SafeVersion, bool)>,
}

/// A complete Safe transaction: its domain, its fields, and a hash the input claimed.
#[derive(Clone, Debug)]
pub struct SafeTxInput {
    /// The form it came in.
    pub form: Form,
    /// The Safe, chain and version.
    pub domain: SafeDomain,
    /// Whether the version was given as `+L2`.
    pub l2: bool,
    /// The SafeTx fields.
    pub tx: SafeTxFields,
    /// `safeTxHash` as the input claims it (never trusted: compared).
    pub claimed_hash: Option<B256>,
}

/// What one form yields before the flags fill it.
#[derive(Default)]
struct Partial {
    safe: Option<Address>,
    chain_id: Option<u64>,
    version: Option<(SafeVersion, bool)>,
    nonce: Option<U256>,
    claimed_hash: Option<B256>,
    /// Typed data's hashing family: whether its domain has the chain id, and its gas field.
    typed_family: Option<(bool, &'static str)>,
}

const SAFE_TX_KEYS: [&str; 10] = [
    "to",
    "value",
    "data",
    "operation",
    "safeTxGas",
    "baseGas",
    "gasPrice",
    "gasToken",
    "refundReceiver",
    "nonce",
];
const PLAIN_KEYS: [&str; 4] = ["safe", "chainId", "safeVersion", "safeTxHash"];
const TYPED_DATA_KEYS: [&str; 4] = ["types", "primaryType", "domain", "message"];

/// Reads a Safe transaction from JSON text, completed by the flags.
pub fn parse(text: &str, flags: &Flags) -> Result<SafeTxInput, String> {
    let mut value = parse_strict_json(text)?;
    // The document's strings hold the calldata as hex: wiped however the reading ends.
    let result = parse_value(&value, flags);
    crate::request::wipe_json(&mut value);
    result
}

fn parse_value(value: &Value, flags: &Flags) -> Result<SafeTxInput, String> {
    let Value::Object(obj) = &value else {
        return Err("a Safe transaction is a JSON object".into());
    };
    let (form, partial, tx) = if obj.contains_key("primaryType") || obj.contains_key("types") {
        typed_data(obj)?
    } else if obj.contains_key("transactions") {
        let batch = builder::read(obj)?;
        let safe = batch.safe.or(flags.safe);
        let declared = flags.manifest.as_ref().and_then(|m| {
            m.safes.iter().find(|(a, _, _)| Some(*a) == safe).map(|(_, version, l2)| (*version, *l2))
        });
        let (version, _) = flags.version.or(declared).ok_or(
            "a Transaction Builder batch names no Safe version (it decides the MultiSendCallOnly): pass --safe-version",
        )?;
        let tx = builder::safe_tx(&batch, version)?;
        (Form::Builder, Partial { safe: batch.safe, chain_id: batch.chain_id, ..Partial::default() }, tx)
    } else if obj.contains_key("chainId") || obj.contains_key("safeVersion") {
        plain(obj)?
    } else if obj.contains_key("safeTxGas") || obj.contains_key("safeTxHash") {
        service(obj)?
    } else {
        return Err("not a Safe transaction: expected the Transaction Service's object (with \
                    \"safeTxGas\"), EIP-712 typed data for SafeTx, or {\"safe\", \"chainId\", \
                    \"safeVersion\", \"to\", …, \"nonce\"}"
            .into());
    };
    complete(form, partial, tx, flags)
}

fn complete(form: Form, p: Partial, mut tx: SafeTxFields, flags: &Flags) -> Result<SafeTxInput, String> {
    fn merge<T: PartialEq + std::fmt::Display>(
        input: Option<T>,
        flag: Option<T>,
        what: &str,
        flag_name: &str,
    ) -> Result<Option<T>, String> {
        match (input, flag) {
            (Some(i), Some(f)) if i != f => {
                Err(format!("{flag_name} {f} disagrees with the input's {what} {i}"))
            }
            (i, f) => Ok(i.or(f)),
        }
    }
    struct Version((SafeVersion, bool));
    impl PartialEq for Version {
        fn eq(&self, other: &Self) -> bool {
            self.0.0 == other.0.0
        }
    }
    impl std::fmt::Display for Version {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0.0.as_str())?;
            if self.0.1 { f.write_str("+L2") } else { Ok(()) }
        }
    }
    let safe =
        merge(p.safe, flags.safe, "Safe", "--safe")?.ok_or("the input names no Safe: pass --safe ADDRESS")?;
    let known = flags.manifest.as_ref();
    let chain_id = merge(p.chain_id, flags.chain_id, "chain id", "--chain-id")?.or(known.map(|m| m.chain_id));
    let declared = known
        .and_then(|m| m.safes.iter().find(|(a, _, _)| *a == safe))
        .map(|(_, version, l2)| Version((*version, *l2)));
    let version = merge(p.version.map(Version), flags.version.map(Version), "Safe version", "--safe-version")?
        .or(declared)
        .map(|v| v.0)
        .ok_or("the input names no Safe version: pass --safe-version (0.1.0, 1.0.0, 1.1.0, 1.1.1, 1.2.0, 1.3.0, 1.4.1 or 1.5.0)")?;
    let nonce =
        merge(p.nonce, flags.nonce, "nonce", "--nonce")?.ok_or("the input has no nonce: pass --nonce N")?;
    if let Some((with_chain, gas)) = p.typed_family {
        // The types fix the hashing family; the version must be one of it.
        let fits = |v: SafeVersion| v.domain_has_chain_id() == with_chain && v.gas_field() == gas;
        if !fits(version.0) {
            let family: Vec<&str> =
                SafeVersion::ALL.into_iter().filter(|v| fits(*v)).map(SafeVersion::as_str).collect();
            return Err(if family.is_empty() {
                "types: a SafeTx with dataGas and a chain id in the domain is no Safe version's".into()
            } else {
                format!(
                    "the typed data's types are those of Safe {}, not of {}",
                    family.join(", "),
                    version.0.as_str()
                )
            });
        }
    }
    if version.0.domain_has_chain_id() && chain_id.is_none() {
        return Err(format!(
            "Safe {}'s domain holds the chain id and the input names none: pass --chain-id N",
            version.0.as_str()
        ));
    }
    tx.nonce = nonce;
    Ok(SafeTxInput {
        form,
        domain: SafeDomain { safe, chain_id, version: version.0 },
        l2: version.1,
        tx,
        claimed_hash: p.claimed_hash,
    })
}

fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn address_at(obj: &Map<String, Value>, key: &str) -> Result<Option<Address>, String> {
    match field(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => parse_address(s).map(Some).map_err(|e| format!("{key}: {e}")),
        Some(other) => Err(format!("{key}: expected an address string, got {other}")),
    }
}

fn quantity_at(obj: &Map<String, Value>, key: &str) -> Result<Option<U256>, String> {
    field(obj, key).map(|v| quantity(v, key)).transpose()
}

fn u64_at(obj: &Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    quantity_at(obj, key)?
        .map(|v| u64::try_from(v).map_err(|_| format!("{key}: {v} does not fit 64 bits")))
        .transpose()
}

fn hash_at(obj: &Map<String, Value>, key: &str) -> Result<Option<B256>, String> {
    match field(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let bytes = parse_prefixed_hex(s).map_err(|e| format!("{key}: {e}"))?;
            B256::try_from(bytes.as_slice()).map(Some).map_err(|_| format!("{key}: not 32 bytes"))
        }
        Some(other) => Err(format!("{key}: expected a 0x hash string, got {other}")),
    }
}

fn version_at(obj: &Map<String, Value>, key: &str) -> Result<Option<(SafeVersion, bool)>, String> {
    match field(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => SafeVersion::parse(s)
            .map(Some)
            .ok_or_else(|| format!("{key}: {s} is not a Safe version this tool knows (0.1.0, 1.0.0, 1.1.0, 1.1.1, 1.2.0, 1.3.0, 1.4.1, 1.5.0, each with an optional +L2)")),
        Some(other) => Err(format!("{key}: expected a version string, got {other}")),
    }
}

/// The SafeTx fields of an object; `gas_key` names the refund gas field (`dataGas` in 0.1.0's
/// typed data); `defaults` lets the refund fields be missing (zero); the nonce is read as given
/// (the flags may fill it).
fn fields(
    obj: &Map<String, Value>,
    gas_key: &str,
    defaults: bool,
) -> Result<(SafeTxFields, Option<U256>), String> {
    let required = |key: &str| format!("{key}: required");
    let to = address_at(obj, "to")?.ok_or_else(|| required("to"))?;
    let value = quantity_at(obj, "value")?.ok_or_else(|| required("value"))?;
    let data = match field(obj, "data") {
        // The Transaction Service writes null for no calldata.
        None if obj.contains_key("data") => Bytes::new(),
        None => return Err(required("data")),
        Some(Value::String(s)) => Bytes::from(parse_prefixed_hex(s).map_err(|e| format!("data: {e}"))?),
        Some(other) => return Err(format!("data: expected a 0x hex string, got {other}")),
    };
    let operation = quantity_at(obj, "operation")?.ok_or_else(|| required("operation"))?;
    let operation = u8::try_from(operation)
        .ok()
        .filter(|o| *o <= 1)
        .ok_or_else(|| format!("operation: {operation} is neither 0 (call) nor 1 (delegatecall)"))?;
    let zero_or =
        |key: &str, v: Option<U256>| v.or(defaults.then_some(U256::ZERO)).ok_or_else(|| required(key));
    let zero_address_or =
        |key: &str, v: Option<Address>| v.or(defaults.then_some(Address::ZERO)).ok_or_else(|| required(key));
    let tx = SafeTxFields {
        to,
        value,
        data,
        operation,
        safe_tx_gas: zero_or("safeTxGas", quantity_at(obj, "safeTxGas")?)?,
        base_gas: zero_or(gas_key, quantity_at(obj, gas_key)?)?,
        gas_price: zero_or("gasPrice", quantity_at(obj, "gasPrice")?)?,
        gas_token: zero_address_or("gasToken", address_at(obj, "gasToken")?)?,
        refund_receiver: zero_address_or("refundReceiver", address_at(obj, "refundReceiver")?)?,
        nonce: U256::ZERO,
    };
    Ok((tx, quantity_at(obj, "nonce")?))
}

fn service(obj: &Map<String, Value>) -> Result<(Form, Partial, SafeTxFields), String> {
    let (tx, nonce) = fields(obj, "baseGas", false)?;
    let partial = Partial {
        safe: Some(address_at(obj, "safe")?.ok_or("safe: required")?),
        nonce: Some(nonce.ok_or("nonce: required")?),
        claimed_hash: hash_at(obj, "safeTxHash")?,
        ..Partial::default()
    };
    Ok((Form::Service, partial, tx))
}

fn plain(obj: &Map<String, Value>) -> Result<(Form, Partial, SafeTxFields), String> {
    if let Some(unknown) =
        obj.keys().find(|k| !SAFE_TX_KEYS.contains(&k.as_str()) && !PLAIN_KEYS.contains(&k.as_str()))
    {
        return Err(format!(
            "{unknown}: not a key of a plain Safe transaction (a key that is not hashed is refused, so nothing can be shown that is not signed)"
        ));
    }
    let (tx, nonce) = fields(obj, "baseGas", true)?;
    let partial = Partial {
        safe: address_at(obj, "safe")?,
        chain_id: u64_at(obj, "chainId")?,
        version: version_at(obj, "safeVersion")?,
        nonce,
        claimed_hash: hash_at(obj, "safeTxHash")?,
        typed_family: None,
    };
    Ok((Form::Plain, partial, tx))
}

/// `[{"name", "type"}, …]` of a typed-data type, as (name, type) pairs.
fn members(types: &Map<String, Value>, name: &str) -> Result<Vec<(String, String)>, String> {
    let list = types.get(name).and_then(Value::as_array).ok_or_else(|| format!("types.{name}: required"))?;
    list.iter()
        .map(|m| {
            let o = m.as_object().filter(|o| o.len() == 2);
            let text = |k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_str).map(str::to_string);
            text("name")
                .zip(text("type"))
                .ok_or_else(|| format!("types.{name}: each member is {{\"name\", \"type\"}}"))
        })
        .collect()
}

fn typed_data(obj: &Map<String, Value>) -> Result<(Form, Partial, SafeTxFields), String> {
    if let Some(unknown) = obj.keys().find(|k| !TYPED_DATA_KEYS.contains(&k.as_str())) {
        return Err(format!("{unknown}: not a key of EIP-712 typed data"));
    }
    if obj.get("primaryType").and_then(Value::as_str) != Some("SafeTx") {
        return Err("primaryType: must be \"SafeTx\"".into());
    }
    let types = obj.get("types").and_then(Value::as_object).ok_or("types: required")?;
    if let Some(extra) = types.keys().find(|k| *k != "EIP712Domain" && *k != "SafeTx") {
        return Err(format!("types.{extra}: a SafeTx has no such type"));
    }
    let domain_members = members(types, "EIP712Domain")?;
    let with_chain = match domain_members.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect::<Vec<_>>()[..]
    {
        [("verifyingContract", "address")] => false,
        [("chainId", "uint256"), ("verifyingContract", "address")] => true,
        _ => {
            return Err("types.EIP712Domain: a Safe's domain is (address verifyingContract), or from 1.3.0 \
                        (uint256 chainId, address verifyingContract)"
                .into());
        }
    };
    let safe_tx = members(types, "SafeTx")?;
    let gas_key = safe_tx.get(5).map(|(n, _)| n.as_str()).unwrap_or_default().to_string();
    let expected = |gas: &str| -> Vec<(String, String)> {
        [
            ("to", "address"),
            ("value", "uint256"),
            ("data", "bytes"),
            ("operation", "uint8"),
            ("safeTxGas", "uint256"),
            (gas, "uint256"),
            ("gasPrice", "uint256"),
            ("gasToken", "address"),
            ("refundReceiver", "address"),
            ("nonce", "uint256"),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
    };
    if gas_key != "baseGas" && gas_key != "dataGas" || safe_tx != expected(&gas_key) {
        return Err("types.SafeTx: not the SafeTx type of any Safe version".into());
    }
    let domain = obj.get("domain").and_then(Value::as_object).ok_or("domain: required")?;
    let allowed: &[&str] =
        if with_chain { &["chainId", "verifyingContract"] } else { &["verifyingContract"] };
    if let Some(extra) = domain.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("domain.{extra}: not in the domain's type"));
    }
    let message = obj.get("message").and_then(Value::as_object).ok_or("message: required")?;
    if let Some(extra) = message.keys().find(|k| !safe_tx.iter().any(|(n, _)| n == *k)) {
        return Err(format!("message.{extra}: not a SafeTx field of this type (it would not be signed)"));
    }
    let (tx, nonce) = fields(message, &gas_key, false).map_err(|e| format!("message.{e}"))?;
    let partial = Partial {
        safe: Some(
            address_at(domain, "verifyingContract")
                .map_err(|e| format!("domain.{e}"))?
                .ok_or("domain.verifyingContract: required")?,
        ),
        chain_id: if with_chain {
            Some(
                u64_at(domain, "chainId")
                    .map_err(|e| format!("domain.{e}"))?
                    .ok_or("domain.chainId: required")?,
            )
        } else {
            None
        },
        version: None,
        nonce: Some(nonce.ok_or("message.nonce: required")?),
        claimed_hash: None,
        typed_family: Some((with_chain, if gas_key == "dataGas" { "dataGas" } else { "baseGas" })),
    };
    Ok((Form::TypedData, partial, tx))
}

pub mod builder;

#[cfg(test)]
mod tests;
