//! Whatever JSON a Safe transaction arrives as, reading it never panics, work stays linear, and
//! a Safe transaction that is read hashes, and reads back the same from the plain form.
#![no_main]

use bounded_signer::safe_input::{Flags, parse};
use firmware_policy::safe_tx::SafeVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    // The flags a signer may add, chosen by the first byte.
    let version = SafeVersion::ALL[usize::from(selector % 8)];
    let flags = Flags {
        version: (selector & 0x08 != 0).then_some((version, false)),
        chain_id: (selector & 0x10 != 0).then_some(11155111),
        nonce: (selector & 0x20 != 0).then_some(alloy_primitives::U256::from(9)),
        ..Flags::default()
    };
    if let Ok(input) = parse(text, &flags) {
        let hashes = input.domain.hashes(&input.tx);
        let plain = serde_json::json!({
            "safe": input.domain.safe.to_string(),
            "chainId": input.domain.chain_id,
            "safeVersion": input.domain.version.as_str(),
            "to": input.tx.to.to_string(),
            "value": input.tx.value.to_string(),
            "data": format!("0x{}", alloy_primitives::hex::encode(&input.tx.data)),
            "operation": input.tx.operation,
            "safeTxGas": input.tx.safe_tx_gas.to_string(),
            "baseGas": input.tx.base_gas.to_string(),
            "gasPrice": input.tx.gas_price.to_string(),
            "gasToken": input.tx.gas_token.to_string(),
            "refundReceiver": input.tx.refund_receiver.to_string(),
            "nonce": input.tx.nonce.to_string(),
        });
        let again = parse(&plain.to_string(), &Flags::default()).expect("the plain form of what was read");
        assert_eq!(again.domain.hashes(&again.tx), hashes);
    }
});
