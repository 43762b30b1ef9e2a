// Regenerates simulator/tests/fixtures/anvil-safe.{json,witness}: a co-signer's state witness of a
// real Safe on a real anvil, for `safe sign --witness`'s tests (tests/safe_gate.rs). A Safe 1.4.1
// of the emulator's first three accounts (the public Speculos seed, m/44'/60'/0'/0/0..2),
// threshold 2, proposer and executor of a TimelockController that owns a ProxyAdmin; the Safe
// transaction schedules the proxy's upgrade to BoxV2, and bounded-signer-witness --safe-tx
// collects what its simulation (as Safe tooling runs one) reads. The release's authoring text and
// the Safe transaction are written beside it.
//
//     (cd tests/e2e && npm ci && cargo build --release -p bounded-signer -p bounded-signer-witness \
//        && node safe_fixture.cjs)
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { ethers } = require("ethers");
const { harness, gateToml, BS, WITNESS, ANVIL, OZ } = require("./harness.cjs");

const FIXTURES = path.join(__dirname, "../../simulator/tests/fixtures");
const MNEMONIC = "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin";
const { fail, start, deploySafeStack, main: run } = harness("safe-fixture");

async function main() {
  const [, port] = await start(ANVIL, ["--port", "0", "--chain-id", "31337"], /Listening on 127\.0\.0\.1:(\d+)/);
  const rpc = `http://127.0.0.1:${port}`;
  const provider = new ethers.JsonRpcProvider(rpc, 31337, { staticNetwork: true });
  const owners = [0, 1, 2].map((i) => ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).address);
  const deployer = await provider.getSigner(0);
  const { safe, timelock, timelockAddress, boxV2, proxy, admin } = await deploySafeStack(provider, deployer, owners, 0);
  const upgrade = new ethers.Interface(OZ("ProxyAdmin").abi).encodeFunctionData("upgradeAndCall", [proxy, boxV2, "0x"]);
  const schedule = timelock.interface.encodeFunctionData("schedule", [admin, 0, upgrade, ethers.ZeroHash, ethers.id("box-v2"), 0]);
  const q = (s) => JSON.stringify(s);
  const sorted = [...owners].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const toml = [
    'format = "bounded-signer/manifest/v1"',
    'release = "box-v2 through the Safe, gated"',
    "chain_id = 31337",
    `executor = ${q(owners[0])}`,
    "not_before = 0",
    "expires_at = 4000000000",
    `allowed_targets = [${[safe, timelockAddress, admin, proxy, boxV2].map(q).join(", ")}]`,
    "[rollback]",
    `manifest_hash = ${q(ethers.id("rollback"))}`,
    "[[safes]]", `address = ${q(safe)}`, 'version = "1.4.1"', `owners = [${sorted.map(q).join(", ")}]`, "threshold = 2",
    "[[actions]]", 'kind = "safe"', 'name = "schedule"', `safe = ${q(safe)}`, "nonce = 0",
    `to = ${q(timelockAddress)}`, `data = ${q(schedule)}`,
    ...gateToml.code(boxV2, ethers.keccak256(await provider.getCode(boxV2))),
    ...gateToml.adminSlot(proxy, admin),
    ...gateToml.call(admin, "owner()(address)", [], [timelockAddress]),
    ...gateToml.call(safe, "getThreshold()(uint256)", [], [2]),
  ].join("\n") + "\n";
  const safeTx = { safe, chainId: 31337, safeVersion: "1.4.1", to: timelockAddress, value: "0", data: schedule, operation: 0, nonce: 0 };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bs-safe-fixture-"));
  fs.writeFileSync(path.join(work, "release.toml"), toml);
  const manifest = path.join(work, "release.cbor");
  const built = spawnSync(BS, ["manifest", "build", path.join(work, "release.toml"), "-o", manifest], { encoding: "utf8" });
  if (built.status !== 0) fail(built.stderr);
  const out = path.join(FIXTURES, "anvil-safe.witness");
  const collected = spawnSync(WITNESS, ["--json", "--rpc", rpc, "--manifest", manifest, "--safe-tx", JSON.stringify(safeTx), "-o", out, "--force"], { encoding: "utf8" });
  if (collected.status !== 0) fail(collected.stderr + collected.stdout);
  const w = JSON.parse(collected.stdout);
  if (w.simulation.status !== "success") fail(JSON.stringify(w));
  const fixture = {
    generator: "tests/e2e/safe_fixture.cjs",
    anvil: await provider.send("web3_clientVersion", []),
    block: w.block,
    timestamp: w.timestamp,
    safe_tx: safeTx,
    owners,
    addresses: { safe, timelock: timelockAddress, admin, proxy, boxV2 },
    release_toml: toml,
  };
  fs.writeFileSync(path.join(FIXTURES, "anvil-safe.json"), JSON.stringify(fixture, null, 1) + "\n");
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`safe fixture: block ${w.block.number} ${w.block.hash}, T ${w.timestamp}, ${w.accounts} accounts, ${w.slots} slots, ${w.bytes} bytes`);
}

run(main);
