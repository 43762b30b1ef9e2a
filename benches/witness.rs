//! The simulation gate's compute on the bundled witness a real anvil made (`examples/gate`: a
//! Timelock execute of a ProxyAdmin upgrade): proof verification next to keccak256 of every proof
//! node's bytes (the floor: a verifier must at least hash each node once), and verification plus
//! the revm replay and the gate's reads. Report ratios to the floor, and per proven item.
//!
//!     cargo bench --bench witness
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use alloy_primitives::{B256, keccak256};
use bounded_signer_simulator::observe::observe;
use bounded_signer_simulator::proof::verify;
use bounded_signer_simulator::witness::Witness;
use criterion::{Criterion, criterion_group, criterion_main};
use firmware_policy::{DecodedTx, LoadedManifest};

const WITNESS: &[u8] = include_bytes!("../examples/gate/execute.witness");
const BLOCK: &str = include_str!("../examples/gate/execute.witness.json");
const RELEASE: &str = include_str!("../examples/gate/release.toml");
const PROPOSAL: &str = include_str!("../examples/gate/proposal-execute.json");

fn block_hash() -> B256 {
    let doc: serde_json::Value = serde_json::from_str(BLOCK).unwrap();
    doc["block"]["hash"].as_str().unwrap().parse().unwrap()
}

fn bench_witness(c: &mut Criterion) {
    let witness = Witness::from_bytes(WITNESS).unwrap();
    let hash = block_hash();
    let nodes: Vec<&[u8]> = witness
        .accounts
        .iter()
        .flat_map(|a| a.proof.iter().chain(a.storage.iter().flat_map(|s| s.proof.iter())))
        .map(Vec::as_slice)
        .collect();
    let items = witness.accounts.len() + witness.accounts.iter().map(|a| a.storage.len()).sum::<usize>();
    let bytes: usize = nodes.iter().map(|n| n.len()).sum();
    eprintln!(
        "witness: {} accounts, {items} proven items, {} proof nodes, {bytes} proof bytes, {} codes",
        witness.accounts.len(),
        nodes.len(),
        witness.codes.len()
    );
    let manifest =
        LoadedManifest::from_manifest(bounded_signer::authoring::parse_release(RELEASE).unwrap()).unwrap();
    let payload = bounded_signer::request::payload_from_json(PROPOSAL).unwrap().payload;
    let tx = DecodedTx::decode(&payload).unwrap();
    let m = manifest.manifest();

    let mut group = c.benchmark_group("witness");
    group.bench_function("keccak_floor", |b| {
        b.iter(|| {
            for n in &nodes {
                black_box(keccak256(black_box(n)));
            }
        })
    });
    group.bench_function("verify", |b| b.iter(|| verify(black_box(&witness), hash).unwrap()));
    group.bench_function("verify_replay_gate", |b| {
        b.iter(|| {
            let state = verify(black_box(&witness), hash).unwrap();
            observe(&state, m, 0, &tx, m.executor).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_witness);
criterion_main!(benches);
