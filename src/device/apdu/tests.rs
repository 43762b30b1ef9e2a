use alloy_primitives::hex;

use super::*;
use crate::device::path::DerivationPath;

fn path() -> Vec<u8> {
    DerivationPath::default_account().to_apdu_bytes()
}

#[test]
fn get_address_and_configuration_bytes_match_the_fact_sheet() {
    // §3.11 and §3.2.
    let cmd = Command::eth(Ins::GetPublicKey, P1_NO_DISPLAY, P2_NO_CHAIN_CODE, path());
    assert_eq!(cmd.to_bytes(), hex!("e002000015058000002c8000003c800000000000000000000000"));
    let cmd = Command::eth(Ins::GetAppConfiguration, 0, 0, vec![]);
    assert_eq!(cmd.to_bytes(), hex!("e006000000"), "Lc 00 is always sent, no Le");
}

#[test]
fn eip1559_transfer_is_one_chunk_like_the_fact_sheet() {
    let payload = hex!(
        "02ef0180843b9aca008504a817c80082520894000000000000000000000000000000000000dead872386f26fc1000080c0"
    );
    let chunks = sign_chunks(&path(), &payload, MAX_DATA);
    assert_eq!(chunks.len(), 1);
    assert_eq!(
        chunks[0].to_bytes(),
        hex!(
            "e004000046058000002c8000003c800000000000000000000000 02ef0180843b9aca008504a817c80082520894000000000000000000000000000000000000dead872386f26fc1000080c0"
        )
    );
}

#[test]
fn chunk_boundaries_at_255_256_510() {
    let p = path();
    for (total, want) in
        [(255usize, vec![255usize]), (256, vec![255, 1]), (510, vec![255, 255]), (511, vec![255, 255, 1])]
    {
        let payload = vec![0xab; total - p.len()];
        let chunks = sign_chunks(&p, &payload, MAX_DATA);
        let sizes: Vec<usize> = chunks.iter().map(|c| c.data.len()).collect();
        assert_eq!(sizes, want, "total {total}");
        assert_eq!(chunks[0].p1, P1_FIRST_CHUNK);
        assert!(chunks[1..].iter().all(|c| c.p1 == P1_MORE_CHUNKS));
        assert!(chunks.iter().all(|c| c.p2 == 0 && c.cla == 0xe0 && c.ins == 0x04));
        // Lc equals the data length in every frame.
        assert!(chunks.iter().all(|c| c.to_bytes()[4] as usize == c.data.len()));
        // The protocol minimum.
        assert_eq!(chunks.len(), total.div_ceil(255));
    }
}

#[test]
fn legacy_safe_chunk_size_avoids_a_tail_only_last_chunk() {
    // Chain 1: tail 01 80 80 (3 bytes). A 258-byte path‖tx would end in exactly the tail with 255.
    assert_eq!(eip155_tail_len(1), 3);
    assert_eq!(eip155_tail_len(137), 4);
    assert_eq!(eip155_tail_len(11_155_111), 6);
    let cs = legacy_safe_chunk_size(258, 3);
    assert!(258 % cs == 0 || 258 % cs > 3);
    assert_eq!(cs, 254);
    // Polygon: 259 bytes ends with a 4-byte tail at 255; alloy's `!= 3` rule misses this case.
    let cs = legacy_safe_chunk_size(259, 4);
    assert!(259 % cs > 4 || 259 % cs == 0);
    assert_eq!(legacy_safe_chunk_size(300, 3), 255);
}

#[test]
fn v_bytes_match_the_device_table() {
    // §3.4.4: (chain id, byte for parity 0, byte for parity 1, full v for parity 0).
    for (chain, b0, b1, v0) in [
        (1u64, 0x25u8, 0x26u8, 37u64),
        (10, 0x37, 0x38, 55),
        (110, 0xff, 0x00, 255),
        (111, 0x01, 0x02, 257),
        (137, 0x35, 0x36, 309),
        (250, 0x17, 0x18, 535),
        (8453, 0x2d, 0x2e, 16941),
        (11_155_111, 0x71, 0x72, 22_310_257),
    ] {
        let rule = VRule::Eip155 { chain_id: chain };
        assert_eq!(parity_from_v(b0, rule), Some(false), "chain {chain}");
        assert_eq!(parity_from_v(b1, rule), Some(true), "chain {chain}");
        assert_eq!(eip155_v(chain, false), U256::from(v0));
        assert_eq!(eip155_v(chain, true), U256::from(v0 + 1));
        // Anything else is impossible for this chain.
        assert_eq!(parity_from_v(b1.wrapping_add(1), rule), None);
    }
    // Chain ids above 2^32 and 2^53: the app keeps the top four bytes.
    let big = (1u64 << 32) + 1; // RLP 01 00 00 00 01: top four bytes 0x01000000
    assert_eq!(eip155_v_base_byte(big), (0x0100_0000u32.wrapping_mul(2).wrapping_add(35) & 0xff) as u8);
    let huge = (1u64 << 53) + 7;
    assert_eq!(parity_from_v(eip155_v_base_byte(huge), VRule::Eip155 { chain_id: huge }), Some(false));
    assert_eq!(parity_from_v(0, VRule::Typed), Some(false));
    assert_eq!(parity_from_v(1, VRule::Typed), Some(true));
    assert_eq!(parity_from_v(27, VRule::Typed), None);
    assert_eq!(parity_from_v(28, VRule::Legacy27), Some(true));
}

#[test]
fn answers_split_data_and_status() {
    let a = Answer::parse(&hex!("0201160090 00")).unwrap();
    assert_eq!(a.data, hex!("02011600"));
    assert_eq!(a.sw, SW_OK);
    assert_eq!(a.to_bytes(), hex!("020116009000"));
    assert_eq!(Answer::parse(&[0x90]), None);
    assert_eq!(Answer::parse(&hex!("6985")).unwrap().sw, 0x6985);
}

#[test]
fn personal_message_first_chunk_matches_the_fact_sheet() {
    let chunks = personal_message_chunks(&path(), b"hello");
    assert_eq!(chunks.len(), 1);
    assert_eq!(
        chunks[0].to_bytes(),
        hex!("e00800001e058000002c8000003c8000000000000000000000000000000568656c6c6f")
    );
}
