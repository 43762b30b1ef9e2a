//! JSON transactions as the ecosystem emits them, turned into the one canonical unsigned payload
//! (or, for the forms that carry a signature, the signed raw transaction), which is then decoded
//! like any other input.
//!
//! The forms, told apart by shape, each with exactly its own keys:
//! - a request with the `eth_signTransaction` field names (`type` may also be "legacy",
//!   "eip2930", "eip1559" or "eip7702"; access-list entries may omit `storageKeys`);
//! - a JSON-RPC envelope (`jsonrpc`, `id`, `method` = `eth_signTransaction` or
//!   `eth_sendTransaction`, `params` with exactly one request), or its bare `params` array;
//! - ethers 6 `Transaction.toJSON()`: a request with `sig` (`null` unsigned, else a signature
//!   object), and authorizations with a `signature` object (ethers) or `r`, `s`, `yParity`/`v`
//!   (viem);
//! - a signed transaction as JSON: a request with `v`, `r`, `s`, `yParity`, `hash`, each checked
//!   against the rest;
//! - an `eth_signTransaction` result `{raw, tx}`: `raw` is what is evaluated, and `tx` must agree
//!   with it.
//!
//! Strict on purpose: any other key, `data` and `input` that differ, and numbers that are neither
//! decimal strings, `0x` quantities nor JSON integers are refused with the key named. `null` is
//! the same as absent.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEip7702, TxLegacy};
use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_eips::eip7702::{Authorization, SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::values::{parse_address, parse_prefixed_hex, parse_quantity_str};

const KEYS: &[&str] = &[
    "type",
    "chainId",
    "nonce",
    "to",
    "value",
    "data",
    "input",
    "gas",
    "gasLimit",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "accessList",
    "authorizationList",
    "from",
];

/// What a request compiles to.
pub struct BuiltRequest {
    /// The canonical unsigned payload.
    pub payload: Zeroizing<Vec<u8>>,
    /// The `from` field, if given (reported, never trusted).
    pub from: Option<Address>,
}

/// What a JSON document is, once its form is known.
pub enum Built {
    /// A request without a signature.
    Unsigned(BuiltRequest),
    /// A request with its signature: evaluated as the signed transaction they make.
    Signed {
        /// The request.
        request: BuiltRequest,
        /// Its signature.
        signature: alloy_primitives::Signature,
        /// The transaction hash the document claims, checked against the signed encoding.
        hash: Option<B256>,
    },
    /// An `eth_signTransaction` result: the raw signed transaction, and the object beside it.
    Raw {
        /// The raw signed transaction: what is evaluated.
        raw: Zeroizing<Vec<u8>>,
        /// The `tx` object, which must describe the same transaction.
        tx: Option<Box<Built>>,
    },
}

/// The keys a signed transaction's JSON adds to a request.
const SIGNATURE_KEYS: &[&str] = &["v", "r", "s", "yParity", "hash"];
/// The keys of a JSON-RPC request envelope.
const ENVELOPE_KEYS: &[&str] = &["jsonrpc", "id", "method", "params"];
/// The keys of an `eth_signTransaction` result.
const RESULT_KEYS: &[&str] = &["raw", "tx"];

/// Parses a quantity: decimal string, `0x` hex string or JSON integer.
pub fn quantity(v: &Value, key: &str) -> Result<U256, String> {
    match v {
        Value::Number(n) => {
            n.as_u64().map(U256::from).ok_or_else(|| format!("{key}: {n} is not a non-negative integer"))
        }
        Value::String(s) => parse_quantity_str(s).map_err(|e| format!("{key}: {e}")),
        other => Err(format!("{key}: expected a number or a string, got {other}")),
    }
}

fn narrow<T: TryFrom<U256>>(v: U256, key: &str, bits: u32) -> Result<T, String> {
    T::try_from(v).map_err(|_| format!("{key}: {v} does not fit {bits} bits"))
}

fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn req_u64(obj: &Map<String, Value>, key: &str) -> Result<u64, String> {
    let v = get(obj, key).ok_or_else(|| format!("{key}: required"))?;
    narrow(quantity(v, key)?, key, 64)
}

fn req_u128(obj: &Map<String, Value>, key: &str) -> Result<u128, String> {
    let v = get(obj, key).ok_or_else(|| format!("{key}: required for this transaction type"))?;
    narrow(quantity(v, key)?, key, 128)
}

fn hex_bytes(v: &Value, key: &str) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or_else(|| format!("{key}: expected a 0x hex string"))?;
    parse_prefixed_hex(s).map_err(|e| format!("{key}: {e}"))
}

fn address(v: &Value, key: &str) -> Result<Address, String> {
    let s = v.as_str().ok_or_else(|| format!("{key}: expected an address string"))?;
    parse_address(s).map_err(|e| format!("{key}: {e}"))
}

fn access_list(v: Option<&Value>) -> Result<AccessList, String> {
    let Some(v) = v else { return Ok(AccessList::default()) };
    let items = v.as_array().ok_or("accessList: expected an array")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = format!("accessList[{i}]");
        let obj = item.as_object().ok_or_else(|| format!("{key}: expected an object"))?;
        if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "address" | "storageKeys")) {
            return Err(format!("{key}: unknown key {k:?}"));
        }
        let addr = address(obj.get("address").unwrap_or(&Value::Null), &format!("{key}.address"))?;
        // Absent (or null) is no keys, as ethers and viem write an entry without any.
        let keys = match get(obj, "storageKeys") {
            None => &Vec::new(),
            Some(v) => v.as_array().ok_or_else(|| format!("{key}.storageKeys: expected an array"))?,
        };
        let mut storage_keys = Vec::with_capacity(keys.len());
        for (j, k) in keys.iter().enumerate() {
            let b = hex_bytes(k, &format!("{key}.storageKeys[{j}]"))?;
            let word = B256::try_from(b.as_slice())
                .map_err(|_| format!("{key}.storageKeys[{j}]: expected 32 bytes"))?;
            storage_keys.push(word);
        }
        out.push(AccessListItem { address: addr, storage_keys });
    }
    Ok(AccessList(out))
}

fn authorization_list(v: Option<&Value>) -> Result<Vec<SignedAuthorization>, String> {
    let Some(v) = v else { return Err("authorizationList: required for a type 4 transaction".into()) };
    let items = v.as_array().ok_or("authorizationList: expected an array")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = format!("authorizationList[{i}]");
        let obj = item.as_object().ok_or_else(|| format!("{key}: expected an object"))?;
        // viem writes r, s, yParity and v beside the fields; ethers nests them in `signature`.
        const AUTH_KEYS: &[&str] = &["chainId", "address", "nonce", "yParity", "r", "s", "v", "signature"];
        if let Some(k) = unknown_key(obj, AUTH_KEYS) {
            return Err(format!("{key}: unknown key {k:?}"));
        }
        let field = |name: &str| get(obj, name).ok_or_else(|| format!("{key}.{name}: required"));
        let chain_id = quantity(field("chainId")?, &format!("{key}.chainId"))?;
        let addr = address(field("address")?, &format!("{key}.address"))?;
        let nonce = narrow(quantity(field("nonce")?, &format!("{key}.nonce"))?, &format!("{key}.nonce"), 64)?;
        let signature = match get(obj, "signature") {
            Some(nested) => {
                if let Some(k) = ["yParity", "r", "s", "v"].iter().find(|k| get(obj, k).is_some()) {
                    return Err(format!("{key}.{k}: given beside a signature object"));
                }
                let sig = nested.as_object().ok_or_else(|| format!("{key}.signature: expected an object"))?;
                if let Some(k) = unknown_key(sig, ETHERS_SIGNATURE_KEYS) {
                    return Err(format!("{key}.signature: unknown key {k:?}"));
                }
                parse_signature(sig, &format!("{key}.signature"), Parity::Typed)?
            }
            None => parse_signature(obj, &key, Parity::Typed)?,
        };
        let auth = Authorization { chain_id, address: addr, nonce };
        out.push(SignedAuthorization::new_unchecked(
            auth,
            u8::from(signature.v()),
            signature.r(),
            signature.s(),
        ));
    }
    Ok(out)
}

/// Overwrites every string in a parsed document (the hex calldata among them) before it is freed.
pub fn wipe_json(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        _ => {}
    }
}

/// Encodes the signing payload into a buffer of its exact size (no growth, so no stale copies)
/// and wipes the calldata alloy holds before the transaction is dropped.
fn encode<T: SignableTransaction<alloy_primitives::Signature>>(
    mut tx: T,
    input: impl FnOnce(&mut T) -> &mut Bytes,
) -> Zeroizing<Vec<u8>> {
    let mut payload = Zeroizing::new(Vec::with_capacity(tx.payload_len_for_signature()));
    tx.encode_for_signing(&mut *payload);
    firmware_policy::tx::wipe_bytes(input(&mut tx));
    payload
}

/// Parses JSON strictly: a repeated key is an error (two parsers that read first-wins and
/// last-wins are a classic way to show one thing and sign another), and so is any float (no
/// field of a request is fractional, and serde_json reads integers beyond 2^64−1 as floats, so
/// their digits would be lost). Errors name the key path, then serde_json adds line and column.
pub fn parse_strict_json(text: &str) -> Result<Value, String> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let value =
        Strict { path: String::new() }.deserialize(&mut de).map_err(|e| format!("malformed JSON: {e}"))?;
    de.end().map_err(|e| format!("malformed JSON: {e}"))?;
    Ok(value)
}

/// The strict reader: a serde visitor that builds a `Value`, knowing the key path it is at.
struct Strict {
    path: String,
}

impl Strict {
    fn at(&self, key: &str) -> Strict {
        Strict { path: if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) } }
    }

    fn index(&self, i: usize) -> Strict {
        Strict { path: format!("{}[{i}]", self.path) }
    }

    fn named(&self) -> String {
        if self.path.is_empty() { "the document".to_string() } else { self.path.clone() }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        // 2^64 and 2^256 as floats; serde_json hands integers that overflow u64 here.
        const TWO_64: f64 = 18_446_744_073_709_551_616.0;
        const TWO_256: f64 = 1.157_920_892_373_162e77;
        let what = if v.fract() != 0.0 || v < TWO_64 {
            "a float is not a quantity: write an integer, a decimal string or a 0x quantity".to_string()
        } else if v >= TWO_256 {
            "an integer above 2^256-1, the largest quantity".to_string()
        } else {
            "an integer above 2^64-1 cannot be read exactly as a JSON number: write it as a decimal \
             string or a 0x quantity"
                .to_string()
        };
        Err(E::custom(format!("{}: {what}", self.named())))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.index(items.len()))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                let at = self.at(&key).named();
                return Err(serde::de::Error::custom(format!("{at}: duplicate key {key:?}")));
            }
            let value = map.next_value_seed(self.at(&key))?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Compiles a plain JSON request into its unsigned signing payload.
pub fn payload_from_json(text: &str) -> Result<BuiltRequest, String> {
    let mut value = parse_strict_json(text)?;
    let built = value
        .as_object()
        .ok_or_else(|| "a JSON request must be an object".to_string())
        .and_then(|o| build(o, &[]));
    wipe_json(&mut value);
    built
}

/// Reads a JSON transaction in any of the forms this module accepts.
pub fn from_json(text: &str) -> Result<Built, String> {
    let mut value = parse_strict_json(text)?;
    let built = classify(&value);
    wipe_json(&mut value);
    built
}

/// The first key of `obj` that is not in `known` and not null (null is absent).
fn unknown_key<'a>(obj: &'a Map<String, Value>, known: &[&str]) -> Option<&'a String> {
    obj.iter().find(|(k, v)| !v.is_null() && !known.contains(&k.as_str())).map(|(k, _)| k)
}

fn type_by_name(name: &str) -> Option<u8> {
    match name {
        "legacy" => Some(0),
        "eip2930" => Some(1),
        "eip1559" => Some(2),
        "eip4844" => Some(3),
        "eip7702" => Some(4),
        _ => None,
    }
}

fn classify(value: &Value) -> Result<Built, String> {
    let obj = match value {
        Value::Array(params) => return params_form(params, "params"),
        Value::Object(obj) => obj,
        _ => return Err("a JSON transaction must be an object (or a params array)".into()),
    };
    let has = |keys: &[&str]| keys.iter().any(|k| get(obj, k).is_some());
    if has(&["jsonrpc", "method", "params"]) {
        if let Some(k) = unknown_key(obj, ENVELOPE_KEYS) {
            return Err(format!(
                "a JSON-RPC request: unknown key {k:?} (known: {})",
                ENVELOPE_KEYS.join(", ")
            ));
        }
        let method = get(obj, "method").and_then(Value::as_str).ok_or("method: required (a string)")?;
        if !matches!(method, "eth_signTransaction" | "eth_sendTransaction") {
            return Err(format!(
                "method: {:?} is not eth_signTransaction or eth_sendTransaction",
                crate::text::escape(method)
            ));
        }
        let params = get(obj, "params").and_then(Value::as_array).ok_or("params: required (an array)")?;
        return params_form(params, "params");
    }
    if has(&["raw"]) {
        if let Some(k) = unknown_key(obj, RESULT_KEYS) {
            return Err(format!(
                "an eth_signTransaction result: unknown key {k:?} (known: {})",
                RESULT_KEYS.join(", ")
            ));
        }
        let raw = Zeroizing::new(hex_bytes(get(obj, "raw").unwrap_or(&Value::Null), "raw")?);
        let tx = get(obj, "tx").map(|t| classify(t).map_err(|e| format!("tx: {e}"))).transpose()?;
        if matches!(tx, Some(Built::Raw { .. })) {
            return Err("tx: a result inside a result".into());
        }
        return Ok(Built::Raw { raw, tx: tx.map(Box::new) });
    }
    if obj.contains_key("sig") {
        // ethers 6 `Transaction.toJSON()`.
        let request = build(obj, &["sig"])?;
        return match get(obj, "sig") {
            None => Ok(Built::Unsigned(request)),
            Some(sig) => {
                let sig = sig.as_object().ok_or("sig: expected a signature object or null")?;
                if let Some(k) = unknown_key(sig, ETHERS_SIGNATURE_KEYS) {
                    return Err(format!("sig: unknown key {k:?}"));
                }
                let parity = parity_rule(obj)?;
                Ok(Built::Signed { request, signature: parse_signature(sig, "sig", parity)?, hash: None })
            }
        };
    }
    if has(SIGNATURE_KEYS) {
        let request = build(obj, SIGNATURE_KEYS)?;
        let parity = parity_rule(obj)?;
        let signature = parse_signature(obj, "signature", parity)?;
        let hash = get(obj, "hash")
            .map(|h| {
                let b = hex_bytes(h, "hash")?;
                B256::try_from(b.as_slice()).map_err(|_| "hash: expected 32 bytes".to_string())
            })
            .transpose()?;
        return Ok(Built::Signed { request, signature, hash });
    }
    Ok(Built::Unsigned(build(obj, &[])?))
}

/// A `params` array: exactly one request.
fn params_form(params: &[Value], key: &str) -> Result<Built, String> {
    let [request] = params else {
        return Err(format!("{key}: expected exactly one transaction, got {}", params.len()));
    };
    let obj = request.as_object().ok_or_else(|| format!("{key}[0]: expected a transaction object"))?;
    Ok(Built::Unsigned(build(obj, &[]).map_err(|e| format!("{key}[0]: {e}"))?))
}

/// The keys of an ethers 6 `Signature.toJSON()`.
const ETHERS_SIGNATURE_KEYS: &[&str] = &["_type", "networkV", "r", "s", "v", "yParity"];

/// How a `v` maps to the y parity.
#[derive(Clone, Copy)]
enum Parity {
    /// Typed transactions and authorizations: `v` is 0/1 (or 27/28).
    Typed,
    /// Legacy: 27/28, or EIP-155 `chainId * 2 + 35 + parity`.
    Legacy(Option<u64>),
}

/// The request's transaction type: `type` (a number or a name), else what its fields imply (a
/// null field is absent).
fn request_type(obj: &Map<String, Value>) -> Result<u8, String> {
    Ok(match get(obj, "type") {
        Some(Value::String(name)) if type_by_name(name).is_some() => type_by_name(name).unwrap_or_default(),
        Some(v) => narrow::<u8>(quantity(v, "type")?, "type", 8)?,
        None if get(obj, "authorizationList").is_some() => 4,
        None if get(obj, "maxFeePerGas").is_some() => 2,
        None if get(obj, "accessList").is_some() => 1,
        None => 0,
    })
}

fn parity_rule(obj: &Map<String, Value>) -> Result<Parity, String> {
    if request_type(obj)? != 0 {
        return Ok(Parity::Typed);
    }
    let chain = get(obj, "chainId")
        .map(|v| quantity(v, "chainId").and_then(|c| narrow::<u64>(c, "chainId", 64)))
        .transpose()?;
    Ok(Parity::Legacy(chain))
}

/// `r`, `s` and the parity from `yParity` or `v` (both, when given, must agree).
fn parse_signature(
    obj: &Map<String, Value>,
    key: &str,
    rule: Parity,
) -> Result<alloy_primitives::Signature, String> {
    let field = |name: &str| get(obj, name).ok_or_else(|| format!("{key}.{name}: required"));
    let r = quantity(field("r")?, &format!("{key}.r"))?;
    let s = quantity(field("s")?, &format!("{key}.s"))?;
    let from_y = get(obj, "yParity")
        .map(|v| {
            let p: u64 = narrow(quantity(v, &format!("{key}.yParity"))?, &format!("{key}.yParity"), 64)?;
            match p {
                0 | 1 => Ok(p == 1),
                other => Err(format!("{key}.yParity: {other} is not 0 or 1")),
            }
        })
        .transpose()?;
    let from_v = get(obj, "v")
        .map(|v| {
            let v: u64 = narrow(quantity(v, &format!("{key}.v"))?, &format!("{key}.v"), 64)?;
            let parity = match (rule, v) {
                (_, 27 | 28) => Some(v == 28),
                (Parity::Typed, 0 | 1) => Some(v == 1),
                (Parity::Legacy(Some(chain)), v) => {
                    let base = chain.checked_mul(2).and_then(|c| c.checked_add(35));
                    base.and_then(|b| v.checked_sub(b)).filter(|p| *p <= 1).map(|p| p == 1)
                }
                _ => None,
            };
            parity.ok_or_else(|| format!("{key}.v: {v} is not a valid v for this transaction"))
        })
        .transpose()?;
    let y = match (from_y, from_v) {
        (Some(a), Some(b)) if a != b => return Err(format!("{key}: yParity and v disagree")),
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Err(format!("{key}.yParity: required (or v)")),
    };
    // ethers' EIP-155 v, when it gives one, must say the same.
    if let (Some(network_v), Parity::Legacy(Some(chain))) = (get(obj, "networkV"), rule) {
        let v: u64 =
            narrow(quantity(network_v, &format!("{key}.networkV"))?, &format!("{key}.networkV"), 64)?;
        let expected = chain.checked_mul(2).and_then(|c| c.checked_add(35 + u64::from(y)));
        if Some(v) != expected {
            return Err(format!(
                "{key}.networkV: {v} does not match the signature's parity on chain {chain}"
            ));
        }
    }
    Ok(alloy_primitives::Signature::new(r, s, y))
}

/// A request's fields (plus the `extra` keys its form adds, read elsewhere) compiled into the
/// unsigned signing payload.
fn build(obj: &Map<String, Value>, extra: &[&str]) -> Result<BuiltRequest, String> {
    if let Some(k) = obj
        .iter()
        .find(|(k, v)| !v.is_null() && !KEYS.contains(&k.as_str()) && !extra.contains(&k.as_str()))
        .map(|(k, _)| k)
    {
        return Err(format!("unknown key {k:?} (known: {})", KEYS.join(", ")));
    }
    let data = match (get(obj, "data"), get(obj, "input")) {
        (Some(d), Some(i)) => {
            let (d, i) = (hex_bytes(d, "data")?, hex_bytes(i, "input")?);
            if d != i {
                return Err("data and input are both given and differ".into());
            }
            d
        }
        (Some(d), None) => hex_bytes(d, "data")?,
        (None, Some(i)) => hex_bytes(i, "input")?,
        (None, None) => Vec::new(),
    };
    let input = Bytes::from(data);
    let gas_limit = match (get(obj, "gas"), get(obj, "gasLimit")) {
        (Some(_), Some(_)) => {
            let (a, b) = (req_u64(obj, "gas")?, req_u64(obj, "gasLimit")?);
            if a != b {
                return Err("gas and gasLimit are both given and differ".into());
            }
            a
        }
        (Some(_), None) => req_u64(obj, "gas")?,
        (None, Some(_)) => req_u64(obj, "gasLimit")?,
        (None, None) => return Err("gas: required (or gasLimit)".into()),
    };
    let to = match get(obj, "to") {
        Some(v) => TxKind::Call(address(v, "to")?),
        None => TxKind::Create,
    };
    let value = get(obj, "value").map(|v| quantity(v, "value")).transpose()?.unwrap_or_default();
    let nonce = req_u64(obj, "nonce")?;
    let from = get(obj, "from").map(|v| address(v, "from")).transpose()?;
    let ty = request_type(obj)?;
    // A field the type does not have would be silently dropped from the payload: refuse it.
    let foreign: &[&str] = match ty {
        0 => &["accessList", "maxFeePerGas", "maxPriorityFeePerGas", "authorizationList"],
        1 => &["maxFeePerGas", "maxPriorityFeePerGas", "authorizationList"],
        2 => &["gasPrice", "authorizationList"],
        4 => &["gasPrice"],
        _ => &[],
    };
    if let Some(k) = foreign.iter().find(|k| get(obj, k).is_some()) {
        return Err(format!("{k}: not a field of a type {ty} transaction"));
    }
    let chain_id = get(obj, "chainId")
        .map(|v| quantity(v, "chainId").and_then(|c| narrow::<u64>(c, "chainId", 64)))
        .transpose()?;
    let typed_chain = || chain_id.ok_or_else(|| "chainId: required for a typed transaction".to_string());
    let payload = match ty {
        0 => {
            let tx = TxLegacy {
                chain_id,
                nonce,
                gas_price: req_u128(obj, "gasPrice")?,
                gas_limit,
                to,
                value,
                input,
            };
            encode(tx, |t| &mut t.input)
        }
        1 => {
            let tx = TxEip2930 {
                chain_id: typed_chain()?,
                nonce,
                gas_price: req_u128(obj, "gasPrice")?,
                gas_limit,
                to,
                value,
                input,
                access_list: access_list(get(obj, "accessList"))?,
            };
            encode(tx, |t| &mut t.input)
        }
        2 => {
            let tx = TxEip1559 {
                chain_id: typed_chain()?,
                nonce,
                gas_limit,
                max_fee_per_gas: req_u128(obj, "maxFeePerGas")?,
                max_priority_fee_per_gas: req_u128(obj, "maxPriorityFeePerGas")?,
                to,
                value,
                access_list: access_list(get(obj, "accessList"))?,
                input,
            };
            encode(tx, |t| &mut t.input)
        }
        4 => {
            let TxKind::Call(to) = to else {
                return Err("to: a type 4 transaction cannot create a contract".into());
            };
            let tx = TxEip7702 {
                chain_id: typed_chain()?,
                nonce,
                gas_limit,
                max_fee_per_gas: req_u128(obj, "maxFeePerGas")?,
                max_priority_fee_per_gas: req_u128(obj, "maxPriorityFeePerGas")?,
                to,
                value,
                access_list: access_list(get(obj, "accessList"))?,
                authorization_list: authorization_list(get(obj, "authorizationList"))?,
                input,
            };
            encode(tx, |t| &mut t.input)
        }
        3 => {
            return Err(
                "type 3 (blob) transactions cannot be given as JSON requests; give the signing payload"
                    .into(),
            );
        }
        other => return Err(format!("type: unknown transaction type {other}")),
    };
    Ok(BuiltRequest { payload, from })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_at_any_depth() {
        let e = parse_strict_json(r#"{"to": "0x01", "to": "0x02"}"#).unwrap_err();
        assert!(e.contains("to: duplicate key \"to\"") && e.contains("line 1"), "{e}");
        let e = parse_strict_json(r#"{"accessList": [{"address": "0x", "address": "0x"}]}"#).unwrap_err();
        assert!(e.contains("accessList[0].address: duplicate key"), "{e}");
    }

    #[test]
    fn floats_and_oversized_integers_say_what_they_are() {
        let e = parse_strict_json(r#"{"value": 1.5}"#).unwrap_err();
        assert!(e.contains("value: a float is not a quantity"), "{e}");
        let e = parse_strict_json(r#"{"nonce": 1e3}"#).unwrap_err();
        assert!(e.contains("nonce: a float"), "{e}");
        let e = parse_strict_json(r#"{"value": 18446744073709551616}"#).unwrap_err();
        assert!(e.contains("value: an integer above 2^64-1"), "{e}");
        let above = format!(r#"{{"value": 1{}}}"#, "0".repeat(78));
        let e = parse_strict_json(&above).unwrap_err();
        assert!(e.contains("value: an integer above 2^256-1"), "{e}");
        let v = parse_strict_json(r#"{"value": 18446744073709551615, "n": [-1, null, true]}"#).unwrap();
        assert_eq!(v["value"].as_u64(), Some(u64::MAX));
    }

    #[test]
    fn a_doubled_0x_prefix_in_a_request_is_refused() {
        let e = payload_from_json(r#"{"chainId": 1, "nonce": 0, "gas": 1, "gasPrice": 1, "to": "0x00000000000000000000000000000000000000a1", "data": "0x0x12"}"#).err().unwrap();
        assert!(e.contains("data: not a hex digit at character 3"), "{e}");
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    const REQUEST: &str = r#""chainId":"1","nonce":"0","to":"0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2","gas":"21000","maxFeePerGas":"2","maxPriorityFeePerGas":"1""#;

    fn err(text: &str) -> String {
        match from_json(text) {
            Ok(_) => panic!("accepted {text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn each_form_accepts_exactly_its_own_keys() {
        assert!(matches!(from_json(&format!("{{{REQUEST}}}")), Ok(Built::Unsigned(_))));
        assert!(matches!(from_json(&format!("{{{REQUEST},\"sig\":null}}")), Ok(Built::Unsigned(_))));
        // `raw` belongs to a result, not to a request; a request key does not belong to a result.
        assert!(err(&format!("{{{REQUEST},\"raw\":\"0x00\"}}")).contains("unknown key"));
        // Envelope keys beside request keys.
        assert!(
            err(&format!("{{\"method\":\"eth_signTransaction\",\"params\":[{{{REQUEST}}}],{REQUEST}}}"))
                .contains("unknown key")
        );
        assert!(err(&format!("[{{{REQUEST},\"sig\":{{\"r\":\"0x1\"}}}}]")).contains("unknown key \"sig\""));
    }

    #[test]
    fn a_signature_must_agree_with_itself() {
        let sig = r#""r":"0x1","s":"0x1""#;
        assert!(err(&format!("{{{REQUEST},{sig},\"yParity\":\"0x1\",\"v\":\"0x0\"}}")).contains("disagree"));
        assert!(err(&format!("{{{REQUEST},{sig},\"yParity\":\"0x2\"}}")).contains("not 0 or 1"));
        assert!(err(&format!("{{{REQUEST},{sig},\"v\":\"0x25\"}}")).contains("not a valid v"));
        assert!(matches!(
            from_json(&format!("{{{REQUEST},{sig},\"v\":\"0x1c\"}}")),
            Ok(Built::Signed { .. })
        ));
    }

    #[test]
    fn null_is_absent() {
        assert!(matches!(
            from_json(&format!("{{{REQUEST},\"gasPrice\":null,\"accessList\":null,\"whatever\":null}}")),
            Ok(Built::Unsigned(_))
        ));
    }
}
