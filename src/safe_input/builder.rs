//! A Safe{Wallet} Transaction Builder batch file, turned into the Safe transaction Safe{Wallet}
//! proposes for it: one transaction is a direct call; several are a DELEGATECALL to the Safe
//! version's canonical MultiSendCallOnly, `multiSend(bytes)` over the transactions packed as
//! `operation (1) ‖ to (20) ‖ value (32) ‖ length of data (32) ‖ data`, each with operation 0.
//!
//! An entry's calldata is its `data`, or, when that is null, its `contractMethod` with its
//! `contractInputsValues` ABI-encoded by alloy's dynamic ABI; an entry with both must agree.

use alloy_dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier};
use alloy_json_abi::{Function, Param, StateMutability};
use alloy_primitives::{Address, Bytes, U256, address};
use alloy_sol_types::sol_data::{Address as SolAddress, Bytes as SolBytes, Uint};
use alloy_sol_types::{SolCall, SolType, sol};
use firmware_policy::safe_tx::{SafeTxFields, SafeVersion};
use serde_json::{Map, Value};

sol! {
    function multiSend(bytes transactions);
}

/// At most this many entries: Safe{Wallet} itself warns far below it, and each costs gas.
const MAX_ENTRIES: usize = 1024;

/// The canonical MultiSendCallOnly that Safe{Wallet} delegatecalls for a batch, per version
/// (safe-deployments; the `+L2` singletons share them).
pub fn multi_send_call_only(version: SafeVersion) -> Option<Address> {
    match version {
        SafeVersion::V1_3_0 => Some(address!("0x40A2aCCbd92BCA938b02010E17A5b8929b49130D")),
        SafeVersion::V1_4_1 => Some(address!("0x9641d764fc13c8B624c04430C7356C1C7C8102e2")),
        _ => None,
    }
}

/// One entry of the batch: where, how much, which calldata.
pub struct Entry {
    to: Address,
    value: U256,
    data: Bytes,
}

/// What the file says about the Safe, and its entries.
pub struct Batch {
    /// `chainId`.
    pub chain_id: Option<u64>,
    /// `meta.createdFromSafeAddress`, when set.
    pub safe: Option<Address>,
    entries: Vec<Entry>,
}

fn text<'a>(obj: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a str, String> {
    obj.get(key).and_then(Value::as_str).ok_or_else(|| format!("{at}{key}: expected a string"))
}

/// Reads the batch file's object (its `meta` other than the Safe, and `createdAt`, are ignored).
pub fn read(obj: &Map<String, Value>) -> Result<Batch, String> {
    let chain_id = match obj.get("chainId") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            u64::try_from(crate::request::quantity(v, "chainId")?)
                .map_err(|_| "chainId: does not fit 64 bits".to_string())?,
        ),
    };
    let safe = match obj.get("meta").and_then(|m| m.get("createdFromSafeAddress")) {
        Some(Value::String(s)) if !s.is_empty() => {
            Some(crate::values::parse_address(s).map_err(|e| format!("meta.createdFromSafeAddress: {e}"))?)
        }
        _ => None,
    };
    let list = obj.get("transactions").and_then(Value::as_array).ok_or("transactions: expected an array")?;
    if list.is_empty() || list.len() > MAX_ENTRIES {
        return Err(format!("transactions: {} entries (1 to {MAX_ENTRIES})", list.len()));
    }
    let entries = list
        .iter()
        .enumerate()
        .map(|(i, e)| entry(e, &format!("transactions[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Batch { chain_id, safe, entries })
}

fn entry(e: &Value, at: &str) -> Result<Entry, String> {
    let obj = e.as_object().ok_or_else(|| format!("{at}: expected an object"))?;
    let to = crate::values::parse_address(text(obj, "to", at)?).map_err(|err| format!("{at}to: {err}"))?;
    let value = crate::request::quantity(obj.get("value").unwrap_or(&Value::Null), &format!("{at}value"))?;
    let given = match obj.get("data") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(crate::values::parse_prefixed_hex(s).map_err(|err| format!("{at}data: {err}"))?)
        }
        Some(other) => return Err(format!("{at}data: expected a 0x hex string or null, got {other}")),
    };
    let encoded = match obj.get("contractMethod") {
        None | Some(Value::Null) => None,
        Some(method) => Some(encode_method(method, obj.get("contractInputsValues"), at)?),
    };
    let data = match (given, encoded) {
        (Some(given), Some(encoded)) if given != encoded => {
            return Err(format!(
                "{at}data is not what its contractMethod and contractInputsValues encode (0x{}): the file says two things",
                alloy_primitives::hex::encode(&encoded)
            ));
        }
        (Some(data), _) | (None, Some(data)) => data,
        (None, None) => Vec::new(),
    };
    Ok(Entry { to, value, data: Bytes::from(data) })
}

/// `contractMethod` as alloy's JSON ABI function, and its values encoded.
fn encode_method(method: &Value, values: Option<&Value>, at: &str) -> Result<Vec<u8>, String> {
    let obj = method.as_object().ok_or_else(|| format!("{at}contractMethod: expected an object"))?;
    let name = text(obj, "name", &format!("{at}contractMethod."))?;
    let inputs: Vec<Param> =
        serde_json::from_value(obj.get("inputs").cloned().unwrap_or(Value::Array(vec![])))
            .map_err(|e| format!("{at}contractMethod.inputs: {e}"))?;
    let function = Function {
        name: name.to_string(),
        inputs,
        outputs: vec![],
        state_mutability: if obj.get("payable").and_then(Value::as_bool) == Some(true) {
            StateMutability::Payable
        } else {
            StateMutability::NonPayable
        },
    };
    let values_obj = values.and_then(Value::as_object);
    let args = function
        .inputs
        .iter()
        .map(|input| {
            let ty = input.resolve().map_err(|e| format!("{at}contractMethod.inputs.{}: {e}", input.name))?;
            let raw = values_obj
                .and_then(|v| v.get(&input.name))
                .ok_or_else(|| format!("{at}contractInputsValues.{}: missing", input.name))?;
            value_of(&ty, raw).map_err(|e| format!("{at}contractInputsValues.{}: {e}", input.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(extra) =
        values_obj.and_then(|v| v.keys().find(|k| !function.inputs.iter().any(|i| &i.name == *k)))
    {
        return Err(format!("{at}contractInputsValues.{extra}: not an input of {name}"));
    }
    function.abi_encode_input(&args).map_err(|e| format!("{at}contractMethod: {e}"))
}

/// A value as the Transaction Builder writes it: a string for a single value, JSON text of an
/// array for arrays and tuples (whose elements may be strings or JSON values).
fn value_of(ty: &DynSolType, raw: &Value) -> Result<DynSolValue, String> {
    match (ty, raw) {
        // A named tuple (a struct in the ABI's internalType) resolves to a custom struct: the
        // same ABI encoding as its tuple.
        (DynSolType::CustomStruct { name, prop_names, tuple }, Value::Array(items))
            if items.len() == tuple.len() =>
        {
            Ok(DynSolValue::CustomStruct {
                name: name.clone(),
                prop_names: prop_names.clone(),
                tuple: tuple.iter().zip(items).map(|(t, i)| value_of(t, i)).collect::<Result<_, _>>()?,
            })
        }
        (
            DynSolType::Array(_)
            | DynSolType::FixedArray(..)
            | DynSolType::Tuple(_)
            | DynSolType::CustomStruct { .. },
            Value::String(s),
        ) => {
            let parsed = crate::request::parse_strict_json(s)?;
            value_of(ty, &parsed)
        }
        (DynSolType::Array(inner), Value::Array(items)) => {
            Ok(DynSolValue::Array(items.iter().map(|i| value_of(inner, i)).collect::<Result<_, _>>()?))
        }
        (DynSolType::FixedArray(inner, n), Value::Array(items)) if items.len() == *n => {
            Ok(DynSolValue::FixedArray(items.iter().map(|i| value_of(inner, i)).collect::<Result<_, _>>()?))
        }
        (DynSolType::Tuple(types), Value::Array(items)) if items.len() == types.len() => {
            Ok(DynSolValue::Tuple(
                types.iter().zip(items).map(|(t, i)| value_of(t, i)).collect::<Result<_, _>>()?,
            ))
        }
        (
            DynSolType::Array(_)
            | DynSolType::FixedArray(..)
            | DynSolType::Tuple(_)
            | DynSolType::CustomStruct { .. },
            other,
        ) => Err(format!("{other} is not a {ty}")),
        (_, Value::String(s)) => ty.coerce_str(s).map_err(|e| e.to_string()),
        (_, Value::Bool(b)) => ty.coerce_str(if *b { "true" } else { "false" }).map_err(|e| e.to_string()),
        (_, Value::Number(n)) => ty.coerce_str(&n.to_string()).map_err(|e| e.to_string()),
        (_, other) => Err(format!("{other} is not a {ty}")),
    }
}

/// The Safe transaction Safe{Wallet} makes of the batch (the nonce filled in later).
pub fn safe_tx(batch: &Batch, version: SafeVersion) -> Result<SafeTxFields, String> {
    let (to, value, data, operation) = match batch.entries.as_slice() {
        [one] => (one.to, one.value, one.data.clone(), 0),
        several => {
            let multi_send = multi_send_call_only(version).ok_or_else(|| {
                format!(
                    "a batch of {} transactions: Safe{{Wallet}} delegatecalls the version's MultiSendCallOnly, and this tool knows it for 1.3.0 and 1.4.1 only, not {}",
                    several.len(),
                    version.as_str()
                )
            })?;
            let mut packed = Vec::new();
            for e in several {
                let length = U256::from(e.data.len());
                // abi.encodePacked(uint8 operation, address to, uint256 value, uint256 length, bytes data)
                type Packed = (Uint<8>, SolAddress, Uint<256>, Uint<256>, SolBytes);
                packed.extend(Packed::abi_encode_packed(&(0u8, e.to, e.value, length, e.data.clone())));
            }
            let call = multiSendCall { transactions: Bytes::from(packed) }.abi_encode();
            (multi_send, U256::ZERO, Bytes::from(call), 1)
        }
    };
    Ok(SafeTxFields {
        to,
        value,
        data,
        operation,
        safe_tx_gas: U256::ZERO,
        base_gas: U256::ZERO,
        gas_price: U256::ZERO,
        gas_token: Address::ZERO,
        refund_receiver: Address::ZERO,
        nonce: U256::ZERO,
    })
}
