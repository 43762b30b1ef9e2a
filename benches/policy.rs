//! decode + check with the manifest loaded, and manifest load, each next to keccak256 of the same
//! bytes (the floor: any check must at least read its input once). Report ratios to the floor.
//!
//!     cargo bench --bench policy
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::{SolCall, sol};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use firmware_policy::{Action, ActionKind, DecodedTx, LoadedManifest, Manifest, Proposal, Rollback, check};

sol! {
    function upgradeTo(address newImplementation);
    function upgradeAndCall(address proxy, address implementation, bytes data);
    function transferOwnership(address newOwner);
    function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay);
    function scheduleBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt, uint256 delay);
    function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures);
}

const SAFE: Address = Address::repeat_byte(0x5a);
const TIMELOCK: Address = Address::repeat_byte(0x71);
const ADMIN: Address = Address::repeat_byte(0xad);
const PROXY: Address = Address::repeat_byte(0xa1);
const IMPL: Address = Address::repeat_byte(0xb2);

fn safe_timelock_proxyadmin() -> Vec<u8> {
    let upgrade =
        upgradeAndCallCall { proxy: PROXY, implementation: IMPL, data: vec![0x5b, 0x4e, 0x12, 0x8c].into() }
            .abi_encode();
    let schedule = scheduleCall {
        target: ADMIN,
        value: U256::ZERO,
        data: upgrade.into(),
        predecessor: B256::ZERO,
        salt: B256::with_last_byte(1),
        delay: U256::from(172_800),
    }
    .abi_encode();
    execTransactionCall {
        to: TIMELOCK,
        value: U256::ZERO,
        data: schedule.into(),
        operation: 0,
        safeTxGas: U256::ZERO,
        baseGas: U256::ZERO,
        gasPrice: U256::ZERO,
        gasToken: Address::ZERO,
        refundReceiver: Address::ZERO,
        signatures: vec![1u8; 65].into(),
    }
    .abi_encode()
}

/// A scheduleBatch of `n` proxies each upgraded to its own implementation.
fn schedule_batch(n: usize) -> (Vec<u8>, Vec<Address>) {
    let proxies: Vec<Address> = (0..n).map(|i| address_of(1, i)).collect();
    let impls: Vec<Address> = (0..n).map(|i| address_of(2, i)).collect();
    let payloads: Vec<Bytes> =
        impls.iter().map(|i| upgradeToCall { newImplementation: *i }.abi_encode().into()).collect();
    let data = scheduleBatchCall {
        targets: proxies.clone(),
        values: vec![U256::ZERO; n],
        payloads,
        predecessor: B256::ZERO,
        salt: B256::ZERO,
        delay: U256::from(3600),
    }
    .abi_encode();
    let mut targets = proxies;
    targets.extend(impls);
    (data, targets)
}

fn address_of(kind: u8, i: usize) -> Address {
    let mut a = [0u8; 20];
    a[0] = kind;
    a[12..20].copy_from_slice(&(i as u64).to_be_bytes());
    Address::from(a)
}

fn action(name: String, to: Address, data: Vec<u8>) -> Action {
    Action {
        name,
        kind: ActionKind::Call,
        to,
        value: U256::ZERO,
        data,
        nonce: None,
        gas_limit_max: Some(30_000_000),
        max_fee_per_gas_max: Some(100_000_000_000),
        max_priority_fee_per_gas_max: Some(3_000_000_000),
        authorizations: vec![],
        replaceable: false,
        abi: vec![],
        approved_hashes: vec![],
        safe_tx: None,
        expect: Default::default(),
        layout: None,
    }
}

fn manifest(actions: Vec<Action>, mut targets: Vec<Address>) -> LoadedManifest {
    targets.extend([SAFE, TIMELOCK, ADMIN, PROXY, IMPL]);
    LoadedManifest::from_manifest(Manifest {
        release: "bench".into(),
        chain_id: 1,
        executor: Address::repeat_byte(0xee),
        not_before: 0,
        expires_at: u64::MAX,
        allowed_targets: targets,
        labels: vec![],
        rollback: Rollback { manifest_hash: B256::repeat_byte(0x11), note: String::new() },
        actions,
        safes: vec![],
        max_state_age: firmware_policy::manifest::effects::DEFAULT_MAX_STATE_AGE,
        code: Vec::new(),
        authority: Vec::new(),
    })
    .expect("valid")
}

fn payload(to: Address, data: Vec<u8>) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: 1,
        nonce: 1,
        gas_limit: 1_000_000,
        max_fee_per_gas: 30_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input: data.into(),
    };
    let mut out = Vec::new();
    tx.encode_for_signing(&mut out);
    out
}

fn decode_and_check(m: &LoadedManifest, bytes: &[u8]) -> bool {
    let tx = DecodedTx::decode(bytes).expect("decodes");
    let proposal = Proposal::new(tx).expect("tree");
    check(m, m.hash(), &proposal, 1).approved()
}

fn bench_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_check");
    let data = safe_timelock_proxyadmin();
    let m = manifest(vec![action("safe".into(), SAFE, data.clone())], vec![]);
    let bytes = payload(SAFE, data);
    assert!(decode_and_check(&m, &bytes));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("safe_timelock_proxyadmin", |b| b.iter(|| decode_and_check(&m, black_box(&bytes))));
    group
        .bench_function("safe_timelock_proxyadmin/keccak_floor", |b| b.iter(|| keccak256(black_box(&bytes))));
    for n in [10usize, 100, 1000] {
        let (data, targets) = schedule_batch(n);
        let m = manifest(vec![action("batch".into(), TIMELOCK, data.clone())], targets);
        let bytes = payload(TIMELOCK, data);
        assert!(decode_and_check(&m, &bytes));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("schedule_batch", n), &bytes, |b, bytes| {
            b.iter(|| decode_and_check(&m, black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("schedule_batch/keccak_floor", n), &bytes, |b, bytes| {
            b.iter(|| keccak256(black_box(bytes)))
        });
    }
    group.finish();
}

fn bench_manifest_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("manifest_load");
    let dir = std::env::temp_dir().join(format!("bounded-signer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for n in [10usize, 4096] {
        let actions = (0..n)
            .map(|i| {
                action(
                    format!("a{i}"),
                    PROXY,
                    transferOwnershipCall { newOwner: address_of(3, i) }.abi_encode(),
                )
            })
            .collect();
        let loaded = manifest(actions, vec![]);
        let path = dir.join(format!("m{n}.cbor"));
        std::fs::write(&path, loaded.bytes()).unwrap();
        let bytes = loaded.bytes().to_vec();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("read_canonical_hash", n), &path, |b, path| {
            b.iter(|| {
                let bytes = std::fs::read(black_box(path)).unwrap();
                LoadedManifest::from_canonical_bytes(&bytes).unwrap().hash()
            })
        });
        group.bench_with_input(BenchmarkId::new("keccak_floor", n), &bytes, |b, bytes| {
            b.iter(|| keccak256(black_box(bytes)))
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    group.finish();
}

criterion_group!(benches, bench_check, bench_manifest_load);
criterion_main!(benches);
