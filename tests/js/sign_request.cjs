// ERC-4527 both ways with Keystone's registry (@keystonehq/bc-ur-registry-eth), as MetaMask's
// air-gapped keyring builds and reads them:
//   - a ur:eth-sign-request it builds for the example release's schedule transaction (typed,
//     data type 4, path m/44'/60'/0'/0/0, the fingerprint our export gave) is checked and signed
//     by `airgap sign-request` on the emulator;
//   - the registry parses the ur:eth-signature, its request id is the request's, and ethers
//     recovers the executor from the transaction with that signature;
//   - a request the manifest does not approve (another nonce... a changed calldata byte) gets no
//     signature and exit 3;
//   - a SafeTx as typed data (data type 2), in a multi-part request, is signed by the owner it
//     names and ethers recovers that owner; named for a non-owner, it is signer_mismatch.
//
//     node sign_request.cjs BINARY APDU_PORT
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { Transaction, Signature, TypedDataEncoder, verifyTypedData } = require("ethers");
const { DataType, EthSignRequest, ETHSignature, URRegistryDecoder } = require("@keystonehq/bc-ur-registry-eth");

const [bin, port] = process.argv.slice(2);
const root = path.join(__dirname, "..", "..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bs-4527-"));
const env = { ...process.env, BOUNDED_SIGNER_HOME: path.join(work, "home") };
const device = `speculos:127.0.0.1:${port}`;
const EXECUTOR = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";
let failures = 0;
const fail = (m) => {
  console.error(`sign-request: FAIL ${m}`);
  failures++;
};
const run = (args) => {
  const r = spawnSync(bin, args, { encoding: "utf8", env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

// The example release with its window around now.
const now = Math.floor(Date.now() / 1000);
const toml = fs
  .readFileSync(path.join(root, "examples/box-v2-upgrade.toml"), "utf8")
  .split("\n")
  .map((l) => (l.startsWith("not_before") ? `not_before = ${now - 3600}` : l.startsWith("expires_at") ? `expires_at = ${now + 86400}` : l))
  .join("\n");
fs.writeFileSync(path.join(work, "release.toml"), toml);
const manifest = path.join(work, "release.cbor");
const built = run(["--json", "manifest", "build", path.join(work, "release.toml"), "-o", manifest]);
if (built.status !== 0) throw new Error(built.stderr);
const hash = JSON.parse(built.stdout).manifest_hash;

const exported = JSON.parse(run(["--json", "airgap", "export-account", "--device", device, "--text"]).stdout);
const request = JSON.parse(fs.readFileSync(path.join(root, "examples/proposal-schedule.json"), "utf8"));
const txFields = {
  type: 2,
  chainId: BigInt(request.chainId),
  nonce: Number(request.nonce),
  to: request.to,
  value: BigInt(request.value),
  gasLimit: BigInt(request.gas),
  maxFeePerGas: BigInt(request.maxFeePerGas),
  maxPriorityFeePerGas: BigInt(request.maxPriorityFeePerGas),
  data: request.data,
  accessList: [],
};

function ask(fields, id) {
  const tx = Transaction.from(fields);
  const req = EthSignRequest.constructETHRequest(
    Buffer.from(tx.unsignedSerialized.slice(2), "hex"),
    DataType.typedTransaction,
    "m/44'/60'/0'/0/0",
    exported.source_fingerprint,
    id,
    Number(fields.chainId),
    EXECUTOR,
    "metamask",
  );
  const ur = req.toUREncoder(1000).nextPart();
  return { tx, r: run(["--json", "airgap", "sign-request", "--manifest", manifest, "--approved-hash", hash, ur, "--device", device]) };
}

const id = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const { tx, r } = ask(txFields, id);
if (r.status !== 0) {
  fail(`sign-request of an approved transaction: exit ${r.status}: ${r.stdout}${r.stderr}`);
} else {
  const doc = JSON.parse(r.stdout);
  if (doc.request_id !== id) fail(`request id ${doc.request_id}`);
  const decoder = new URRegistryDecoder();
  decoder.receivePart(doc.ur);
  const ur = decoder.resultUR();
  if (ur.type !== "eth-signature") fail(`UR type ${ur.type}`);
  const answer = ETHSignature.fromCBOR(ur.cbor);
  const uuidHex = id.replace(/-/g, "");
  if (answer.getRequestId().toString("hex") !== uuidHex) fail(`the signature's request id ${answer.getRequestId().toString("hex")}`);
  const sig = answer.getSignature();
  if (sig.length !== 65) fail(`signature of ${sig.length} bytes`);
  const signed = tx.clone();
  signed.signature = Signature.from({
    r: "0x" + sig.subarray(0, 32).toString("hex"),
    s: "0x" + sig.subarray(32, 64).toString("hex"),
    yParity: sig[64],
  });
  if (signed.from !== EXECUTOR) fail(`ethers recovers ${signed.from}, not the executor`);
}

// One calldata byte changed: the policy refuses, and nothing is signed.
const tampered = { ...txFields, data: txFields.data.slice(0, -2) + (txFields.data.endsWith("00") ? "01" : "00") };
const refused = ask(tampered, "0b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d").r;
if (refused.status !== 3) fail(`a changed calldata byte: exit ${refused.status}, expected 3: ${refused.stderr}`);
if (refused.stdout.includes('"ur"')) fail("a refused request still produced a signature");

// Typed data (data type 2): a SafeTx as Safe{Wallet} hands it to a wallet, built into a request
// by the registry for owner 1 (m/44'/60'/0'/0/1); ethers recovers that owner from the answer.
const OWNER = "0xd692Cb1346262F584D17B4B470954501f6715a82";
const safeVector = JSON.parse(fs.readFileSync(path.join(root, "tests/vectors/safe_tx.json"), "utf8")).vectors.find(
  (v) => v.name === "call_1.4.1_1",
);
const safeToml = `format = "bounded-signer/manifest/v1"
release = "safe upgrade"
chain_id = ${safeVector.chainId}
executor = "${EXECUTOR}"
not_before = ${now - 3600}
expires_at = ${now + 86400}
allowed_targets = ["${safeVector.safe}", "${safeVector.to}", "0x78a3FB06880667Fd263A4493FA66e173008c6C68", "0xa792C9608476E0B0bA79a3AEaa9403Cc8F9AFB6A"]
[rollback]
manifest_hash = "0x${"11".repeat(32)}"
[[safes]]
address = "${safeVector.safe}"
version = "${safeVector.safeVersion}"
owners = ["${EXECUTOR}", "${OWNER}"]
threshold = 2
[[actions]]
kind = "safe"
name = "upgrade"
safe = "${safeVector.safe}"
nonce = ${safeVector.nonce}
to = "${safeVector.to}"
data = "${safeVector.data}"
`;
fs.writeFileSync(path.join(work, "safe.toml"), safeToml);
const safeManifest = path.join(work, "safe.cbor");
const safeBuilt = run(["--json", "manifest", "build", path.join(work, "safe.toml"), "-o", safeManifest]);
if (safeBuilt.status !== 0) throw new Error(safeBuilt.stderr);
const safeHash = JSON.parse(safeBuilt.stdout).manifest_hash;
const typed = safeVector.typed_data;

function askTyped(account, id) {
  const req = EthSignRequest.constructETHRequest(
    Buffer.from(JSON.stringify(typed), "utf8"),
    DataType.typedData,
    "m/44'/60'/0'/0/1",
    exported.source_fingerprint,
    id,
    Number(safeVector.chainId),
    account,
    "metamask",
  );
  const parts = req.toUREncoder(400);
  const frames = [];
  for (let i = 0; i < parts.fragmentsLength; i++) frames.push(parts.nextPart());
  if (frames.length < 2) fail(`the typed-data request fits one part (${frames.length}): the multi-part path is untested`);
  const file = path.join(work, `${id}.txt`);
  fs.writeFileSync(file, frames.join("\n") + "\n");
  return run(["--json", "airgap", "sign-request", "--manifest", safeManifest, "--approved-hash", safeHash, file, "--device", device]);
}

const typedId = "1b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const typedOut = askTyped(OWNER, typedId);
if (typedOut.status !== 0) {
  fail(`sign-request of an approved SafeTx: exit ${typedOut.status}: ${typedOut.stdout}${typedOut.stderr}`);
} else {
  const doc = JSON.parse(typedOut.stdout);
  const decoder = new URRegistryDecoder();
  decoder.receivePart(doc.ur);
  const answer = ETHSignature.fromCBOR(decoder.resultUR().cbor);
  if (answer.getRequestId().toString("hex") !== typedId.replace(/-/g, "")) fail("the SafeTx answer's request id");
  const sig = "0x" + answer.getSignature().toString("hex");
  const { EIP712Domain, ...types } = typed.types;
  const recovered = verifyTypedData(typed.domain, types, typed.message, sig);
  if (recovered !== OWNER) fail(`ethers recovers ${recovered} from the SafeTx signature, not owner ${OWNER}`);
  if (TypedDataEncoder.hash(typed.domain, types, typed.message) !== safeVector.safe_tx_hash) fail("the vector's safeTxHash");
}
// The same request for an account that is not an owner: signer_mismatch, nothing signed.
const notOwner = askTyped("0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2", "2b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d");
if (notOwner.status !== 3 || !notOwner.stdout.includes("signer_mismatch") || notOwner.stdout.includes('"ur"'))
  fail(`a SafeTx request for a non-owner: exit ${notOwner.status}: ${notOwner.stdout}`);

fs.rmSync(work, { recursive: true, force: true });
if (failures) process.exit(1);
console.log("sign-request: Keystone's eth-sign-request (a transaction, and a SafeTx as typed data in several parts) is checked and signed; the registry reads our eth-signature and ethers recovers the executor and the owner; a changed byte and a non-owner are refused");
