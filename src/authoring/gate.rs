//! The simulation gate's authoring keys (`max_state_age`, `[[code]]`, `[[authority]]`,
//! `[[actions.expect.slots]]`, `[[actions.expect.events]]`), compiled to the bytes the manifest
//! keeps: slots and values as words, events as topics and data, view calls as calldata and
//! return data. The human signatures travel beside the bytes, for display; this is where they
//! are checked to be the bytes' own.

use alloy_dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier};
use alloy_json_abi::{Event, Function};
use alloy_primitives::{B256, keccak256};
use firmware_policy::manifest::effects::{self, named_slots};
use firmware_policy::manifest::{
    Authority, AuthorityCall, Expect, ExpectedCode, ExpectedEvent, ExpectedSlot,
};
use serde::Deserialize;

use super::{AuthoringError, address, field_err};
use crate::values::parse_prefixed_hex;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ExpectToml {
    #[serde(default)]
    slots: Vec<SlotToml>,
    #[serde(default)]
    events: Vec<EventToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotToml {
    address: String,
    slot: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventToml {
    emitter: String,
    signature: String,
    #[serde(default)]
    args: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CodeToml {
    address: String,
    code_hash: String,
}

/// A slot entry (`address`, `slot`, `value`) or a view call (`on`, `call`, `args`, `returns`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthorityToml {
    address: Option<String>,
    slot: Option<String>,
    value: Option<String>,
    on: Option<String>,
    call: Option<String>,
    args: Option<Vec<toml::Value>>,
    returns: Option<Vec<toml::Value>>,
}

/// `max_state_age`: whole seconds.
pub(super) fn max_state_age(v: Option<&toml::Value>) -> Result<u64, AuthoringError> {
    match v {
        None => Ok(effects::DEFAULT_MAX_STATE_AGE),
        Some(toml::Value::Integer(n)) if *n >= 1 && n.unsigned_abs() <= effects::MAX_STATE_AGE_LIMIT => {
            Ok(n.unsigned_abs())
        }
        Some(_) => Err(field_err(
            "max_state_age",
            format!("expected whole seconds, 1 to {}", effects::MAX_STATE_AGE_LIMIT),
        )),
    }
}

/// A slot: one of the named slots, or `0x` and at most 64 hex digits (left-padded).
fn slot(text: &str, field: &str) -> Result<B256, AuthoringError> {
    if let Some(slot) = named_slots::by_name(text) {
        return Ok(slot);
    }
    let names: Vec<&str> = named_slots::ALL.iter().map(|(n, _)| *n).collect();
    word_of(text).ok_or_else(|| {
        field_err(
            field,
            format!("{text:?}: expected one of {} or 0x and at most 64 hex digits", names.join(", ")),
        )
    })
}

fn word_of(text: &str) -> Option<B256> {
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = format!("{digits:0>64}");
    parse_prefixed_hex(&format!("0x{padded}")).ok().and_then(|b| B256::try_from(b.as_slice()).ok())
}

/// A value: an address (left-padded, its EIP-55 checksum checked) or a whole 32-byte word.
fn value(text: &str, field: &str) -> Result<B256, AuthoringError> {
    match text.strip_prefix("0x").map(str::len) {
        Some(40) => Ok(address(text, field)?.into_word()),
        Some(64) => word_of(text).ok_or_else(|| field_err(field, format!("{text:?}: not hex"))),
        _ => Err(field_err(
            field,
            format!("{text:?}: expected an address (0x + 40 hex) or a word (0x + 64 hex)"),
        )),
    }
}

fn expected_slot(t: &SlotToml, field: &str) -> Result<ExpectedSlot, AuthoringError> {
    Ok(ExpectedSlot {
        address: address(&t.address, &format!("{field}.address"))?,
        slot: slot(&t.slot, &format!("{field}.slot"))?,
        value: value(&t.value, &format!("{field}.value"))?,
    })
}

/// A TOML value as the text `DynSolType::coerce_str` reads.
fn arg_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(arg_text).collect();
            Some(format!("[{}]", parts?.join(",")))
        }
        _ => None,
    }
}

fn coerce(ty: &DynSolType, v: &toml::Value, field: &str) -> Result<DynSolValue, AuthoringError> {
    let text = arg_text(v).ok_or_else(|| field_err(field, "expected a string, integer, boolean or array"))?;
    ty.coerce_str(&text).map_err(|e| field_err(field, format!("{text:?} is not a {ty}: {e}")))
}

/// An indexed argument's topic: a value type's word; a string's or bytes' keccak256 (what the
/// EVM logs for them). Indexed arrays and tuples are hashed over an encoding this tool does not
/// build, so they are refused rather than guessed.
fn topic(ty: &DynSolType, value: &DynSolValue, field: &str) -> Result<B256, AuthoringError> {
    match value {
        DynSolValue::String(s) => Ok(keccak256(s.as_bytes())),
        DynSolValue::Bytes(b) => Ok(keccak256(b)),
        _ => value.as_word().ok_or_else(|| {
            field_err(
                field,
                format!("an indexed {ty} is not supported: expect a value type, string or bytes"),
            )
        }),
    }
}

fn expected_event(t: &EventToml, field: &str) -> Result<ExpectedEvent, AuthoringError> {
    let event = Event::parse(&t.signature)
        .map_err(|e| field_err(format!("{field}.signature"), format!("{:?}: {e}", t.signature)))?;
    if event.anonymous {
        return Err(field_err(
            format!("{field}.signature"),
            "an anonymous event has no selector to find it by",
        ));
    }
    if t.args.len() != event.inputs.len() {
        return Err(field_err(
            format!("{field}.args"),
            format!(
                "{} arguments for {} parameters (indexed and data alike, in declaration order)",
                t.args.len(),
                event.inputs.len()
            ),
        ));
    }
    let mut topics = vec![event.selector()];
    let mut data = Vec::new();
    for (i, (param, arg)) in event.inputs.iter().zip(&t.args).enumerate() {
        let at = format!("{field}.args[{i}]");
        let ty = param.resolve().map_err(|e| field_err(&at, format!("{}: {e}", param.ty)))?;
        let v = coerce(&ty, arg, &at)?;
        if param.indexed {
            topics.push(topic(&ty, &v, &at)?);
        } else {
            data.push(v);
        }
    }
    Ok(ExpectedEvent {
        emitter: address(&t.emitter, &format!("{field}.emitter"))?,
        signature: t.signature.clone(),
        topics,
        data: DynSolValue::Tuple(data).abi_encode_params(),
    })
}

/// An action's `expect`.
pub(super) fn expect(t: Option<&ExpectToml>, action: usize) -> Result<Expect, AuthoringError> {
    let Some(t) = t else {
        return Ok(Expect::default());
    };
    let mut out = Expect::default();
    for (i, s) in t.slots.iter().enumerate() {
        out.slots.push(expected_slot(s, &format!("actions[{action}].expect.slots[{i}]"))?);
    }
    for (i, e) in t.events.iter().enumerate() {
        out.events.push(expected_event(e, &format!("actions[{action}].expect.events[{i}]"))?);
    }
    if out.is_empty() {
        return Err(field_err(
            format!("actions[{action}].expect"),
            "names no slot and no event: leave it out",
        ));
    }
    Ok(out)
}

/// `[[code]]`.
pub(super) fn code(t: &[CodeToml]) -> Result<Vec<ExpectedCode>, AuthoringError> {
    t.iter()
        .enumerate()
        .map(|(i, c)| {
            let hash = c
                .code_hash
                .strip_prefix("0x")
                .filter(|d| d.len() == 64)
                .and_then(|_| word_of(&c.code_hash))
                .ok_or_else(|| field_err(format!("code[{i}].code_hash"), "expected 0x + 64 hex digits"))?;
            Ok(ExpectedCode { address: address(&c.address, &format!("code[{i}].address"))?, code_hash: hash })
        })
        .collect()
}

/// A view call as `cast` writes it, `name(inputs)(outputs)`: the function and its return types.
fn view_call(text: &str, field: &str) -> Result<Function, AuthoringError> {
    let bad =
        |why: &str| field_err(field, format!("{text:?}: {why} (write it as cast does: owner()(address))"));
    let open = text.find('(').ok_or_else(|| bad("no parameter list"))?;
    let mut depth = 0usize;
    let mut close = None;
    for (i, c) in text.char_indices().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close.ok_or_else(|| bad("unbalanced parentheses"))?;
    let (head, outputs) = text.split_at(close + 1);
    if !(outputs.starts_with('(') && outputs.ends_with(')')) {
        return Err(bad("no return types"));
    }
    Function::parse(&format!("function {head} returns {outputs}")).map_err(|e| bad(&e.to_string()))
}

fn authority_entry(t: &AuthorityToml, i: usize) -> Result<Authority, AuthoringError> {
    let field = format!("authority[{i}]");
    match (t, &t.on) {
        (
            AuthorityToml {
                address: Some(a),
                slot: Some(s),
                value: Some(v),
                on: None,
                call: None,
                args: None,
                returns: None,
            },
            _,
        ) => Ok(Authority::Slot(expected_slot(
            &SlotToml { address: a.clone(), slot: s.clone(), value: v.clone() },
            &field,
        )?)),
        (
            AuthorityToml {
                address: None,
                slot: None,
                value: None,
                on: Some(on),
                call: Some(call),
                args,
                returns: Some(returns),
            },
            _,
        ) => {
            let function = view_call(call, &format!("{field}.call"))?;
            let args = args.as_deref().unwrap_or_default();
            if args.len() != function.inputs.len() || returns.len() != function.outputs.len() {
                return Err(field_err(
                    &field,
                    format!(
                        "{} arguments and {} return values for {call:?}, which takes {} and returns {}",
                        args.len(),
                        returns.len(),
                        function.inputs.len(),
                        function.outputs.len()
                    ),
                ));
            }
            let mut values = Vec::with_capacity(args.len());
            for (j, (param, arg)) in function.inputs.iter().zip(args).enumerate() {
                let at = format!("{field}.args[{j}]");
                let ty = param.resolve().map_err(|e| field_err(&at, format!("{}: {e}", param.ty)))?;
                values.push(coerce(&ty, arg, &at)?);
            }
            let calldata = function
                .abi_encode_input(&values)
                .map_err(|e| field_err(format!("{field}.args"), e.to_string()))?;
            let mut outs = Vec::with_capacity(returns.len());
            for (j, (param, ret)) in function.outputs.iter().zip(returns).enumerate() {
                let at = format!("{field}.returns[{j}]");
                let ty = param.resolve().map_err(|e| field_err(&at, format!("{}: {e}", param.ty)))?;
                outs.push(coerce(&ty, ret, &at)?);
            }
            Ok(Authority::Call(AuthorityCall {
                on: address(on, &format!("{field}.on"))?,
                signature: call.clone(),
                calldata,
                returns: DynSolValue::Tuple(outs).abi_encode_params(),
            }))
        }
        _ => Err(field_err(
            field,
            "expected either address, slot and value, or on, call, returns (and args when the call takes any)",
        )),
    }
}

/// `[[authority]]`, in the author's order.
pub(super) fn authority(t: &[AuthorityToml]) -> Result<Vec<Authority>, AuthoringError> {
    t.iter().enumerate().map(|(i, a)| authority_entry(a, i)).collect()
}

/// The event an expected log names, when its signature parses and its selector is topic 0.
pub fn event_of(expected: &ExpectedEvent) -> Option<Event> {
    Event::parse(&expected.signature).ok().filter(|e| expected.topics.first() == Some(&e.selector()))
}

/// The view call an authority entry names, when its signature parses and its selector is the
/// calldata's.
pub fn view_call_of(call: &AuthorityCall) -> Option<Function> {
    view_call(&call.signature, "call")
        .ok()
        .filter(|f| call.calldata.get(..4) == Some(f.selector().as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;

    #[test]
    fn an_upgraded_event_is_its_selector_and_the_indexed_implementation() {
        let implementation = "0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A";
        let event = expected_event(
            &EventToml {
                emitter: "0x78a3FB06880667Fd263A4493FA66e173008c6C68".into(),
                signature: "Upgraded(address indexed implementation)".into(),
                args: vec![toml::Value::String(implementation.into())],
            },
            "e",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // keccak256("Upgraded(address)"), as every EIP-1967 proxy logs it.
        assert_eq!(
            event.topics[0],
            alloy_primitives::b256!("bc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b")
        );
        let implementation: Address = implementation.parse().unwrap_or_default();
        assert_eq!(event.topics[1], implementation.into_word());
        assert!(event.data.is_empty());
        assert!(event_of(&event).is_some());
    }

    #[test]
    fn a_view_call_is_its_calldata_and_return_bytes() {
        let entry = authority_entry(
            &AuthorityToml {
                address: None,
                slot: None,
                value: None,
                on: Some("0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2".into()),
                call: Some("hasRole(bytes32,address)(bool)".into()),
                args: Some(vec![
                    toml::Value::String(
                        "0xb09aa5aeb3702cfd50b6b62bc4532604938f21248a27a1d5ca736082b6819cc1".into(),
                    ),
                    toml::Value::String("0x221C485E3e577298b8a2dBd5D1243a9a9A218cC8".into()),
                ]),
                returns: Some(vec![toml::Value::Boolean(true)]),
            },
            0,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Authority::Call(call) = entry else { panic!("a call") };
        // cast sig "hasRole(bytes32,address)" = 0x91d14854
        assert_eq!(&call.calldata[..4], &[0x91, 0xd1, 0x48, 0x54]);
        assert_eq!(call.calldata.len(), 4 + 64);
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(call.returns, one);
        assert!(view_call_of(&call).is_some());
    }

    #[test]
    fn slots_are_named_or_hex_and_values_addresses_or_words() {
        assert_eq!(slot("eip1967.admin", "s").ok(), Some(named_slots::EIP1967_ADMIN));
        assert_eq!(slot("0x0", "s").ok(), Some(B256::ZERO));
        assert!(slot("eip1967.admins", "s").is_err());
        assert!(slot(&format!("0x{}", "1".repeat(65)), "s").is_err());
        // A wrong EIP-55 checksum is refused, as everywhere.
        assert!(value("0xa792c9608476E0B0bA79a3AEaa9403Cc8F9AFB6A", "v").is_err());
        assert!(value("0x01", "v").is_err(), "a short value is ambiguous: address or word?");
        assert_eq!(value(&format!("0x{}", "00".repeat(31) + "01"), "v").ok().map(|w| w[31]), Some(1));
    }
}
