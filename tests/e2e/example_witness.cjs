// Regenerates examples/gate/: the simulation gate's example for `bounded-signer rehearse
// --simulate`, made on a real anvil. A TransparentUpgradeableProxy (OpenZeppelin 5) whose
// ProxyAdmin a TimelockController owns, whose proposer and executor is the emulator's account
// m/44'/60'/0'/0/0 (the public Speculos key); the executor has scheduled the upgrade to BoxV2.
// Written: the release (its gate names BoxV2's code hash, the chain of control and execute's
// expected slot and event), the executor's execute proposal, and bounded-signer-witness's witness
// of the block it runs after, with that block's hash and the simulated time T.
//
//     (cd tests/e2e && npm ci && cargo build --release && cargo build -p bounded-signer-witness \
//        && node example_witness.cjs)
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { ethers } = require("ethers");

const { startAnvil } = require("./anvil.cjs");
const { gateToml, BS, WITNESS, OZ } = require("./harness.cjs");
const OUT = path.join(__dirname, "../../examples/gate");
const ADMIN_SLOT = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";
const EXECUTOR = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";

async function main() {
  const { anvil, url } = await startAnvil();
  try {
    const provider = new ethers.JsonRpcProvider(url, 31337, { staticNetwork: true });
    const deployer = await provider.getSigner(0);
    const deploy = async (artifact, args) => {
      const c = await new ethers.ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy(...args);
      await c.waitForDeployment();
      return c;
    };
    await provider.send("anvil_setBalance", [EXECUTOR, "0x56BC75E2D63100000"]);
    const timelock = await deploy(OZ("TimelockController"), [0, [EXECUTOR], [EXECUTOR], ethers.ZeroAddress]);
    const timelockAddress = await timelock.getAddress();
    const boxV1 = await (await deploy({ abi: [], bytecode: "0x600a600c600039600a6000f3602a60005260206000f3" }, [])).getAddress();
    const boxV2 = await (await deploy({ abi: [], bytecode: "0x600a600c600039600a6000f3602b60005260206000f3" }, [])).getAddress();
    const proxy = await (await deploy(OZ("TransparentUpgradeableProxy"), [boxV1, timelockAddress, "0x"])).getAddress();
    const admin = ethers.getAddress(ethers.dataSlice(await provider.getStorage(proxy, ADMIN_SLOT), 12));
    const upgrade = new ethers.Interface(OZ("ProxyAdmin").abi).encodeFunctionData("upgradeAndCall", [proxy, boxV2, "0x"]);
    const salt = ethers.id("box-v2");
    const schedule = timelock.interface.encodeFunctionData("schedule", [admin, 0, upgrade, ethers.ZeroHash, salt, 0]);
    const execute = timelock.interface.encodeFunctionData("execute", [admin, 0, upgrade, ethers.ZeroHash, salt]);
    // The executor schedules (on anvil, as itself).
    await provider.send("anvil_impersonateAccount", [EXECUTOR]);
    const sent = await (await provider.getSigner(EXECUTOR)).sendTransaction({ to: timelockAddress, data: schedule });
    await sent.wait();
    await provider.send("anvil_stopImpersonatingAccount", [EXECUTOR]);

    const q = (s) => JSON.stringify(s);
    const toml = [
      "# The simulation gate's example: the Box upgrade's execute on a local chain (anvil), made by",
      "# tests/e2e/example_witness.cjs. rehearse --simulate moves the window around the witness's T.",
      'format = "bounded-signer/manifest/v1"',
      'release = "box-v2-upgrade on a local chain"',
      "chain_id = 31337",
      `executor = ${q(EXECUTOR)}                # the public Speculos test key: never hold value with it`,
      'not_before = "2026-11-20T00:00:00Z"',
      'expires_at = "2027-01-01T00:00:00Z"',
      `allowed_targets = [${[timelockAddress, admin, proxy, boxV2].map(q).join(", ")}]`,
      "",
      "[labels]",
      `${q(timelockAddress)} = "Timelock"`,
      `${q(admin)} = "ProxyAdmin"`,
      `${q(proxy)} = "Box proxy"`,
      `${q(boxV2)} = "BoxV2 implementation"`,
      "",
      "[rollback]",
      `manifest_hash = ${q(ethers.id("box-v1 rollback"))}`,
      'note = "downgrade to BoxV1 through the same timelock"',
      "",
      "[[actions]]",
      'name = "execute"',
      `to = ${q(timelockAddress)}`,
      `data = ${q(execute)}`,
      "gas_limit_max = 500000",
      'max_fee_per_gas_max = "100000000000"',
      'max_priority_fee_per_gas_max = "3000000000"',
      "",
      "# The proxy runs BoxV2 after it, and says so.",
      ...gateToml.expectUpgrade(proxy, boxV2),
      "",
      "# BoxV2's deployed code, as audited.",
      ...gateToml.code(boxV2, ethers.keccak256(await provider.getCode(boxV2))),
      "",
      "# The chain of control, before and after.",
      ...gateToml.adminSlot(proxy, admin),
      ...gateToml.call(admin, "owner()(address)", [], [timelockAddress]),
      ...gateToml.call(timelockAddress, "hasRole(bytes32,address)(bool)", [await timelock.EXECUTOR_ROLE(), EXECUTOR], [true]),
    ].join("\n") + "\n";
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, "release.toml"), toml);
    const nonce = Number(await provider.send("eth_getTransactionCount", [EXECUTOR, "latest"]));
    const proposal = {
      type: "0x2", chainId: "31337", nonce: String(nonce), to: timelockAddress, value: "0", data: execute,
      gas: "500000", maxFeePerGas: "20000000000", maxPriorityFeePerGas: "1000000000",
    };
    fs.writeFileSync(path.join(OUT, "proposal-execute.json"), JSON.stringify(proposal, null, 1) + "\n");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bs-example-"));
    const manifest = path.join(work, "release.cbor");
    const built = spawnSync(BS, ["manifest", "build", path.join(OUT, "release.toml"), "-o", manifest], { encoding: "utf8" });
    if (built.status !== 0) throw new Error(built.stderr);
    const collected = spawnSync(WITNESS, ["--json", "--rpc", url, "--manifest", manifest, path.join(OUT, "proposal-execute.json"),
      "-o", path.join(OUT, "execute.witness"), "--force"], { encoding: "utf8" });
    if (collected.status !== 0) throw new Error(collected.stderr + collected.stdout);
    const w = JSON.parse(collected.stdout);
    if (w.simulation.status !== "success") throw new Error(JSON.stringify(w));
    const block = { generator: "tests/e2e/example_witness.cjs", block: w.block, timestamp: w.timestamp };
    fs.writeFileSync(path.join(OUT, "execute.witness.json"), JSON.stringify(block, null, 1) + "\n");
    fs.rmSync(work, { recursive: true, force: true });
    console.log(`examples/gate: execute on block ${w.block.number} ${w.block.hash}, T ${w.timestamp}, ${w.bytes} bytes`);
  } finally {
    anvil.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
