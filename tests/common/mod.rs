//! Helpers shared by the integration tests: run the built binary, parse its JSON.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};

use assert_cmd::Command;

/// The Speculos test mnemonic's accounts at m/44'/60'/0'/0/0, /1 and /2.
pub(crate) const SPECULOS_0: &str = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";
pub(crate) const SPECULOS_1: &str = "0xd692Cb1346262F584D17B4B470954501f6715a82";
pub(crate) const SPECULOS_2: &str = "0xfeb0594A0561d0DF76EA8b2F52271538e6704f75";

pub(crate) fn bin() -> Command {
    Command::cargo_bin("bounded-signer").expect("binary built")
}

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

/// `check --json` of `request` against `manifest` with its approved hash.
pub(crate) fn check_json(manifest: &Path, hash: &str, request: &str) -> Output {
    run(&["--json", "check", "--manifest", manifest.to_str().unwrap(), "--approved-hash", hash, request])
}

pub(crate) fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[allow(dead_code)]
pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

/// Builds the bundled example manifest into `dir` and returns (path, hash).
pub(crate) fn example_manifest(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("box.manifest.cbor");
    let toml = root().join("examples/box-v2-upgrade.toml");
    let out = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
    (path, hash)
}

pub(crate) fn vectors(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("tests/vectors").join(name)).expect("vector file");
    serde_json::from_str(&text).expect("vector json")
}

/// A running `bounded-signer emulator`, killed on drop.
pub(crate) struct Emu {
    child: Child,
    pub(crate) apdu: String,
    pub(crate) api: String,
}

impl Emu {
    pub(crate) fn start(flags: &[&str]) -> Emu {
        let mut child = Process::new(assert_cmd::cargo::cargo_bin("bounded-signer"))
            .args(["emulator", "--apdu-port", "0", "--api-port", "0"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let (apdu, api) = line.trim().split_once(' ').unwrap();
        Emu {
            child,
            apdu: apdu.strip_prefix("apdu=").unwrap().to_string(),
            api: api.strip_prefix("api=").unwrap().to_string(),
        }
    }

    pub(crate) fn device(&self) -> String {
        format!("speculos:{}", self.apdu)
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example release with its window around now, built into `dir`: (manifest path, hash).
pub(crate) fn release_now(dir: &Path) -> (PathBuf, String) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let text: String = std::fs::read_to_string(root().join("examples/box-v2-upgrade.toml"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("not_before") {
                format!("not_before = {}\n", now - 3600)
            } else if l.starts_with("expires_at") {
                format!("expires_at = {}\n", now + 86_400)
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let toml = dir.join("release.toml");
    std::fs::write(&toml, text).unwrap();
    let out = dir.join("release.manifest.cbor");
    let o = run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (out, json(&o)["manifest_hash"].as_str().unwrap().to_string())
}

/// `bounded-signer --json sign` of `tx` with the state home at `home` (stdio left to the caller).
pub(crate) fn sign_command(home: &Path, manifest: &Path, hash: &str, tx: &str, device: &str) -> Process {
    let mut command = Process::new(assert_cmd::cargo::cargo_bin("bounded-signer"));
    command.env("BOUNDED_SIGNER_HOME", home).args([
        "--json",
        "sign",
        "--manifest",
        manifest.to_str().unwrap(),
        "--approved-hash",
        hash,
        "--device",
        device,
        tx,
    ]);
    command
}

/// A release approving exactly the vector's transaction.
fn release_for(tx: &serde_json::Value, auth: Option<&serde_json::Value>) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let to = tx["to"].as_str().unwrap();
    let mut targets = vec![to.to_string()];
    // upgradeToAndCall's new implementation is reached too.
    targets.push("0x00000000000000000000000000000000000000b2".into());
    let authorizations = auth.map_or(String::new(), |a| {
        format!(
            "authorizations = [{{ chain_id = {}, address = \"{}\", nonce = {} }}]\n",
            a["chain_id"].as_str().unwrap(),
            a["address"].as_str().unwrap(),
            a["nonce"].as_str().unwrap()
        )
    });
    format!(
        "format = \"bounded-signer/manifest/v1\"\nrelease = \"vector\"\nchain_id = {}\nexecutor = \"0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D\"\n\
         not_before = {}\nexpires_at = {}\nallowed_targets = [{}]\n[rollback]\nmanifest_hash = \"0x{}\"\n\
         [[actions]]\nname = \"vector\"\nto = \"{to}\"\nvalue = \"{}\"\ndata = \"{}\"\n{authorizations}",
        tx["chain_id"].as_str().unwrap(),
        now - 60,
        now + 3600,
        targets.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", "),
        "11".repeat(32),
        tx["value"].as_str().unwrap(),
        tx["data"].as_str().unwrap(),
    )
}

/// A known-answer vector eth-account signed, with a manifest approving exactly it.
pub(crate) struct SignableVector {
    pub(crate) name: String,
    /// The unsigned payload, hex.
    pub(crate) payload: String,
    pub(crate) manifest: PathBuf,
    pub(crate) hash: String,
    expected: serde_json::Value,
}

impl SignableVector {
    /// The signature, signed transaction and hash in `sign --json`'s result are eth-account's.
    pub(crate) fn assert_signed_as_eth_account(&self, result: &serde_json::Value) {
        let (v, name) = (&self.expected, &self.name);
        assert_eq!(result["signature"]["r"], v["r"], "{name}");
        assert_eq!(result["signature"]["s"], v["s"], "{name}");
        assert_eq!(result["signature"]["v"], v["v"], "{name}");
        assert_eq!(result["signed_tx"], v["signed_raw"], "{name}");
        assert_eq!(result["tx_hash"], v["tx_hash"], "{name}");
    }
}

/// Every signable vector of tests/vectors/transactions.json, each with its manifest built into
/// `dir` (blob: unsigned only; pre-155: refused by the policy, tested in check).
pub(crate) fn signable_vectors(dir: &Path) -> Vec<SignableVector> {
    let doc = vectors("transactions.json");
    let mut signable = Vec::new();
    for v in doc["vectors"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        if v["signed_raw"].is_null() || name == "legacy_pre155" {
            continue;
        }
        let payload = v["unsigned_payload"].as_str().unwrap();
        let decoded = json(&run(&["--json", "decode", payload]));
        let tx = &decoded["tx"];
        let auth = tx["authorization_list"].as_array().and_then(|a| a.first());
        let toml = dir.join(format!("{name}.toml"));
        std::fs::write(&toml, release_for(tx, auth)).unwrap();
        let manifest = dir.join(format!("{name}.cbor"));
        let out =
            run(&["--json", "manifest", "build", toml.to_str().unwrap(), "-o", manifest.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let hash = json(&out)["manifest_hash"].as_str().unwrap().to_string();
        signable.push(SignableVector {
            name: name.to_string(),
            payload: payload.to_string(),
            manifest,
            hash,
            expected: v.clone(),
        });
    }
    signable
}

/// One HTTP request to the emulator's REST API.
pub(crate) fn http(api: &str, method: &str, path: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let addr = api.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap()
}

pub(crate) fn screen_texts(api: &str) -> Vec<String> {
    http(api, "GET", "/events")["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

/// A release with the vector's Safe (owned by `owners`, threshold 2) and one Safe action, the
/// vector's Safe transaction (`extra` adds keys to the action).
pub(crate) fn safe_release(
    dir: &Path,
    v: &serde_json::Value,
    owners: &[&str],
    extra: &str,
) -> (PathBuf, Output) {
    let toml = format!(
        r#"format = "bounded-signer/manifest/v1"
release = "safe upgrade"
chain_id = {chain}
executor = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"
not_before = 1
expires_at = 4000000000
allowed_targets = ["{safe}", "{to}", "0x78a3FB06880667Fd263A4493FA66e173008c6C68", "0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"]
[rollback]
manifest_hash = "0x{rollback}"
[[safes]]
address = "{safe}"
version = "{version}"
owners = [{owners}]
threshold = 2
[[actions]]
kind = "safe"
name = "upgrade"
safe = "{safe}"
nonce = {nonce}
to = "{to}"
data = "{data}"
{extra}"#,
        chain = v["chainId"],
        safe = v["safe"].as_str().unwrap(),
        to = v["to"].as_str().unwrap(),
        rollback = "11".repeat(32),
        version = v["safeVersion"].as_str().unwrap(),
        nonce = v["nonce"].as_str().unwrap(),
        data = v["data"].as_str().unwrap(),
        owners = owners.iter().map(|o| format!("\"{o}\"")).collect::<Vec<_>>().join(", "),
    );
    let path = dir.join("safe.toml");
    std::fs::write(&path, toml).unwrap();
    let out_path = dir.join("safe.cbor");
    let out = run(&[
        "--json",
        "manifest",
        "build",
        path.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
        "--force",
    ]);
    (out_path, out)
}

/// A `ur:eth-sign-request` for `sign_data` (data type `data_type`) at `path` (hardened flags as
/// given), as Keystone's registry lays it out: keys 1 to 5 (4, the chain, when given), request id
/// 16 × 0x42.
pub(crate) fn eth_sign_request(
    sign_data: &[u8],
    data_type: u8,
    chain_id: Option<u32>,
    path: &[(u8, bool)],
) -> String {
    eth_sign_request_for(sign_data, data_type, chain_id, path, None)
}

/// [`eth_sign_request`] naming the account it is for (key 6), as a paired wallet sends it.
pub(crate) fn eth_sign_request_for(
    sign_data: &[u8],
    data_type: u8,
    chain_id: Option<u32>,
    path: &[(u8, bool)],
    address: Option<alloy_primitives::Address>,
) -> String {
    let keys = 4 + u8::from(chain_id.is_some()) + u8::from(address.is_some());
    let mut cbor = vec![0xa0 + keys, 0x01, 0xd8, 0x25, 0x50];
    cbor.extend_from_slice(&[0x42; 16]);
    cbor.push(0x02);
    let len = u16::try_from(sign_data.len()).unwrap();
    cbor.push(0x59);
    cbor.extend_from_slice(&len.to_be_bytes());
    cbor.extend_from_slice(sign_data);
    cbor.extend_from_slice(&[0x03, data_type]);
    if let Some(chain_id) = chain_id {
        cbor.extend_from_slice(&[0x04, 0x1a]);
        cbor.extend_from_slice(&chain_id.to_be_bytes());
    }
    // 5: tag 304 {1: [index, hardened, …]}
    cbor.extend_from_slice(&[
        0x05,
        0xd9,
        0x01,
        0x30,
        0xa1,
        0x01,
        0x80 + u8::try_from(path.len() * 2).unwrap(),
    ]);
    for &(index, hardened) in path {
        cbor.extend_from_slice(&[0x18, index, if hardened { 0xf5 } else { 0xf4 }]);
    }
    if let Some(address) = address {
        cbor.extend_from_slice(&[0x06, 0x54]);
        cbor.extend_from_slice(address.as_slice());
    }
    ur::ur::encode(&cbor, &ur::Type::Custom("eth-sign-request"))
}

/// m/44'/60'/0'/0/N as a request's path.
pub(crate) fn request_path(n: u8) -> [(u8, bool); 5] {
    [(44, true), (60, true), (0, true), (0, false), (n, false)]
}
