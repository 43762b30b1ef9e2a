// What the end-to-end scripts share: the tool's binaries run on a work directory, children that
// stop with the script, and deployment on a chain that mines on demand.
"use strict";
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const readline = require("readline");
const { ethers } = require("ethers");

const ROOT = path.resolve(__dirname, "../..");
const BS = process.env.BS || path.join(ROOT, "target/release/bounded-signer");
const ANVIL = path.join(__dirname, "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
const CAST = path.join(__dirname, "node_modules/@foundry-rs/cast-linux-amd64/bin/cast");
const OZ = (name) => require(`@openzeppelin/contracts/build/contracts/${name}.json`);
const SAFE_ARTIFACTS = "@safe-global/safe-contracts/build/artifacts/contracts";
const SafeArtifact = require(`${SAFE_ARTIFACTS}/Safe.sol/Safe.json`);
const FactoryArtifact = require(`${SAFE_ARTIFACTS}/proxies/SafeProxyFactory.sol/SafeProxyFactory.json`);
const ADMIN_SLOT = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";
const WITNESS = process.env.BS_WITNESS || path.join(ROOT, "target/debug/bounded-signer-witness");

/** The simulation gate's authoring TOML, as lines: what the e2e releases name. */
const q = (v) => JSON.stringify(v);
const gateToml = {
  /** The action expects the proxy's implementation slot to hold `impl` after it, and the
   * proxy's Upgraded(`event`) among its logs. */
  expectUpgrade: (proxy, impl, event = impl) => [
    "[[actions.expect.slots]]", `address = ${q(proxy)}`, 'slot = "eip1967.implementation"', `value = ${q(impl)}`,
    "[[actions.expect.events]]", `emitter = ${q(proxy)}`, 'signature = "Upgraded(address indexed implementation)"',
    `args = [${q(event)}]`,
  ],
  /** The code `address` must hold. */
  code: (address, hash) => ["[[code]]", `address = ${q(address)}`, `code_hash = ${q(hash)}`],
  /** The proxy's EIP-1967 admin slot must name `admin`. */
  adminSlot: (proxy, admin) => ["[[authority]]", `address = ${q(proxy)}`, 'slot = "eip1967.admin"', `value = ${q(admin)}`],
  /** A view call and what it must return. */
  call: (on, call, args, returns) => [
    "[[authority]]", `on = ${q(on)}`, `call = ${q(call)}`,
    ...(args.length ? [`args = [${args.map(q).join(", ")}]`] : []), `returns = [${returns.map(q).join(", ")}]`,
  ],
};

function harness(name) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `bs-${name}-`));
  const children = [];

  function fail(message) {
    console.error(`${name}: FAIL ${message}`);
    process.exitCode = 1;
    throw new Error(message);
  }

  function ok(message) {
    console.log(`${name}: ok   ${message}`);
  }

  /** Runs a binary of the tool (default: bounded-signer); returns { status, stdout, stderr }. */
  function run(bin, args, home) {
    const r = spawnSync(bin, args, {
      env: { ...process.env, BOUNDED_SIGNER_HOME: path.join(work, home || "home") },
      encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const bs = (args, home) => run(BS, args, home);

  function json(bin, args, home, want = 0) {
    const r = run(bin, ["--json", ...args], home);
    if (r.status !== want) fail(`${path.basename(bin)} ${args.slice(0, 2).join(" ")}: exit ${r.status}, wanted ${want}\n${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout);
  }

  const bsJson = (args, home, want = 0) => json(BS, args, home, want);

  /** Starts a child and resolves with its first stdout line matching `pattern`. */
  function start(cmd, args, pattern) {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    return new Promise((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout });
      lines.on("line", (line) => {
        const m = line.match(pattern);
        if (m) resolve(m);
      });
      child.on("exit", (code) => reject(new Error(`${cmd} exited with ${code} before it was ready`)));
    });
  }

  /** anvil on a free loopback port, and the emulator beside it: the chain and the device. */
  async function startChainAndDevice() {
    const [, rpcPort] = await start(ANVIL, ["--port", "0", "--chain-id", "31337"], /Listening on 127\.0\.0\.1:(\d+)/);
    const rpc = `http://127.0.0.1:${rpcPort}`;
    const provider = new ethers.JsonRpcProvider(rpc, 31337, { staticNetwork: true });
    const [, apdu] = await start(BS, ["emulator", "--apdu-port", "0", "--api-port", "0"], /^apdu=(\S+) /);
    return { rpc, rpcPort, provider, apdu, device: `speculos:${apdu}` };
  }

  /** Deployment helpers on `provider` as `deployer`. Receipts are asked of the node directly:
   * ethers' own waits judge confirmations by a block number it caches, which can wait forever
   * on a chain that mines only on demand. */
  function chain(provider, deployer) {
    const mined = async (hash) => {
      for (let i = 0; i < 400; i++) {
        const receipt = await provider.send("eth_getTransactionReceipt", [hash]);
        if (receipt) {
          if (Number(receipt.status) !== 1) fail(`transaction ${hash} reverted`);
          return receipt;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      fail(`transaction ${hash} was never mined`);
    };
    const deploy = async (artifact, args) => {
      const c = await new ethers.ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy(...args);
      const receipt = await mined(c.deploymentTransaction().hash);
      return new ethers.Contract(ethers.getAddress(receipt.contractAddress), artifact.abi, deployer);
    };
    return { mined, deploy };
  }

  /** The Safe -> Timelock -> ProxyAdmin -> proxy stack, deployed by `deployer`: a Safe 1.4.1 of
   * `owners` (threshold 2), a TimelockController with `delay` whose proposer and executor is the
   * Safe, two implementations (any code will do: this runtime returns 42), and a
   * TransparentUpgradeableProxy at BoxV1 whose ProxyAdmin the Timelock owns. */
  async function deploySafeStack(provider, deployer, owners, delay) {
    const { mined, deploy } = chain(provider, deployer);
    const singleton = await deploy(SafeArtifact, []);
    const factory = await deploy(FactoryArtifact, []);
    const setup = singleton.interface.encodeFunctionData("setup", [
      owners, 2, ethers.ZeroAddress, "0x", ethers.ZeroAddress, ethers.ZeroAddress, 0, ethers.ZeroAddress,
    ]);
    const created = await mined((await factory.createProxyWithNonce(await singleton.getAddress(), setup, 0)).hash);
    const creation = created.logs.map((l) => factory.interface.parseLog(l)).find((e) => e && e.name === "ProxyCreation");
    const safe = ethers.getAddress(creation.args.proxy);
    const timelock = await deploy(OZ("TimelockController"), [delay, [safe], [safe], ethers.ZeroAddress]);
    const tiny = { abi: [], bytecode: "0x600a600c600039600a6000f3602a60005260206000f3" };
    const boxV1 = await (await deploy(tiny, [])).getAddress();
    const boxV2 = await (await deploy(tiny, [])).getAddress();
    const proxy = await (await deploy(OZ("TransparentUpgradeableProxy"), [boxV1, await timelock.getAddress(), "0x"])).getAddress();
    const admin = ethers.getAddress(ethers.dataSlice(await provider.getStorage(proxy, ADMIN_SLOT), 12));
    return { safe, timelock, timelockAddress: await timelock.getAddress(), boxV1, boxV2, proxy, admin };
  }

  /** Holds a simulation (the verdict's `simulation`) against what anvil did with the same
   * transaction (its receipt): gas used, every log, and every balance, nonce and slot after it
   * (slots read by `cast storage`). Returns how many slots were compared. */
  async function compareWithAnvil(what, provider, rpc, sim, receipt) {
    if (Number(receipt.gasUsed) !== Number(sim.gas_used)) fail(`${what}: gas used ${receipt.gasUsed}, simulated ${sim.gas_used}`);
    if (receipt.logs.length !== sim.logs.length) fail(`${what}: ${receipt.logs.length} logs, simulated ${sim.logs.length}`);
    receipt.logs.forEach((l, i) => {
      const s = sim.logs[i];
      if (ethers.getAddress(l.address) !== s.address || JSON.stringify(l.topics) !== JSON.stringify(s.topics) || l.data !== s.data) {
        fail(`${what}: log ${i}: anvil ${JSON.stringify(l)}, simulated ${JSON.stringify(s)}`);
      }
    });
    const block = ethers.toQuantity(BigInt(receipt.blockNumber));
    let slots = 0;
    for (const account of sim.state_diff) {
      if (account.balance && BigInt(await provider.send("eth_getBalance", [account.address, block])) !== BigInt(account.balance.after)) {
        fail(`${what}: ${account.address}'s balance differs from the simulation's ${account.balance.after}`);
      }
      if (account.nonce && Number(await provider.send("eth_getTransactionCount", [account.address, block])) !== Number(account.nonce.after)) {
        fail(`${what}: ${account.address}'s nonce differs from the simulation's ${account.nonce.after}`);
      }
      for (const slot of account.storage) {
        const r = spawnSync(CAST, ["storage", "--rpc-url", rpc, "--block", String(Number(block)), account.address, slot.slot], { encoding: "utf8" });
        if (r.status !== 0 || r.stdout.trim() !== slot.after) fail(`${what}: cast storage ${account.address} ${slot.slot}: ${r.stdout.trim()}${r.stderr}, simulated ${slot.after}`);
        slots++;
      }
    }
    return slots;
  }

  /** Runs `main`, reports a failure, and always stops the children and removes the work dir. */
  function main(body) {
    body()
      .catch((e) => {
        if (!process.exitCode) {
          console.error(`${name}: FAIL ${e.stack || e}`);
          process.exitCode = 1;
        }
      })
      .finally(() => {
        for (const c of children) c.kill();
        fs.rmSync(work, { recursive: true, force: true });
      });
  }

  return { work, fail, ok, bs, bsJson, json, start, startChainAndDevice, chain, deploySafeStack, compareWithAnvil, main };
}

module.exports = { harness, gateToml, BS, WITNESS, ANVIL, CAST, OZ, ROOT, SafeArtifact };
