//! How many copies of manifest and proposal bytes are freed without being wiped, measured with an
//! instrumented allocator that scans every freed heap block for a canary.
//!
//! The canary is a 32-byte Timelock salt inside the approved calldata, so it lives in the manifest
//! file, the decoded policy, the transaction payload and every wrapper's decoded arguments. A
//! freed block that still holds it (raw, or as hex text) is a copy someone forgot to wipe.
//!
//! This file holds one test: the counters are process-wide.

// The measuring allocator must implement the unsafe `GlobalAlloc` trait; it only forwards to the
// system allocator and reads the block it is about to free. No product code allows unsafe.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bounded_signer::commands::safe_sign::{self, SafeSignOutcome};
use bounded_signer::commands::sign::{SignOutcome, SignRequest, sign_with};
use bounded_signer::device::{DerivationPath, DeviceSpec};
use bounded_signer::emulator::{Emulator, EmulatorConfig};
use bounded_signer::input::read_tx;
use bounded_signer::manifest_file::load;
use firmware_policy::{Proposal, check};

/// `keccak256("bounded-signer zeroize canary")`-like: any 32 bytes that occur nowhere else.
const CANARY: [u8; 32] = *b"ZEROIZE-CANARY-bounded-signer-01";

struct Measuring;
thread_local!(static IN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });

static ARMED: AtomicBool = AtomicBool::new(false);
static RAW_COPIES: AtomicUsize = AtomicUsize::new(0);
static HEX_COPIES: AtomicUsize = AtomicUsize::new(0);

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w == needle)
}

const CANARY_HEX: &[u8; 64] = b"5a45524f495a452d43414e4152592d626f756e6465642d7369676e65722d3031";

unsafe impl GlobalAlloc for Measuring {
    /// Every block starts zeroed, so a block counts only for what was written into it while it
    /// lived: without this, a block the code frees can hold stale bytes of an earlier block it
    /// reuses (the test's own request text, freed before arming), and be counted for them.
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes that we are about to free.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if contains(block, &CANARY) {
                RAW_COPIES.fetch_add(1, Ordering::Relaxed);
                if std::env::var_os("ZR_TRACE").is_some() && !IN.with(|c| c.replace(true)) {
                    ARMED.store(false, Ordering::SeqCst);
                    eprintln!(
                        "=== copy of {} bytes\n{}",
                        layout.size(),
                        std::backtrace::Backtrace::force_capture()
                    );
                    ARMED.store(true, Ordering::SeqCst);
                    IN.with(|c| c.set(false));
                }
            }
            if contains(block, CANARY_HEX) {
                HEX_COPIES.fetch_add(1, Ordering::Relaxed);
                if std::env::var_os("ZR_TRACE").is_some() && !IN.with(|c| c.replace(true)) {
                    ARMED.store(false, Ordering::SeqCst);
                    eprintln!(
                        "=== hex copy of {} bytes\n{}",
                        layout.size(),
                        std::backtrace::Backtrace::force_capture()
                    );
                    ARMED.store(true, Ordering::SeqCst);
                    IN.with(|c| c.set(false));
                }
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Measuring = Measuring;

/// The release: a Timelock schedule whose salt is the canary.
fn release_toml(data_hex: &str) -> String {
    let example = std::fs::read_to_string(common::root().join("examples/box-v2-upgrade.toml")).unwrap();
    let start = example.find("data = \"0x01d5062a").unwrap();
    let end = start + example[start..].find('\n').unwrap();
    example.replace(&example[start..end], &format!("data = \"{data_hex}\""))
}

#[test]
fn residue_after_load_decode_check() {
    assert_eq!(alloy_primitives::hex::encode(CANARY).as_bytes(), CANARY_HEX);
    let dir = tempfile::tempdir().unwrap();
    // The schedule calldata of the example with its salt replaced by the canary.
    let proposal: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("examples/proposal-schedule.json")).unwrap(),
    )
    .unwrap();
    let data = proposal["data"].as_str().unwrap().to_string();
    let salt = "b220ece0959841c69b5dc1584ced32fcef4c7ff27513311d49492b38e84b2a96";
    assert!(data.contains(salt));
    let data = data.replace(salt, std::str::from_utf8(CANARY_HEX).unwrap());
    let toml = dir.path().join("r.toml");
    std::fs::write(&toml, release_toml(&data)).unwrap();
    let manifest_path = dir.path().join("r.cbor");
    let out =
        common::run(&["manifest", "build", toml.to_str().unwrap(), "-o", manifest_path.to_str().unwrap()]);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    // The proposal as the signing payload in hex (the form `cast mktx`-style tooling hands over).
    let mut request = proposal;
    request["data"] = serde_json::Value::String(data);
    let built = bounded_signer::request::payload_from_json(&request.to_string()).unwrap();
    let tx_path = dir.path().join("tx.hex");
    std::fs::write(&tx_path, alloy_primitives::hex::encode_prefixed(&*built.payload)).unwrap();
    drop(built);

    ARMED.store(true, Ordering::SeqCst);
    {
        let manifest = load(&manifest_path).unwrap();
        let input = read_tx(tx_path.to_str().unwrap()).unwrap();
        let proposal = Proposal::new(input.tx).unwrap();
        let verdict = check(&manifest, manifest.hash(), &proposal, 1_795_262_400);
        assert!(verdict.approved(), "{:?}", verdict.reasons());
        assert!(
            verdict.approval().unwrap().transaction().unwrap().payload().windows(32).any(|w| w == CANARY)
        );
    }
    ARMED.store(false, Ordering::SeqCst);
    let raw = RAW_COPIES.swap(0, Ordering::SeqCst);
    let hex = HEX_COPIES.swap(0, Ordering::SeqCst);
    println!("signing payload as hex: unwiped freed blocks holding the canary: raw {raw}, hex {hex}");
    assert_eq!((raw, hex), (0, 0), "copies of policy bytes were freed without being wiped");

    // The same proposal as a JSON request (eth_signTransaction fields).
    let json_path = dir.path().join("tx.json");
    std::fs::write(&json_path, request.to_string()).unwrap();
    ARMED.store(true, Ordering::SeqCst);
    {
        let manifest = load(&manifest_path).unwrap();
        let input = read_tx(json_path.to_str().unwrap()).unwrap();
        let proposal = Proposal::new(input.tx).unwrap();
        assert!(check(&manifest, manifest.hash(), &proposal, 1_795_262_400).approved());
    }
    ARMED.store(false, Ordering::SeqCst);
    let raw = RAW_COPIES.swap(0, Ordering::SeqCst);
    let hex = HEX_COPIES.swap(0, Ordering::SeqCst);
    println!("JSON request: unwiped freed blocks holding the canary: raw {raw}, hex {hex}");
    assert!(raw == 0 && hex == 0, "JSON request path: raw {raw}, hex {hex}");

    // A whole `sign` against the in-process emulator (which wipes its own copies too), up to the
    // result document; the document is what the tool prints, then wipes.
    let emulator = Emulator::start(EmulatorConfig::rehearsal()).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    ARMED.store(true, Ordering::SeqCst);
    {
        let request = SignRequest {
            manifest: bounded_signer::approvals::Opened::approved_by_hash(load(&manifest_path).unwrap()),
            proposal: Proposal::new(read_tx(tx_path.to_str().unwrap()).unwrap().tx).unwrap(),
            device: DeviceSpec::Speculos(emulator.apdu.to_string()),
            path: DerivationPath::default_account(),
            claimed_from: None,
            names: None,
            claims: Vec::new(),
            witness: None,
        };
        // The story `sign` tells (the CLI writes it through a wiping buffer): room enough that it
        // never reallocates, wiped after.
        let mut say = String::with_capacity(1 << 20);
        let outcome = sign_with(request, DeviceSpec::open, &|| 1_795_262_400, &home, &mut say).unwrap();
        zeroize::Zeroize::zeroize(&mut say);
        match outcome {
            // The document as the tool writes it (--out, or --json through a wiping buffer).
            SignOutcome::Signed(signed) => drop(bounded_signer::render::json::to_text(&signed.document())),
            SignOutcome::Refused { .. } => panic!("refused"),
        }
    }
    ARMED.store(false, Ordering::SeqCst);
    let raw = RAW_COPIES.swap(0, Ordering::SeqCst);
    let hex = HEX_COPIES.swap(0, Ordering::SeqCst);
    println!(
        "sign (client, journal, emulator): unwiped freed blocks holding the canary: raw {raw}, hex {hex}"
    );
    // The goal is 0; these bounds are the counts reached so far and may only go down.
    assert!(raw == 0 && hex == 0, "sign path: raw {raw}, hex {hex}");

    // A whole `safe sign` of a Safe transaction whose upgrade initializer is the canary: the
    // manifest's Safe action, the Safe transaction read from its JSON, its hashes and tree, the
    // owner's signature and the result document.
    let safe_dir = dir.path().join("safe");
    std::fs::create_dir(&safe_dir).unwrap();
    let (safe_manifest, safe_tx) = safe_release_with_canary(&safe_dir);
    let args = bounded_signer::cli::SafeSignArgs {
        source: bounded_signer::cli::ManifestFlags {
            manifest: Some(safe_manifest),
            bundle: None,
            proposal: None,
        },
        proof: bounded_signer::cli::ProofFlags {
            approved_hash: Some(load(&dir.path().join("safe/safe.cbor")).unwrap().hash()),
            trust: None,
            approvals: Vec::new(),
        },
        safe_tx: Some(safe_tx.to_str().unwrap().to_string()),
        flags: bounded_signer::cli::SafeTxFlags {
            chain_id: None,
            safe_version: None,
            safe: None,
            nonce: None,
        },
        eth_sign: false,
        device: DeviceSpec::Speculos(emulator.apdu.to_string()),
        path: DerivationPath::default_account(),
        witness: Default::default(),
    };
    ARMED.store(true, Ordering::SeqCst);
    {
        let safe_sign::Read::Request(request) = safe_sign::read_request(&args).unwrap() else {
            panic!("the manifest is the approved one")
        };
        let mut say = String::with_capacity(1 << 20);
        let outcome =
            safe_sign::sign_with(*request, DeviceSpec::open, &|| 1_795_262_400, &home, &mut say).unwrap();
        zeroize::Zeroize::zeroize(&mut say);
        match outcome {
            SafeSignOutcome::Signed(signed) => {
                drop(bounded_signer::render::json::to_text(&signed.document()))
            }
            SafeSignOutcome::Refused { verdict } => panic!("refused: {}", *verdict),
        }
    }
    ARMED.store(false, Ordering::SeqCst);
    let raw = RAW_COPIES.swap(0, Ordering::SeqCst);
    let hex = HEX_COPIES.swap(0, Ordering::SeqCst);
    println!("safe sign: unwiped freed blocks holding the canary: raw {raw}, hex {hex}");
    assert!(raw == 0 && hex == 0, "safe sign path: raw {raw}, hex {hex}");
}

/// A release whose Safe action upgrades a proxy with the canary as its initializer, and the Safe
/// transaction as a plain JSON object: (manifest path, Safe transaction path).
fn safe_release_with_canary(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let word = |a: &str| format!("{:0>64}", a.trim_start_matches("0x").to_lowercase());
    // upgradeAndCall(proxy, implementation, canary)
    let data = format!(
        "0x9623609d{}{}{}{}{}",
        word("0x78a3FB06880667Fd263A4493FA66e173008c6C68"),
        word("0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"),
        word("60"),
        word("20"),
        std::str::from_utf8(CANARY_HEX).unwrap()
    );
    let safe = "0x5aFE3855358E112B5647B952709E6165e1c1eEEe";
    let admin = "0x9D35a0fd9FA3849d298298e89E5A33f7E5625f1A";
    let toml = format!(
        r#"format = "bounded-signer/manifest/v1"
release = "safe canary"
chain_id = 1
executor = "0x1000000000000000000000000000000000000009"
not_before = 1
expires_at = 4000000000
allowed_targets = ["{safe}", "{admin}", "0x78a3FB06880667Fd263A4493FA66e173008c6C68", "0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"]
[rollback]
manifest_hash = "0x{rollback}"
[[safes]]
address = "{safe}"
version = "1.4.1"
owners = ["0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"]
threshold = 1
[[actions]]
kind = "safe"
name = "upgrade"
safe = "{safe}"
nonce = 3
to = "{admin}"
data = "{data}"
"#,
        rollback = "11".repeat(32),
    );
    let toml_path = dir.join("safe.toml");
    std::fs::write(&toml_path, toml).unwrap();
    let manifest = dir.join("safe.cbor");
    let out =
        common::run(&["manifest", "build", toml_path.to_str().unwrap(), "-o", manifest.to_str().unwrap()]);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    let tx = serde_json::json!({
        "safe": safe, "chainId": 1, "safeVersion": "1.4.1", "to": admin, "value": "0", "data": data,
        "operation": 0, "nonce": 3,
    });
    let tx_path = dir.join("safe-tx.json");
    std::fs::write(&tx_path, tx.to_string()).unwrap();
    (manifest, tx_path)
}
