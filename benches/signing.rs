//! Per signature: the SIGN exchange's APDUs and bytes (against the protocol minimum
//! ceil((path + payload) / 255)), the probes (configuration, address) counted apart, and the
//! host-side time (the client's chunking, framing, parsing, v rebuilding and ecrecover) with the
//! time spent inside the transport (the socket and the emulator's own work) subtracted.
//!
//!     cargo bench --bench signing
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use alloy_primitives::keccak256;
use bounded_signer::device::speculos::SpeculosTransport;
use bounded_signer::device::transport::{Exchange, TransportError};
use bounded_signer::device::{DerivationPath, EthApp};
use bounded_signer::emulator::{Emulator, EmulatorConfig};
use firmware_policy::{DecodedTx, LoadedManifest, Proposal, check};

/// Times every exchange, so transport and device time can be taken out of the total.
struct Timed<T> {
    inner: T,
    spent: Duration,
}

impl<T: Exchange> Exchange for Timed<T> {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let start = Instant::now();
        let r = self.inner.exchange(apdu);
        self.spent += start.elapsed();
        r
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        // `cargo test --all-targets` runs benches as tests: a quick smoke of the same path.
        run(3);
        return;
    }
    run(200);
}

fn run(rounds: usize) {
    let emulator = Emulator::start(EmulatorConfig::rehearsal()).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let now = 1_795_262_400;
    let toml = std::fs::read_to_string(root.join("examples/box-v2-upgrade.toml")).unwrap();
    let manifest =
        LoadedManifest::from_manifest(bounded_signer::authoring::parse_release(&toml).unwrap()).unwrap();
    let text = std::fs::read_to_string(root.join("examples/proposal-schedule.json")).unwrap();
    let built = bounded_signer::request::payload_from_json(&text).unwrap();
    let proposal = Proposal::new(DecodedTx::decode(&built.payload).unwrap()).unwrap();
    let verdict = check(&manifest, manifest.hash(), &proposal, now);
    let executor = manifest.manifest().executor;
    let (_, bound) = verdict.bind(executor);
    let bound = bound.expect("approved and bound");
    let approval = bound.approval();
    let payload = approval.transaction().expect("a transaction").payload();
    let path = DerivationPath::default_account();
    let transport = SpeculosTransport::connect(&emulator.apdu.to_string()).unwrap();
    let mut app = EthApp::new(Timed { inner: transport, spent: Duration::ZERO });

    app.reset_stats();
    app.preflight(true).unwrap();
    app.address(&path, false).unwrap();
    let probes = app.stats();
    app.reset_stats();
    app.sign(&path, &bound).unwrap();
    let sign = app.stats();
    let minimum = (path.to_apdu_bytes().len() + payload.len()).div_ceil(255);

    let (mut host, mut total, mut floor, mut recover) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let spent_before = app_spent(&app);
        let start = Instant::now();
        let sig = app.sign(&path, &bound).unwrap();
        let signed = start.elapsed();
        sig.recover_address_from_prehash(&approval.signing_hash()).unwrap();
        let elapsed = start.elapsed();
        recover.push(elapsed - signed);
        let in_transport = app_spent(&app) - spent_before;
        total.push(elapsed);
        host.push(elapsed.saturating_sub(in_transport));
        let start = Instant::now();
        std::hint::black_box(keccak256(std::hint::black_box(payload)));
        floor.push(start.elapsed());
    }
    let (host, total, floor, recover) = (median(host), median(total), median(floor), median(recover));
    println!("payload {} bytes, path {} bytes", payload.len(), path.to_apdu_bytes().len());
    println!(
        "SIGN exchange: {} APDUs (protocol minimum {minimum}), {} bytes out, {} bytes in",
        sign.apdus, sign.bytes_out, sign.bytes_in
    );
    println!(
        "probes: {} APDUs (GET_APP_CONFIGURATION, GET_ETH_PUBLIC_ADDRESS), {} bytes out, {} bytes in",
        probes.apdus, probes.bytes_out, probes.bytes_in
    );
    println!(
        "per signature over {rounds} rounds (median): total {:?}, host side {:?} ({:.1}x keccak256 of the payload, {:?})",
        total,
        host,
        host.as_secs_f64() / floor.as_secs_f64().max(1e-9),
        floor
    );
    println!(
        "  of which ecrecover of the returned signature {:?}; the client's APDU work {:?} ({:.1}x keccak256)",
        recover,
        host.saturating_sub(recover),
        host.saturating_sub(recover).as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
    assert_eq!(sign.apdus, minimum, "the SIGN exchange uses the protocol minimum of APDUs");
}

fn app_spent(app: &EthApp<Timed<SpeculosTransport>>) -> Duration {
    app.transport().spent
}
