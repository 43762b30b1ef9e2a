// Regenerates simulator/tests/fixtures/anvil-after.{json,witness}: a post-execution witness of a
// real upgrade on a real anvil, for verify-execution's tests (tests/verify_execution.rs). An
// OpenZeppelin 5 TransparentUpgradeableProxy whose ProxyAdmin is owned by an account; that
// account sends ProxyAdmin.upgradeAndCall(proxy, V2, 0x); bounded-signer-witness --after collects
// the block holding it (header, every transaction and receipt) and the proofs the release's gate
// reads after it. The release's authoring TOML is written beside, so the test builds the very
// manifest the witness was collected for.
//
//     (cd tests/e2e && npm ci && cargo build -p bounded-signer-witness && node after_fixture.cjs)
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { ethers } = require("ethers");

const { startAnvil } = require("./anvil.cjs");
const { gateToml, BS, WITNESS, OZ } = require("./harness.cjs");
const FIXTURES = path.join(__dirname, "../../simulator/tests/fixtures");
const ADMIN_SLOT = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";

async function main() {
  const { anvil, url } = await startAnvil();
  try {
    const provider = new ethers.JsonRpcProvider(url, 31337, { staticNetwork: true });
    const deployer = await provider.getSigner(0);
    const owner = await provider.getSigner(1);
    const deploy = async (artifact, args) => {
      const c = await new ethers.ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy(...args);
      await c.waitForDeployment();
      return c.getAddress();
    };
    const v1 = await deploy({ abi: [], bytecode: "0x600a600c600039600a6000f3602a60005260206000f3" }, []);
    const v2 = await deploy({ abi: [], bytecode: "0x600a600c600039600a6000f3602b60005260206000f3" }, []);
    const from = await owner.getAddress();
    const proxy = await deploy(OZ("TransparentUpgradeableProxy"), [v1, from, "0x"]);
    const admin = ethers.getAddress(ethers.dataSlice(await provider.getStorage(proxy, ADMIN_SLOT), 12));
    const data = new ethers.Interface(OZ("ProxyAdmin").abi).encodeFunctionData("upgradeAndCall", [proxy, v2, "0x"]);
    const parent = await provider.send("eth_getBlockByNumber", ["latest", false]);
    const t = Number(parent.timestamp);
    const q = (s) => JSON.stringify(s);
    const toml = [
      'format = "bounded-signer/manifest/v1"',
      'release = "anvil upgrade, after"',
      "chain_id = 31337",
      `executor = ${q(from)}`,
      `not_before = ${t - 86400}`,
      `expires_at = ${t + 86400}`,
      `allowed_targets = [${[admin, proxy, v2].map(q).join(", ")}]`,
      "[rollback]",
      `manifest_hash = ${q("0x" + "11".repeat(32))}`,
      "[[actions]]",
      'name = "upgrade"',
      `to = ${q(admin)}`,
      `data = ${q(data)}`,
      ...gateToml.expectUpgrade(proxy, v2),
      ...gateToml.adminSlot(proxy, admin),
      ...gateToml.call(admin, "owner()(address)", [], [from]),
    ].join("\n") + "\n";
    const work = fs.mkdtempSync(path.join(require("os").tmpdir(), "bs-after-"));
    fs.writeFileSync(path.join(work, "release.toml"), toml);
    const manifest = path.join(work, "release.cbor");
    const built = spawnSync(BS, ["manifest", "build", path.join(work, "release.toml"), "-o", manifest], { encoding: "utf8" });
    if (built.status !== 0) throw new Error(built.stderr);
    const hash = await provider.send("eth_sendTransaction", [{ from, to: admin, data, gas: "0x30d40" }]);
    const receipt = await provider.send("eth_getTransactionReceipt", [hash]);
    const out = path.join(FIXTURES, "anvil-after.witness");
    const collected = spawnSync(WITNESS, ["--json", "--rpc", url, "--manifest", manifest, "--after", hash, "-o", out, "--force"], { encoding: "utf8" });
    if (collected.status !== 0) throw new Error(collected.stderr + collected.stdout);
    const w = JSON.parse(collected.stdout);
    const fixture = {
      generator: "tests/e2e/after_fixture.cjs",
      anvil: await provider.send("web3_clientVersion", []),
      tx_hash: hash,
      block: { number: Number(receipt.blockNumber), hash: receipt.blockHash },
      witness: w,
      addresses: { owner: from, admin, proxy, v1, v2 },
      release_toml: toml,
    };
    fs.writeFileSync(path.join(FIXTURES, "anvil-after.json"), JSON.stringify(fixture, null, 1) + "\n");
    fs.rmSync(work, { recursive: true, force: true });
    console.log(`after fixture: tx ${hash} in block ${fixture.block.number} ${fixture.block.hash}, witness ${w.bytes} bytes`);
  } finally {
    anvil.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
