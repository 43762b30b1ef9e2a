use super::*;

const SAFE: &str = "0x5aFE3855358E112B5647B952709E6165e1c1eEEe";

fn service(extra: &str) -> String {
    format!(
        r#"{{"safe": "{SAFE}", "to": "0x000000000000000000000000000000000000dEaD", "value": "1",
        "data": null, "operation": 0, "safeTxGas": "0", "baseGas": "0", "gasPrice": "0",
        "gasToken": "0x0000000000000000000000000000000000000000",
        "refundReceiver": "0x0000000000000000000000000000000000000000", "nonce": 5,
        "dataDecoded": {{"method": "transfer"}}{extra}}}"#
    )
}

fn flags(version: &str, chain: Option<u64>) -> Flags {
    Flags { version: SafeVersion::parse(version), chain_id: chain, ..Flags::default() }
}

#[test]
fn the_service_object_needs_the_version_and_chain_from_the_flags() {
    let err = parse(&service(""), &Flags::default()).unwrap_err();
    assert!(err.contains("--safe-version"), "{err}");
    let err = parse(&service(""), &flags("1.4.1", None)).unwrap_err();
    assert!(err.contains("--chain-id"), "{err}");
    let input = parse(&service(""), &flags("1.4.1", Some(1))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(input.form, Form::Service);
    assert!(input.tx.data.is_empty(), "null data is 0x");
    assert_eq!(input.tx.nonce, U256::from(5));
    // A version without chain id in its domain needs no chain.
    assert!(parse(&service(""), &flags("1.2.0", None)).is_ok());
}

#[test]
fn a_flag_that_disagrees_with_the_input_is_an_error() {
    let f = Flags { nonce: Some(U256::from(6)), ..flags("1.4.1", Some(1)) };
    let err = parse(&service(""), &f).unwrap_err();
    assert_eq!(err, "--nonce 6 disagrees with the input's nonce 5");
    let f = Flags { safe: Some(Address::repeat_byte(1)), ..flags("1.4.1", Some(1)) };
    assert!(parse(&service(""), &f).unwrap_err().starts_with("--safe 0x0101"));
    // The same value is no disagreement.
    let f = Flags { nonce: Some(U256::from(5)), ..flags("1.4.1", Some(1)) };
    assert!(parse(&service(""), &f).is_ok());
}

#[test]
fn the_plain_object_refuses_keys_that_are_not_hashed() {
    let plain = format!(
        r#"{{"safe": "{SAFE}", "chainId": 1, "safeVersion": "1.4.1+L2", "to": "{SAFE}", "value": 0,
        "data": "0x", "operation": 1, "nonce": "0x2"}}"#
    );
    let input = parse(&plain, &Flags::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(input.l2);
    assert_eq!(input.tx.operation, 1);
    assert_eq!(input.tx.gas_token, Address::ZERO, "refund fields default to zero");
    let with_extra = plain.replace(r#""nonce""#, r#""note": "upgrade", "nonce""#);
    assert!(parse(&with_extra, &Flags::default()).unwrap_err().starts_with("note: not a key"));
    let bad_op = plain.replace(r#""operation": 1"#, r#""operation": 2"#);
    assert!(parse(&bad_op, &Flags::default()).unwrap_err().contains("neither 0 (call) nor 1"));
}

#[test]
fn typed_data_must_be_exactly_a_versions_types() {
    let typed = |domain_types: &str, domain: &str, gas: &str| {
        format!(
            r#"{{"types": {{"EIP712Domain": [{domain_types}], "SafeTx": [
            {{"name": "to", "type": "address"}}, {{"name": "value", "type": "uint256"}},
            {{"name": "data", "type": "bytes"}}, {{"name": "operation", "type": "uint8"}},
            {{"name": "safeTxGas", "type": "uint256"}}, {{"name": "{gas}", "type": "uint256"}},
            {{"name": "gasPrice", "type": "uint256"}}, {{"name": "gasToken", "type": "address"}},
            {{"name": "refundReceiver", "type": "address"}}, {{"name": "nonce", "type": "uint256"}}]}},
            "primaryType": "SafeTx", "domain": {domain},
            "message": {{"to": "{SAFE}", "value": "0", "data": "0x", "operation": 0, "safeTxGas": 0,
            "{gas}": 0, "gasPrice": 0, "gasToken": "0x0000000000000000000000000000000000000000",
            "refundReceiver": "0x0000000000000000000000000000000000000000", "nonce": 0}}}}"#
        )
    };
    let chain_types =
        r#"{"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}"#;
    let with_chain =
        typed(chain_types, &format!(r#"{{"chainId": 1, "verifyingContract": "{SAFE}"}}"#), "baseGas");
    let input = parse(&with_chain, &flags("1.3.0", None)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(input.domain.chain_id, Some(1));
    let err = parse(&with_chain, &flags("1.2.0", None)).unwrap_err();
    assert_eq!(err, "the typed data's types are those of Safe 1.3.0, 1.4.1, 1.5.0, not of 1.2.0");
    assert!(parse(&with_chain, &flags("1.4.1", Some(5))).unwrap_err().contains("disagrees"));
    let old = typed(
        r#"{"name": "verifyingContract", "type": "address"}"#,
        &format!(r#"{{"verifyingContract": "{SAFE}"}}"#),
        "dataGas",
    );
    assert!(parse(&old, &flags("0.1.0", None)).is_ok());
    assert!(parse(&old, &flags("1.0.0", None)).unwrap_err().contains("those of Safe 0.1.0"));
    let renamed = with_chain.replace(r#""name": "gasPrice""#, r#""name": "gasprice""#);
    assert_eq!(
        parse(&renamed, &flags("1.3.0", None)).unwrap_err(),
        "types.SafeTx: not the SafeTx type of any Safe version"
    );
    let extra = with_chain.replace(r#""nonce": 0}"#, r#""nonce": 0, "dataGas": 0}"#);
    assert!(
        parse(&extra, &flags("1.3.0", None)).unwrap_err().starts_with("message.dataGas: not a SafeTx field")
    );
}

#[test]
fn repeated_keys_and_non_objects_are_refused() {
    assert!(
        parse(&service(r#", "nonce": 6"#), &flags("1.4.1", Some(1))).unwrap_err().contains("malformed JSON")
    );
    assert!(parse("[1]", &Flags::default()).is_err());
    assert!(parse(r#"{"hello": 1}"#, &Flags::default()).unwrap_err().starts_with("not a Safe transaction"));
}
