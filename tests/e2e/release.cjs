// A whole release on a real local chain, as the people of a ceremony run it, with emulated
// Ledgers (one emulator, one account path per person):
//
//   anvil ← a TransparentUpgradeableProxy (OpenZeppelin 5) whose ProxyAdmin is owned by a
//           TimelockController whose proposer and executor is a 2-of-3 Safe 1.4.1;
//   release manager: `manifest build` (schedule and execute, each a Safe action);
//   two approvers:   `approve` of the manifest, each on their own state home (ethers recovers
//                    each approval from the documented EIP-712 types); the trust file names
//                    them, and every later step proves approval by their quorum;
//   the gate:        the manifest names BoxV2's code hash, the chain of control (the proxy's
//                    admin slot, the ProxyAdmin's owner, the Timelock's executor role, the Safe's
//                    threshold) and, for execute, the implementation slot and Upgraded event;
//   two owners:      `bounded-signer-witness --safe-tx` against anvil, then `safe sign --witness`
//                    of each Safe transaction (simulated as Safe tooling does: threshold 1, no
//                    balance check, both shown), each on their own state home;
//   executor:        `safe exec-tx`, the witness of its execTransaction, then `sign --witness`;
//                    the signed transaction is mined at the witness's time (`cast publish`), and
//                    anvil's gas, logs, balances, nonces and slots are the simulation's, and its
//                    logs the ones the owners' simulation showed;
//   the chain:       the Timelock's delay (10 s) passes as the next block is made 12 s later;
//   then:            the EIP-1967 implementation slot holds BoxV2 and the proxy logged Upgraded.
// And a tampered run: the implementation swapped inside the Safe transaction is refused at the
// co-signer, before any device; and one approval short of the quorum is refused alone.
//
//     node release.cjs   (run.sh installs the packages and builds the binary first)
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { ethers } = require("ethers");
const { harness, gateToml, WITNESS, CAST, OZ, SafeArtifact } = require("./harness.cjs");

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const ADMIN_SLOT = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";
const DELAY = 10;
const { work, fail, ok, bsJson, bs, json, startChainAndDevice, chain, deploySafeStack, compareWithAnvil, main: run } = harness("e2e");

async function main() {
  const { rpc, rpcPort, provider, apdu, device } = await startChainAndDevice();
  const pathOf = (i) => `m/44'/60'/0'/0/${i}`;
  const addressOf = (i) => bsJson(["address", "--device", device, "--path", pathOf(i)]).address;
  const owners = [0, 1, 2].map(addressOf);
  const executor = addressOf(3);
  ok(`anvil ${(await provider.send("web3_clientVersion", [])).split("/")[1]} on ${rpcPort}, emulator on ${apdu}`);

  // The contracts, deployed by anvil's first (unlocked) account.
  const deployer = await provider.getSigner(0);
  const { mined } = chain(provider, deployer);
  const { safe, timelock, timelockAddress, boxV1, boxV2, proxy, admin } = await deploySafeStack(provider, deployer, owners, DELAY);
  await provider.send("anvil_setBalance", [executor, "0x56BC75E2D63100000"]);
  // anvil sets a balance without a block, and answers eth_getProof on that uncommitted state
  // while the latest header still names the old state root: a block commits it.
  await provider.send("evm_mine", []);
  ok(`deployed: Safe ${safe} (2 of 3), Timelock ${timelockAddress}, ProxyAdmin ${admin}, proxy ${proxy}`);

  // The release: schedule then execute ProxyAdmin.upgradeAndCall(proxy, BoxV2, 0x) through the
  // Timelock, each a Safe transaction at its own Safe nonce.
  const adminIface = new ethers.Interface(OZ("ProxyAdmin").abi);
  const upgrade = (impl) => adminIface.encodeFunctionData("upgradeAndCall", [proxy, impl, "0x"]);
  const salt = ethers.id("box-v2");
  const schedule = (impl) =>
    timelock.interface.encodeFunctionData("schedule", [admin, 0, upgrade(impl), ethers.ZeroHash, salt, DELAY]);
  const execute = timelock.interface.encodeFunctionData("execute", [admin, 0, upgrade(boxV2), ethers.ZeroHash, salt]);
  const now = Math.floor(Date.now() / 1000);
  const sorted = [...owners].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const q = (s) => JSON.stringify(s);
  const toml = [
    'format = "bounded-signer/manifest/v1"',
    'release = "box-v2 through the Safe and the Timelock"',
    "chain_id = 31337",
    `executor = ${q(executor)}`,
    `not_before = ${now - 3600}`,
    `expires_at = ${now + 86400}`,
    `allowed_targets = [${[safe, timelockAddress, admin, proxy, boxV2].map(q).join(", ")}]`,
    "[rollback]",
    `manifest_hash = ${q(ethers.id("rollback"))}`,
    "[[safes]]",
    `address = ${q(safe)}`,
    'version = "1.4.1"',
    `owners = [${sorted.map(q).join(", ")}]`,
    "threshold = 2",
    ...[["schedule", 0, schedule(boxV2)], ["execute", 1, execute]].flatMap(([name, nonce, data]) => [
      "[[actions]]",
      'kind = "safe"',
      `name = ${q(name)}`,
      `safe = ${q(safe)}`,
      `nonce = ${nonce}`,
      `to = ${q(timelockAddress)}`,
      `data = ${q(data)}`,
      "gas_limit_max = 1000000",
      'max_fee_per_gas_max = "100000000000"',
      'max_priority_fee_per_gas_max = "10000000000"',
      ...(name === "execute" ? gateToml.expectUpgrade(proxy, boxV2) : []),
    ]),
    ...gateToml.code(boxV2, ethers.keccak256(await provider.getCode(boxV2))),
    ...gateToml.adminSlot(proxy, admin),
    ...gateToml.call(admin, "owner()(address)", [], [timelockAddress]),
    ...gateToml.call(timelockAddress, "hasRole(bytes32,address)(bool)", [await timelock.EXECUTOR_ROLE(), safe], [true]),
    ...gateToml.call(safe, "getThreshold()(uint256)", [], [2]),
  ].join("\n");
  fs.writeFileSync(path.join(work, "release.toml"), toml + "\n");
  const manifest = path.join(work, "release.manifest.cbor");
  const built = bsJson(["manifest", "build", path.join(work, "release.toml"), "-o", manifest]);
  const hash = built.manifest_hash;
  ok(`manifest ${hash}`);

  // Two approvers, neither an owner nor the executor, approve the manifest on their own Ledgers.
  const approverPaths = [4, 5];
  const approvers = approverPaths.map(addressOf);
  const releaseApproval = {
    domain: { name: "bounded-signer", version: "1", chainId: 31337 },
    types: {
      ReleaseApproval: [
        { name: "manifestHash", type: "bytes32" },
        { name: "release", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "notBefore", type: "uint64" },
        { name: "expiresAt", type: "uint64" },
      ],
    },
    value: {
      manifestHash: hash,
      release: "box-v2 through the Safe and the Timelock",
      chainId: 31337,
      notBefore: now - 3600,
      expiresAt: now + 86400,
    },
  };
  const approvals = approverPaths.map((p, i) => {
    const file = path.join(work, `approver${i}.approval`);
    const a = bsJson(["approve", "--manifest", manifest, "-o", file, "--device", device, "--path", pathOf(p)], `approver${i}`);
    const { domain, types, value } = releaseApproval;
    const recovered = ethers.verifyTypedData(domain, types, value, a.signature_bytes);
    if (recovered !== approvers[i] || a.approver !== approvers[i]) {
      fail(`approval ${i}: ethers recovers ${recovered}, the file names ${a.approver}, the device is ${approvers[i]}`);
    }
    if (!fs.readFileSync(file).includes(Buffer.from(a.signature_bytes.slice(2), "hex"))) fail(`approval ${i}: the file lacks its signature`);
    return file;
  });
  const trust = path.join(work, "trust.toml");
  fs.writeFileSync(trust, `threshold = 2\napprovers = [${approvers.map(q).join(", ")}]\nseparate_roles = true\n`);
  const proof = ["--trust", trust, ...approvals.flatMap((f) => ["--approvals", f])];
  ok(`two approvers approved the manifest (ethers recovers both from the ReleaseApproval types): ${approvers.join(", ")}`);

  const safeTx = (data, nonce) =>
    JSON.stringify({ safe, chainId: 31337, safeVersion: "1.4.1", to: timelockAddress, value: "0", data, operation: 0, nonce });

  /** The online collector against anvil: `what` is TX, or ["--safe-tx", SAFE_TX]. */
  const collect = (name, what) => {
    const file = path.join(work, `${name}.witness`);
    const w = json(WITNESS, ["--rpc", rpc, "--manifest", manifest, ...what, "-o", file]);
    if (w.simulation.status !== "success") fail(`${name}: the collector's replay: ${JSON.stringify(w.simulation)}`);
    return { file, hash: w.block.hash, timestamp: w.timestamp, w };
  };

  async function release(name, data, nonce) {
    // The owners' witness, collected online, and the block hash they compare.
    const ownerWitness = collect(`${name}-safe`, ["--safe-tx", safeTx(data, nonce)]);
    ok(`${name}: witness of block ${ownerWitness.w.block.number} for the Safe transaction (${ownerWitness.w.accounts} accounts, ${ownerWitness.w.slots} slots)`);
    // Two owners, each on their own laptop.
    let ownerSimulation;
    const files = [0, 1].map((i) => {
      const signed = bsJson(
        ["safe", "sign", "--manifest", manifest, ...proof, safeTx(data, nonce), "--device", device, "--path", pathOf(i),
          "--witness", ownerWitness.file, "--block-hash", ownerWitness.hash],
        `owner${i}`,
      );
      if (signed.signer !== owners[i]) fail(`${name}: owner ${i} signed as ${signed.signer}`);
      const sim = signed.verdict.simulation;
      const kinds = sim.overrides.map((o) => o.kind).join(",");
      if (sim.status !== "success" || kinds !== "storage,no_balance_check" || sim.overrides[0].address !== safe || sim.overrides[0].slot !== ethers.toBeHex(4, 32)) {
        fail(`${name}: owner ${i}'s simulation: ${JSON.stringify(sim)}`);
      }
      ownerSimulation = sim;
      const file = path.join(work, `${name}-owner${i}.json`);
      fs.writeFileSync(file, JSON.stringify(signed));
      return file;
    });
    const onChainHash = await new ethers.Contract(safe, SafeArtifact.abi, provider).getTransactionHash(
      timelockAddress, 0, data, 0, 0, 0, 0, ethers.ZeroAddress, ethers.ZeroAddress, nonce,
    );
    const first = JSON.parse(fs.readFileSync(files[0], "utf8"));
    if (first.safe_tx_hash !== onChainHash) fail(`${name}: safeTxHash ${first.safe_tx_hash}, the Safe computes ${onChainHash}`);
    ok(`${name}: two owners signed safeTxHash ${onChainHash} (the Safe's own getTransactionHash)`);
    // The executor assembles, signs and publishes.
    const txFile = path.join(work, `${name}.tx`);
    // Asked of the node directly: ethers caches a repeated request for a moment.
    const accountNonce = Number(await provider.send("eth_getTransactionCount", [executor, "pending"]));
    bsJson(
      ["safe", "exec-tx", "--manifest", manifest, "--action", name, "--signature", files[1], "--signature", files[0],
        "--nonce", String(accountNonce), "--gas-limit", "1000000", "--max-fee", "20000000000", "--priority-fee", "1000000000",
        "-o", txFile],
      "executor",
    );
    const executorWitness = collect(name, [txFile]);
    const signed = bsJson(
      ["sign", "--manifest", manifest, ...proof, txFile, "--device", device, "--path", pathOf(3),
        "--witness", executorWitness.file, "--block-hash", executorWitness.hash],
      "executor",
    );
    // Published as a broadcaster would: `cast publish` of the signed raw transaction, which
    // waits for its receipt (anvil mines at once), in the block the witness simulated.
    await provider.send("evm_setNextBlockTimestamp", [Number(executorWitness.timestamp)]);
    const published = spawnSync(CAST, ["publish", "--json", "--rpc-url", rpc, signed.signed_tx], { encoding: "utf8" });
    if (published.status !== 0) fail(`${name}: cast publish: ${published.stderr}`);
    const receipt = JSON.parse(published.stdout);
    if (receipt.transactionHash !== signed.tx_hash) fail(`${name}: cast published ${receipt.transactionHash}, sign said ${signed.tx_hash}`);
    if (Number(receipt.status) !== 1) fail(`${name}: the transaction reverted`);
    const slots = await compareWithAnvil(name, provider, rpc, signed.verdict.simulation, receipt);
    const logs = (sim) => JSON.stringify(sim.logs.map((l) => [l.address, l.topics, l.data]));
    if (logs(ownerSimulation) !== logs(signed.verdict.simulation)) fail(`${name}: the owners' simulation showed other logs than the chain made`);
    receipt.blockNumber = Number(receipt.blockNumber);
    receipt.hash = receipt.transactionHash;
    ok(`${name}: executed in block ${receipt.blockNumber} (tx ${receipt.hash}): gas, ${receipt.logs.length} logs and ${slots} slots as simulated, the logs the owners saw`);
    return receipt;
  }

  // Tampered first: the implementation swapped inside the Safe transaction.
  const tampered = bs(
    ["--json", "safe", "sign", "--manifest", manifest, ...proof, safeTx(schedule(boxV1), 0), "--device", device],
    "owner0",
  );
  const verdict = JSON.parse(tampered.stdout);
  if (tampered.status !== 3 || !verdict.reasons.includes("safe_tx_not_approved")) {
    fail(`tampered: exit ${tampered.status}, reasons ${JSON.stringify(verdict.reasons)}`);
  }
  ok(`tampered schedule (BoxV1 in place of BoxV2) refused at the co-signer: ${verdict.reasons.join(", ")}`);
  // One approval short of the quorum: refused alone, before the Safe transaction is looked at.
  const short = bs(
    ["--json", "safe", "sign", "--manifest", manifest, "--trust", trust, "--approvals", approvals[0], safeTx(schedule(boxV2), 0), "--device", device],
    "owner0",
  );
  const shortVerdict = JSON.parse(short.stdout);
  if (short.status !== 3 || JSON.stringify(shortVerdict.reasons) !== '["approval_quorum_not_met"]') {
    fail(`one approval: exit ${short.status}, reasons ${JSON.stringify(shortVerdict.reasons)}`);
  }
  ok("one approval of two refused at the co-signer: approval_quorum_not_met, alone");

  await release("schedule", schedule(boxV2), 0);
  const receipt = await release("execute", execute, 1);

  const slot = ethers.getAddress(ethers.dataSlice(await provider.getStorage(proxy, IMPLEMENTATION_SLOT), 12));
  if (slot !== boxV2) fail(`the implementation slot holds ${slot}, not BoxV2 ${boxV2}`);
  const upgraded = receipt.logs.find(
    (l) => ethers.getAddress(l.address) === proxy && l.topics[0] === ethers.id("Upgraded(address)"),
  );
  if (!upgraded || ethers.getAddress(ethers.dataSlice(upgraded.topics[1], 12)) !== boxV2) fail("no Upgraded(BoxV2) from the proxy");
  ok(`the proxy's EIP-1967 implementation is BoxV2 ${boxV2}, and it logged Upgraded(BoxV2)`);
  console.log("e2e: the release ran end to end");
}

run(main);
