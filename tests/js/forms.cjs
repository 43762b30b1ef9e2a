// Every JSON form the ecosystem emits, produced by the real libraries (ethers 6, viem 2), read by
// `bounded-signer decode --json`: the signing payload (and, for signed forms, the sender and the
// signing hash) must be exactly what the library made. Forms that are not transactions must be
// refused with a hint naming what they are. Run by run.sh.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Transaction, Wallet } = require("ethers");
const viem = require("viem");
const { privateKeyToAccount } = require("viem/accounts");

const bin = path.resolve(__dirname, "../../target/debug/bounded-signer");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bounded-signer-forms-"));
const KEY = "0x" + "11".repeat(32);
const wallet = new Wallet(KEY);
const account = privateKeyToAccount(KEY);
let failures = 0;

function decode(content, { stdin = false, name = "tx.json" } = {}) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const args = stdin ? ["--json", "decode"] : ["--json", "decode", file];
  const r = spawnSync(bin, args, { input: stdin ? content : undefined, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr, doc: r.status === 0 ? JSON.parse(r.stdout) : null };
}

function expect(name, ok, detail) {
  if (ok) {
    console.log(`forms: ok   ${name}`);
  } else {
    failures++;
    console.log(`forms: FAIL ${name}: ${detail}`);
  }
}

function accepts(name, content, payload, opts = {}) {
  const r = decode(content, opts);
  const got = r.doc && r.doc.signing_payload;
  expect(name, r.code === 0 && got === payload, r.code === 0 ? `payload ${got} != ${payload}` : r.err.trim());
  return r;
}

function refuses(name, content, code, needle, opts = {}) {
  const r = decode(content, opts);
  expect(name, r.code === code && r.err.includes(needle), `exit ${r.code}: ${r.err.trim()}`);
}

const bigints = (k, v) => (typeof v === "bigint" ? v.toString() : v);

(async () => {
  const base = {
    type: 2, chainId: 11155111, nonce: 7, to: "0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2", value: 5n,
    gasLimit: 300000, maxFeePerGas: 30000000000n, maxPriorityFeePerGas: 2000000000n, data: "0x3659cfe6" + "00".repeat(12) + "a792c9608476e0b0ba79a3aeaa9403cc8f9afb6a",
    accessList: [{ address: "0x78a3FB06880667Fd263A4493FA66e173008c6C68", storageKeys: [] }],
  };
  const unsigned = Transaction.from(base);
  const payload = unsigned.unsignedSerialized;

  // ethers Transaction.toJSON(), unsigned (sig: null) and signed (sig object).
  accepts("ethers toJSON, unsigned", JSON.stringify(unsigned.toJSON()), payload);
  const signedRaw = await wallet.signTransaction(unsigned);
  const signed = Transaction.from(signedRaw);
  const r = accepts("ethers toJSON, signed", JSON.stringify(signed.toJSON()), payload);
  expect("ethers toJSON, signed: the sender", r.doc && r.doc.tx.sender === wallet.address, JSON.stringify(r.doc && r.doc.tx));

  // A legacy EIP-155 toJSON (v 27/28 with networkV).
  const legacy = Transaction.from({ type: 0, chainId: 1, nonce: 1, to: base.to, gasLimit: 21000, gasPrice: 1000000000n, value: 1n });
  const legacySigned = Transaction.from(await wallet.signTransaction(legacy));
  accepts("ethers toJSON, signed legacy", JSON.stringify(legacySigned.toJSON()), legacy.unsignedSerialized);

  // The signed transaction as JSON-RPC returns it (v, r, s, yParity, hash), and {raw, tx}.
  const rpcTx = {
    type: "0x2", chainId: viem.toHex(11155111), nonce: viem.toHex(7), to: base.to, value: "0x5",
    gas: viem.toHex(300000), maxFeePerGas: viem.toHex(30000000000n), maxPriorityFeePerGas: viem.toHex(2000000000n),
    accessList: [{ address: base.accessList[0].address, storageKeys: [] }], input: base.data,
    v: viem.toHex(signed.signature.yParity), yParity: viem.toHex(signed.signature.yParity),
    r: signed.signature.r, s: signed.signature.s, hash: signed.hash,
  };
  accepts("signed transaction JSON", JSON.stringify(rpcTx), payload);
  refuses("signed transaction JSON, wrong hash", JSON.stringify({ ...rpcTx, hash: "0x" + "00".repeat(32) }), 2, "hash:");
  accepts("eth_signTransaction result {raw, tx}", JSON.stringify({ raw: signedRaw, tx: rpcTx }), payload);
  refuses("{raw, tx} that disagree", JSON.stringify({ raw: signedRaw, tx: { ...rpcTx, nonce: "0x8", hash: null } }), 2, "does not describe");

  // JSON-RPC envelope and its bare params array, as viem formats a request.
  const request = viem.formatTransactionRequest({
    from: account.address, to: base.to, value: 5n, gas: 300000n, maxFeePerGas: 30000000000n,
    maxPriorityFeePerGas: 2000000000n, nonce: 7, data: base.data, accessList: base.accessList,
  });
  request.chainId = viem.toHex(11155111);
  for (const method of ["eth_signTransaction", "eth_sendTransaction"]) {
    accepts(`JSON-RPC ${method}`, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [request] }), payload);
  }
  accepts("params array", JSON.stringify([request]), payload);
  refuses("params with two transactions", JSON.stringify([request, request]), 2, "exactly one");
  refuses("another method", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [request] }), 2, "eth_call");

  // viem's type names and an access-list entry without storageKeys.
  const named = { ...request, type: "eip1559", accessList: [{ address: base.accessList[0].address }] };
  accepts("type \"eip1559\", storageKeys omitted", JSON.stringify(named), payload);

  // EIP-7702 authorizations: ethers (a signature object) and viem (r, s, yParity, v).
  const ethersAuth = await wallet.authorize({ address: "0x" + "22".repeat(20), nonce: 1, chainId: 11155111 });
  const t4 = Transaction.from({ type: 4, chainId: 11155111, nonce: 8, to: base.to, gasLimit: 100000, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n, authorizationList: [ethersAuth] });
  const t4json = { type: 4, chainId: "11155111", nonce: 8, to: base.to, gas: "100000", maxFeePerGas: "2", maxPriorityFeePerGas: "1", authorizationList: [ethersAuth] };
  accepts("7702 with an ethers authorization", JSON.stringify(t4json, bigints), t4.unsignedSerialized);
  const viemAuth = await account.signAuthorization({ contractAddress: "0x" + "22".repeat(20), chainId: 11155111, nonce: 1 });
  const viemPayload = viem.serializeTransaction({
    type: "eip7702", chainId: 11155111, nonce: 8, to: base.to, gas: 100000n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n,
    authorizationList: [viemAuth],
  });
  const t4viem = { ...t4json, type: "eip7702", authorizationList: [viemAuth] };
  accepts("7702 with a viem authorization", JSON.stringify(t4viem, bigints), viemPayload);

  // A UTF-8 byte order mark, and TX on stdin when the argument is omitted.
  accepts("a UTF-8 BOM", "\ufeff" + JSON.stringify(unsigned.toJSON()), payload);
  accepts("TX on stdin, argument omitted", JSON.stringify(unsigned.toJSON()), payload, { stdin: true });

  // What is not a transaction is refused, naming what it is.
  refuses("calldata as TX", base.data, 2, "calldata", { name: "calldata.hex" });
  refuses("a 32-byte hash as TX", signed.hash, 2, "32-byte hash", { name: "hash.hex" });
  refuses("a release TOML as TX", 'format = "bounded-signer/manifest/v1"\nrelease = "x"\n', 2, "TOML", { name: "r.toml" });
  refuses("a TOML table as TX", "[rollback]\nnote = \"x\"\n", 2, "TOML", { name: "t.toml" });
  const manifest = path.join(dir, "release.manifest.cbor");
  const built = spawnSync(bin, ["manifest", "build", path.resolve(__dirname, "../../examples/box-v2-upgrade.toml"), "-o", manifest], { encoding: "utf8" });
  expect("the example manifest builds", built.status === 0, built.stderr);
  refuses("a manifest as TX", fs.readFileSync(manifest), 2, "CBOR", { name: "m.cbor" });
  refuses("an unknown key", JSON.stringify({ ...unsigned.toJSON(), blockHash: "0x00" }), 2, "blockHash");

  fs.rmSync(dir, { recursive: true, force: true });
  if (failures > 0) {
    console.log(`forms: ${failures} failed`);
    process.exit(1);
  }
  console.log("forms: every form accepted or refused as it should be");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
