// The simulation gate's whole-process benchmark (benches/gate.sh runs it): the executor's
// Safe -> Timelock -> ProxyAdmin -> proxy execute, checked offline by `bounded-signer check
// --witness` (proof verification of every value, the revm replay, the gate), side by side with
// `cast call --trace` of the same transaction on anvil, which executes it against the node's live
// state with no proof at all. Both are timed as whole processes, alternating, in the same run.
//
//     benches/gate.sh [RUNS]
"use strict";
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { ethers } = require("ethers");
const { harness, gateToml, BS, WITNESS, ANVIL, CAST, OZ } = require("./harness.cjs");

const RUNS = Number(process.env.RUNS || 30);
const { work, fail, ok, bsJson, json, start, chain, deploySafeStack, main: run } = harness("bench");

/** The owners' EIP-712 signatures of a SafeTx, in the order the Safe reads them. */
async function safeSignatures(wallets, safe, tx) {
  const domain = { chainId: 31337, verifyingContract: safe };
  const types = {
    SafeTx: [
      { name: "to", type: "address" }, { name: "value", type: "uint256" }, { name: "data", type: "bytes" },
      { name: "operation", type: "uint8" }, { name: "safeTxGas", type: "uint256" }, { name: "baseGas", type: "uint256" },
      { name: "gasPrice", type: "uint256" }, { name: "gasToken", type: "address" }, { name: "refundReceiver", type: "address" },
      { name: "nonce", type: "uint256" },
    ],
  };
  const sorted = [...wallets].sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  const sigs = await Promise.all(sorted.map((w) => w.signTypedData(domain, types, tx)));
  return ethers.concat(sigs);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const [, rpcPort] = await start(ANVIL, ["--port", "0", "--chain-id", "31337"], /Listening on 127\.0\.0\.1:(\d+)/);
  const rpc = `http://127.0.0.1:${rpcPort}`;
  const provider = new ethers.JsonRpcProvider(rpc, 31337, { staticNetwork: true });
  const deployer = await provider.getSigner(0);
  const executor = await provider.getSigner(1);
  const owners = [1, 2, 3].map((i) => new ethers.Wallet(ethers.id(`bench owner ${i}`)));
  const { mined } = chain(provider, deployer);
  const { safe, timelock, timelockAddress, boxV2, proxy, admin } = await deploySafeStack(provider, deployer, owners.map((o) => o.address), 0);
  const upgrade = new ethers.Interface(OZ("ProxyAdmin").abi).encodeFunctionData("upgradeAndCall", [proxy, boxV2, "0x"]);
  const salt = ethers.id("box-v2");
  const schedule = timelock.interface.encodeFunctionData("schedule", [admin, 0, upgrade, ethers.ZeroHash, salt, 0]);
  const execute = timelock.interface.encodeFunctionData("execute", [admin, 0, upgrade, ethers.ZeroHash, salt]);
  const safeTx = (data, nonce) => ({
    to: timelockAddress, value: 0, data, operation: 0, safeTxGas: 0, baseGas: 0, gasPrice: 0,
    gasToken: ethers.ZeroAddress, refundReceiver: ethers.ZeroAddress, nonce,
  });
  const safeIface = new ethers.Interface(require("@safe-global/safe-contracts/build/artifacts/contracts/Safe.sol/Safe.json").abi);
  const execData = async (data, nonce) => {
    const t = safeTx(data, nonce);
    return safeIface.encodeFunctionData("execTransaction", [
      t.to, t.value, t.data, t.operation, t.safeTxGas, t.baseGas, t.gasPrice, t.gasToken, t.refundReceiver,
      await safeSignatures(owners, safe, t),
    ]);
  };
  // The schedule runs on anvil; the execute is what is benchmarked.
  await mined((await executor.sendTransaction({ to: safe, data: await execData(schedule, 0), gasLimit: 1000000 })).hash);
  const data = await execData(execute, 1);
  const from = await executor.getAddress();
  const q = (s) => JSON.stringify(s);
  const now = Math.floor(Date.now() / 1000);
  const sorted = owners.map((o) => o.address).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const toml = [
    'format = "bounded-signer/manifest/v1"', 'release = "bench"', "chain_id = 31337", `executor = ${q(from)}`,
    `not_before = ${now - 3600}`, `expires_at = ${now + 86400}`,
    `allowed_targets = [${[safe, timelockAddress, admin, proxy, boxV2].map(q).join(", ")}]`,
    "[rollback]", `manifest_hash = ${q(ethers.id("rollback"))}`,
    "[[safes]]", `address = ${q(safe)}`, 'version = "1.4.1"', `owners = [${sorted.map(q).join(", ")}]`, "threshold = 2",
    ...[["schedule", 0, schedule], ["execute", 1, execute]].flatMap(([name, nonce, d]) => [
      "[[actions]]", 'kind = "safe"', `name = ${q(name)}`, `safe = ${q(safe)}`, `nonce = ${nonce}`,
      `to = ${q(timelockAddress)}`, `data = ${q(d)}`, "gas_limit_max = 1000000",
      ...(name === "execute" ? gateToml.expectUpgrade(proxy, boxV2) : []),
    ]),
    ...gateToml.code(boxV2, ethers.keccak256(await provider.getCode(boxV2))),
    ...gateToml.call(admin, "owner()(address)", [], [timelockAddress]),
    ...gateToml.call(safe, "getThreshold()(uint256)", [], [2]),
  ].join("\n") + "\n";
  fs.writeFileSync(path.join(work, "bench.toml"), toml);
  const manifest = path.join(work, "bench.cbor");
  const hash = bsJson(["manifest", "build", path.join(work, "bench.toml"), "-o", manifest]).manifest_hash;
  const nonce = Number(await provider.send("eth_getTransactionCount", [from, "latest"]));
  const txFile = path.join(work, "execute.json");
  fs.writeFileSync(txFile, JSON.stringify({ type: "0x2", chainId: "31337", nonce: String(nonce), to: safe, value: "0", data,
    gas: "1000000", maxFeePerGas: "20000000000", maxPriorityFeePerGas: "1000000000" }));
  const witness = path.join(work, "execute.witness");
  const w = json(WITNESS, ["--rpc", rpc, "--manifest", manifest, txFile, "-o", witness]);
  const checkArgs = ["check", "--manifest", manifest, "--approved-hash", hash, "--witness", witness,
    "--block-hash", w.block.hash, "--now", w.timestamp, txFile];
  const verdict = bsJson(checkArgs);
  if (verdict.verdict !== "approved") fail(`check: ${JSON.stringify(verdict.reasons)}`);
  const castArgs = ["call", "--trace", "--rpc-url", rpc, "--from", from, safe, data];
  const traced = spawnSync(CAST, castArgs, { encoding: "utf8" });
  if (traced.status !== 0 || !traced.stdout.includes(ethers.id("Upgraded(address)").slice(2))) fail(`cast call --trace: ${traced.stderr}${traced.stdout.slice(0, 400)}`);
  ok(`Safe -> Timelock -> ProxyAdmin execute: witness of ${w.accounts} accounts, ${w.slots} slots, ${w.codes} codes (${w.bytes} bytes); check approves it and cast's trace shows Upgraded`);

  // Timed without blocking this process: anvil's log goes through a pipe it drains, and a
  // blocked event loop would stall anvil (and time cast out) once the pipe fills.
  const time = (cmd, args) =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      child.on("close", (code) => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (code !== 0) fail(`${path.basename(cmd)}: exit ${code}: ${err}`);
        resolve(ms);
      });
    });
  const ours = [];
  const theirs = [];
  for (let i = 0; i < 3; i++) {
    await time(BS, checkArgs);
    await time(CAST, castArgs);
  }
  for (let i = 0; i < RUNS; i++) {
    ours.push(await time(BS, checkArgs));
    theirs.push(await time(CAST, castArgs));
  }
  const a = median(ours);
  const b = median(theirs);
  console.log(`bench: ${RUNS} runs each, alternating, median wall time of the whole process:`);
  console.log(`bench:   bounded-signer check --witness (verify every proof, revm replay, gate)  ${a.toFixed(1)} ms`);
  console.log(`bench:   cast call --trace on anvil (live state, no proof)                       ${b.toFixed(1)} ms`);
  console.log(`bench:   ratio ${(a / b).toFixed(2)}x (goal <= 1x)`);
}

run(main);
