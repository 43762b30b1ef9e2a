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
const WITNESS = process.env.BS_WITNESS || path.join(ROOT, "target/debug/bounded-signer-witness");

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

  return { work, fail, ok, bs, bsJson, json, start, chain, compareWithAnvil, main };
}

module.exports = { harness, BS, WITNESS, ANVIL, CAST, OZ, ROOT };
