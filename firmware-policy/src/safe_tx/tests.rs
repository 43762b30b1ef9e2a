use alloy_primitives::{address, b256, keccak256};

use super::*;

/// The type hashes the Safe contracts hard-code (SAFE_TX_TYPEHASH, DOMAIN_SEPARATOR_TYPEHASH
/// in GnosisSafe 0.1.0 and 1.x): alloy's type strings hash to the same constants.
#[test]
fn type_hashes_are_the_contracts_constants() {
    assert_eq!(
        keccak256(safe_tx_type(SafeVersion::V0_1_0)),
        b256!("14d461bc7412367e924637b363c7bf29b8f47e2f84869f4426e5633d8af47b20")
    );
    for v in &SafeVersion::ALL[1..] {
        assert_eq!(
            keccak256(safe_tx_type(*v)),
            b256!("bb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8"),
            "{v:?}"
        );
    }
    let safe = address!("0x1111111111111111111111111111111111111111");
    let without = Eip712Domain::new(None, None, None, Some(safe), None);
    assert_eq!(
        keccak256(without.encode_type()),
        b256!("035aff83d86937d35b32e04f0ddc6ff469290eef2f1b692d8a815c89404d4749")
    );
    let with = SafeDomain { safe, chain_id: Some(1), version: SafeVersion::V1_3_0 }.eip712();
    assert_eq!(
        keccak256(with.encode_type()),
        b256!("47e79534a245952e8b16893a336b85a3d9ea9fa8c573f3d803afb92a79469218")
    );
}

#[test]
fn versions_parse_with_and_without_l2() {
    assert_eq!(SafeVersion::parse("1.4.1"), Some((SafeVersion::V1_4_1, false)));
    assert_eq!(SafeVersion::parse("1.3.0+L2"), Some((SafeVersion::V1_3_0, true)));
    for bad in ["1.4", "v1.4.1", "1.4.1+l2", "1.6.0", "", "+L2"] {
        assert_eq!(SafeVersion::parse(bad), None, "{bad}");
    }
    for v in SafeVersion::ALL {
        assert_eq!(SafeVersion::parse(v.as_str()), Some((v, false)));
        assert_eq!(v.domain_has_chain_id(), v >= SafeVersion::V1_3_0);
    }
}

/// Without a chain id in the domain, the hash is the same on every chain; with one, it differs.
#[test]
fn only_chain_bound_versions_hash_the_chain() {
    let tx = SafeTxFields {
        to: address!("0x2222222222222222222222222222222222222222"),
        value: U256::ZERO,
        data: Bytes::from_static(&[0xde, 0xad]),
        operation: 0,
        safe_tx_gas: U256::ZERO,
        base_gas: U256::ZERO,
        gas_price: U256::ZERO,
        gas_token: Address::ZERO,
        refund_receiver: Address::ZERO,
        nonce: U256::from(3),
    };
    let safe = address!("0x1111111111111111111111111111111111111111");
    for version in SafeVersion::ALL {
        let on = |chain_id| SafeDomain { safe, chain_id, version }.hashes(&tx);
        let (a, b) = (on(Some(1)), on(Some(11155111)));
        assert_eq!(a.message_hash, b.message_hash);
        assert_eq!(a.safe_tx_hash == b.safe_tx_hash, !version.domain_has_chain_id(), "{version:?}");
    }
}

/// alloy's own struct hashing of the `sol!` SafeTx of each version.
fn alloy_struct_hash(version: SafeVersion, tx: &SafeTxFields) -> B256 {
    if version == SafeVersion::V0_1_0 {
        v0_1_0::SafeTx {
            to: tx.to,
            value: tx.value,
            data: tx.data.clone(),
            operation: tx.operation,
            safeTxGas: tx.safe_tx_gas,
            dataGas: tx.base_gas,
            gasPrice: tx.gas_price,
            gasToken: tx.gas_token,
            refundReceiver: tx.refund_receiver,
            nonce: tx.nonce,
        }
        .eip712_hash_struct()
    } else {
        SafeTx {
            to: tx.to,
            value: tx.value,
            data: tx.data.clone(),
            operation: tx.operation,
            safeTxGas: tx.safe_tx_gas,
            baseGas: tx.base_gas,
            gasPrice: tx.gas_price,
            gasToken: tx.gas_token,
            refundReceiver: tx.refund_receiver,
            nonce: tx.nonce,
        }
        .eip712_hash_struct()
    }
}

proptest::proptest! {
    /// The message hash, computed without copying the calldata, is alloy's `SolStruct` hash.
    #[test]
    fn the_message_hash_is_alloys_struct_hash(
        version in 0usize..8,
        to in proptest::prelude::any::<[u8; 20]>(),
        words in proptest::prelude::any::<[[u8; 32]; 5]>(),
        operation in proptest::prelude::any::<u8>(),
        data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        refund in proptest::prelude::any::<([u8; 20], [u8; 20])>(),
    ) {
        let version = SafeVersion::ALL[version];
        let tx = SafeTxFields {
            to: Address::from(to),
            value: U256::from_be_bytes(words[0]),
            data: data.into(),
            operation,
            safe_tx_gas: U256::from_be_bytes(words[1]),
            base_gas: U256::from_be_bytes(words[2]),
            gas_price: U256::from_be_bytes(words[3]),
            gas_token: Address::from(refund.0),
            refund_receiver: Address::from(refund.1),
            nonce: U256::from_be_bytes(words[4]),
        };
        proptest::prop_assert_eq!(message_hash(version, &tx), alloy_struct_hash(version, &tx));
    }
}
