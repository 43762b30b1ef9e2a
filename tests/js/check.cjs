// Ledger's own client (@ledgerhq/hw-app-eth) against `bounded-signer emulator`: the address, the
// app configuration, and signatures of an EIP-1559 transfer, a contract call (blind signed) and a
// legacy Polygon transaction, each recovered by ethers.
// Usage: node check.cjs APDU_PORT (over @ledgerhq/hw-transport-node-speculos), or
//        node check.cjs hid (over @ledgerhq/hw-transport-node-hid-noevents and node-hid's
//        hidraw backend: the only Ledger the kernel sees, as inside scripts/hid-vm).
// CommonJS on purpose: hw-app-eth's ESM build has extensionless imports Node cannot resolve.
const assert = require("node:assert/strict");
const Eth = require("@ledgerhq/hw-app-eth").default;
const SpeculosTransport = require("@ledgerhq/hw-transport-node-speculos").default;
const { Transaction, Signature, verifyMessage } = require("ethers");
const PATH = "44'/60'/0'/0/0";
const EXPECTED = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";

async function openHid() {
  const HidTransport = require("@ledgerhq/hw-transport-node-hid-noevents").default;
  const HID = require("node-hid");
  // The descriptor as node-hid reads it back from the kernel: Ledger's vendor, the Nano S+
  // product id, usage page 0xffa0, usage 1.
  const found = HID.devices().filter((d) => d.vendorId === 0x2c97);
  assert.equal(found.length, 1, "exactly one Ledger");
  assert.equal(found[0].productId, 0x5011);
  assert.equal(found[0].usagePage, 0xffa0);
  assert.equal(found[0].usage, 1);
  // On Linux the transport lists by USB interface number 0; a device on uhid has no USB parent,
  // so hidapi gives it none (-1) and the transport opens it by path (docs/decisions.md).
  assert.equal(found[0].interface, -1);
  assert.deepEqual(await HidTransport.list(), []);
  console.log(`node-hid: ${found[0].path} ${found[0].product} (usage page 0x${found[0].usagePage.toString(16)})`);
  return HidTransport.open(found[0].path);
}

async function main() {
const transport = process.argv[2] === "hid"
  ? await openHid()
  : await SpeculosTransport.open({ apduPort: Number(process.argv[2]), host: "127.0.0.1" });
const eth = new Eth(transport);

const config = await eth.getAppConfiguration();
assert.equal(config.version, "1.22.0");
const { address, publicKey } = await eth.getAddress(PATH);
assert.equal(address, EXPECTED);
assert.ok(publicKey.startsWith("04ef5b152e3f15eb"));
console.log(`hw-app-eth getAddress: ${address}, app ${config.version}`);

async function signAndRecover(name, fields) {
  const tx = Transaction.from(fields);
  // No resolution service: everything falls back to blind signing, as the spec asks.
  const sig = await eth.signTransaction(PATH, tx.unsignedSerialized.slice(2), null);
  tx.signature = Signature.from({ r: "0x" + sig.r, s: "0x" + sig.s, v: BigInt("0x" + sig.v) });
  assert.equal(tx.from, EXPECTED, `${name}: recovered signer`);
  console.log(`hw-app-eth signTransaction ${name}: v=0x${sig.v}, recovers to ${tx.from}`);
}

await signAndRecover("eip1559 transfer", {
  type: 2, chainId: 1, nonce: 0, maxPriorityFeePerGas: 1000000000n, maxFeePerGas: 20000000000n,
  gasLimit: 21000n, to: "0x000000000000000000000000000000000000dEaD", value: 10n ** 16n, data: "0x",
});
await signAndRecover("eip1559 contract call", {
  type: 2, chainId: 11155111, nonce: 7, maxPriorityFeePerGas: 2000000000n, maxFeePerGas: 30000000000n,
  gasLimit: 300000n, to: "0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2", value: 0n,
  data: "0x3659cfe6" + "00".repeat(12) + "a792c9608476e0b0ba79a3aeaa9403cc8f9afb6a",
});
await signAndRecover("legacy chain 137", {
  type: 0, chainId: 137, nonce: 1, gasPrice: 30000000000n, gasLimit: 21000n,
  to: "0x000000000000000000000000000000000000dEaD", value: 1n, data: "0x",
});

const msg = await eth.signPersonalMessage(PATH, Buffer.from("hello").toString("hex"));
const signer = verifyMessage("hello", Signature.from({ r: "0x" + msg.r, s: "0x" + msg.s, v: msg.v }));
assert.equal(signer, EXPECTED);
console.log(`hw-app-eth signPersonalMessage: recovers to ${signer}`);

await transport.close();
console.log("ledgerjs check: 5 passed, 0 failed");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
