// The simulation gate on a real local chain, with the online collector:
//
//   anvil ← a TransparentUpgradeableProxy (OpenZeppelin 5) whose ProxyAdmin is owned by a
//           TimelockController whose proposer and executor is the executor's (emulated) Ledger;
//   release manager: a manifest whose gate names BoxV2's code hash, the chain of control (the
//           proxy's admin slot, the ProxyAdmin's owner, the executor's role) and, for execute,
//           the implementation slot and the Upgraded event it must produce;
//   executor:        for schedule, then execute: `bounded-signer-witness` against anvil, then
//           `check --witness` and `sign --witness` on the block hash it printed; the signed
//           transaction is mined at the witness's timestamp, and the simulation the verdict
//           showed is compared with what anvil did: status, gas used, every log, and every
//           balance, nonce and slot after it;
//   refusals:        without a witness (witness_missing); execute on the witness collected for
//           schedule (witness_incomplete); a manifest whose code hash is not BoxV2's
//           (implementation_code_mismatch); Timelock operations that grant a role or hand the
//           ProxyAdmin to an outsider (unexpected_effect, authority_mismatch), or call an allowed
//           contract that writes a slot of an unlisted one (unexpected_effect);
//   after:           verify-execution of the executed upgrade, of another transaction's hash, and
//           against a manifest expecting another event (contained; its next action refused on
//           that laptop and through a bundle; its rollback signed).
//
//     node gate.cjs   (run.sh installs the packages and builds the binaries first)
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { ethers } = require("ethers");
const { harness, gateToml, WITNESS, CAST, OZ } = require("./harness.cjs");

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const ADMIN_SLOT = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";
const { work, fail, ok, bs, bsJson, json, startChainAndDevice, chain, compareWithAnvil, main: run } = harness("gate");

async function main() {
  const { rpc, provider, device } = await startChainAndDevice();
  const executor = bsJson(["address", "--device", device]).address;
  const deployer = await provider.getSigner(0);
  const { mined, deploy } = chain(provider, deployer);
  await provider.send("anvil_setBalance", [executor, "0x56BC75E2D63100000"]);

  const timelock = await deploy(OZ("TimelockController"), [0, [executor], [executor], ethers.ZeroAddress]);
  const timelockAddress = await timelock.getAddress();
  const boxV1 = await (await deploy({ abi: [], bytecode: "0x600a600c600039600a6000f3602a60005260206000f3" }, [])).getAddress();
  const boxV2 = await (await deploy({ abi: [], bytecode: "0x600a600c600039600a6000f3602b60005260206000f3" }, [])).getAddress();
  const proxy = await (await deploy(OZ("TransparentUpgradeableProxy"), [boxV1, timelockAddress, "0x"])).getAddress();
  const admin = ethers.getAddress(ethers.dataSlice(await provider.getStorage(proxy, ADMIN_SLOT), 12));
  const v2CodeHash = ethers.keccak256(await provider.getCode(boxV2));
  ok(`deployed: Timelock ${timelockAddress} (executor ${executor}), ProxyAdmin ${admin}, proxy ${proxy}, BoxV2 ${boxV2}`);

  const adminIface = new ethers.Interface(OZ("ProxyAdmin").abi);
  const upgrade = adminIface.encodeFunctionData("upgradeAndCall", [proxy, boxV2, "0x"]);
  const salt = ethers.id("box-v2");
  const schedule = timelock.interface.encodeFunctionData("schedule", [admin, 0, upgrade, ethers.ZeroHash, salt, 0]);
  const execute = timelock.interface.encodeFunctionData("execute", [admin, 0, upgrade, ethers.ZeroHash, salt]);
  const attacker = ethers.getAddress("0x00000000000000000000000000000000000a77ac");
  const proposerRole = await timelock.PROPOSER_ROLE();
  const executorRole = await timelock.EXECUTOR_ROLE();
  const grant = timelock.interface.encodeFunctionData("grantRole", [proposerRole, attacker]);
  const scheduleGrant = timelock.interface.encodeFunctionData("schedule", [timelockAddress, 0, grant, ethers.ZeroHash, ethers.id("grant"), 0]);

  const now = Math.floor(Date.now() / 1000);
  const q = (s) => JSON.stringify(s);
  const manifestOf = (name, { codeHash = v2CodeHash, actions, event = boxV2, targets = [], rollback = ethers.id("rollback") }) => {
    const toml = [
      'format = "bounded-signer/manifest/v1"',
      `release = ${q(name)}`,
      "chain_id = 31337",
      `executor = ${q(executor)}`,
      `not_before = ${now - 3600}`,
      `expires_at = ${now + 86400}`,
      `allowed_targets = [${[timelockAddress, admin, proxy, boxV2, ...targets].map(q).join(", ")}]`,
      "[labels]",
      `${q(timelockAddress)} = "Timelock"`,
      `${q(admin)} = "ProxyAdmin"`,
      `${q(proxy)} = "Box proxy"`,
      `${q(boxV2)} = "BoxV2"`,
      "[rollback]",
      `manifest_hash = ${q(rollback)}`,
      ...actions.flatMap(([action, data, expect]) => [
        "[[actions]]",
        `name = ${q(action)}`,
        `to = ${q(timelockAddress)}`,
        `data = ${q(data)}`,
        "gas_limit_max = 500000",
        ...(expect ? gateToml.expectUpgrade(proxy, boxV2, event) : []),
      ]),
      ...gateToml.code(boxV2, codeHash),
      ...gateToml.adminSlot(proxy, admin),
      ...gateToml.call(admin, "owner()(address)", [], [timelockAddress]),
      ...gateToml.call(timelockAddress, "hasRole(bytes32,address)(bool)", [executorRole, executor], [true]),
      ...gateToml.call(timelockAddress, "hasRole(bytes32,address)(bool)", [proposerRole, attacker], [false]),
    ].join("\n");
    const file = path.join(work, `${name}.toml`);
    fs.writeFileSync(file, toml + "\n");
    const out = path.join(work, `${name}.cbor`);
    const built = bsJson(["manifest", "build", file, "-o", out]);
    return { path: out, hash: built.manifest_hash };
  };
  const release = manifestOf("release", { actions: [["schedule", schedule, false], ["execute", execute, true]] });
  ok(`manifest ${release.hash}: code, authority, and execute's expected slot and event`);

  /** The executor's transaction request for `data` at its next nonce. */
  const request = async (name, data, at = "pending") => {
    const nonce = Number(await provider.send("eth_getTransactionCount", [executor, at]));
    const file = path.join(work, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify({
      type: "0x2", chainId: "31337", nonce: String(nonce), to: timelockAddress, value: "0", data,
      gas: "500000", maxFeePerGas: "20000000000", maxPriorityFeePerGas: "1000000000",
    }));
    return file;
  };
  /** The online collector against anvil. */
  const collect = (name, manifest, tx) => {
    const out = path.join(work, `${name}.witness`);
    const w = json(WITNESS, ["--rpc", rpc, "--manifest", manifest.path, tx, "-o", out]);
    return { ...w, file: out };
  };
  const checkArgs = (manifest, tx, w) => ["check", "--manifest", manifest.path, "--approved-hash", manifest.hash,
    "--witness", w.file, "--block-hash", w.block.hash, "--now", w.timestamp, tx];

  /** Collect, check, sign, mine at T, and hold the simulation against what anvil did. */
  async function step(name, data) {
    const tx = await request(name, data);
    const w = collect(name, release, tx);
    const latest = await provider.send("eth_getBlockByNumber", ["latest", false]);
    if (w.block.hash !== latest.hash) fail(`${name}: the witness is of ${w.block.hash}, anvil's latest is ${latest.hash}`);
    if (w.simulation.status !== "success") fail(`${name}: the collector's replay: ${JSON.stringify(w.simulation)}`);
    ok(`${name}: witness of block ${w.block.number} ${w.block.hash}: ${w.accounts} accounts, ${w.slots} slots, ${w.codes} codes, ${w.requests} answers`);
    const verdict = bsJson(checkArgs(release, tx, w));
    if (verdict.verdict !== "approved") fail(`${name}: ${JSON.stringify(verdict.reasons)}`);
    const signed = bsJson(["sign", "--manifest", release.path, "--approved-hash", release.hash, tx, "--device", device,
      "--witness", w.file, "--block-hash", w.block.hash], "executor");
    if (JSON.stringify(signed.verdict.simulation) !== JSON.stringify(verdict.simulation)) fail(`${name}: sign simulated otherwise than check`);
    await provider.send("evm_setNextBlockTimestamp", [Number(w.timestamp)]);
    const published = spawnSync(CAST, ["publish", "--json", "--rpc-url", rpc, signed.signed_tx], { encoding: "utf8" });
    if (published.status !== 0) fail(`${name}: cast publish: ${published.stderr}`);
    const receipt = await mined(JSON.parse(published.stdout).transactionHash);
    const sim = verdict.simulation;
    const block = receipt.blockNumber;
    const compared = await compareWithAnvil(name, provider, rpc, sim, receipt);
    ok(`${name}: mined in block ${Number(block)} at T; anvil's gas (${Number(receipt.gasUsed)}), ${receipt.logs.length} logs and ${sim.state_diff.length} accounts (${compared} slots by cast storage) are the simulation's`);
    return { tx, w, verdict, hash: receipt.transactionHash };
  }

  // Refused before anything: no witness.
  const first = await request("schedule", schedule);
  const missing = bs(["--json", "check", "--manifest", release.path, "--approved-hash", release.hash, first]);
  if (missing.status !== 3 || JSON.stringify(JSON.parse(missing.stdout).reasons) !== '["witness_missing"]') fail(`no witness: ${missing.stdout}`);
  ok("schedule without a witness: witness_missing");

  const scheduled = await step("schedule", schedule);
  // Execute checked on the schedule's witness, which proves only what schedule reads: the
  // replay needs state it does not prove, and says which, never guessing a zero.
  const early = bs(["--json", ...checkArgs(release, await request("execute", execute, ethers.toQuantity(BigInt(scheduled.w.block.number))), scheduled.w)]);
  const earlyVerdict = JSON.parse(early.stdout);
  const incomplete = earlyVerdict.checks.find((c) => c.check === "witness" && !c.ok);
  if (early.status !== 3 || JSON.stringify(earlyVerdict.reasons) !== '["witness_incomplete"]') fail(`execute on the schedule's witness: ${early.stdout}`);
  ok(`execute on the schedule's witness: witness_incomplete (${incomplete.detail})`);
  const executed = await step("execute", execute);
  const upgraded = executed.verdict.simulation.logs.find((l) => l.event && l.event.name === "Upgraded");
  if (!upgraded || upgraded.event.args[0].value !== boxV2) fail("the simulation shows no Upgraded(BoxV2)");
  const slot = ethers.getAddress(ethers.dataSlice(await provider.getStorage(proxy, IMPLEMENTATION_SLOT), 12));
  if (slot !== boxV2) fail(`the implementation slot holds ${slot}`);
  ok(`the proxy runs BoxV2, as the simulation said before it was signed`);

  // A manifest that names another code hash for BoxV2.
  const wrongCode = manifestOf("wrong-code", { codeHash: ethers.id("not BoxV2"), actions: [["schedule", scheduleGrant, false]] });
  const tx = await request("wrong-code", scheduleGrant);
  const w = collect("wrong-code", wrongCode, tx);
  const refused = bs(["--json", ...checkArgs(wrongCode, tx, w)]);
  if (refused.status !== 3 || !JSON.parse(refused.stdout).reasons.includes("implementation_code_mismatch")) fail(`wrong code hash: ${refused.stdout}`);
  ok("a code hash that is not BoxV2's deployed code: implementation_code_mismatch");

  /** A Timelock operation on `target` with `payload` in a release of its own: its schedule
   * passes (it only schedules) and is mined; its execution is checked on its own witness and
   * must be refused with every one of `reasons`. Returns the verdict. */
  async function refusedOperation(name, target, payload, reasons, targets = []) {
    const opSalt = ethers.id(name);
    const scheduleOp = timelock.interface.encodeFunctionData("schedule", [target, 0, payload, ethers.ZeroHash, opSalt, 0]);
    const executeOp = timelock.interface.encodeFunctionData("execute", [target, 0, payload, ethers.ZeroHash, opSalt]);
    const m = manifestOf(name, { actions: [[`schedule-${name}`, scheduleOp, false], [`execute-${name}`, executeOp, false]], targets });
    const sched = await request(`schedule-${name}`, scheduleOp);
    bsJson(checkArgs(m, sched, collect(`schedule-${name}`, m, sched)));
    await provider.send("anvil_impersonateAccount", [executor]);
    const impersonated = await provider.getSigner(executor);
    await mined((await impersonated.sendTransaction({ to: timelockAddress, data: scheduleOp })).hash);
    await provider.send("anvil_stopImpersonatingAccount", [executor]);
    const exec = await request(`execute-${name}`, executeOp);
    const verdict = JSON.parse(bs(["--json", ...checkArgs(m, exec, collect(`execute-${name}`, m, exec))]).stdout);
    for (const reason of reasons) {
      if (!verdict.reasons.includes(reason)) fail(`${name}: ${JSON.stringify(verdict.reasons)} lacks ${reason}`);
    }
    return verdict;
  }
  // Granting the proposer role to an outsider.
  const grantVerdict = await refusedOperation("grant", timelockAddress, grant, ["unexpected_effect", "authority_mismatch"]);
  if (!grantVerdict.simulation.logs.some((l) => l.event && l.event.name === "RoleGranted")) fail("the simulation shows no RoleGranted");
  ok(`a Timelock operation granting PROPOSER_ROLE to ${attacker}: ${grantVerdict.reasons.join(", ")}`);
  // Handing the ProxyAdmin to an outsider.
  const handOver = adminIface.encodeFunctionData("transferOwnership", [attacker]);
  const ownerVerdict = await refusedOperation("owner", admin, handOver, ["unexpected_effect", "authority_mismatch"]);
  if (!ownerVerdict.simulation.logs.some((l) => l.event && l.event.name === "OwnershipTransferred")) fail("the simulation shows no OwnershipTransferred");
  ok(`a Timelock operation handing the ProxyAdmin to ${attacker}: ${ownerVerdict.reasons.join(", ")}`);
  // An allowed contract that writes a slot of one the release does not list: the call tree shows
  // only the allowed one; the replay sees the write.
  const victim = await (await deploy({ abi: [], bytecode: "0x600680600b6000396000f3600160005500" }, [])).getAddress();
  const poker = await (await deploy({ abi: [], bytecode: `0x602280600b6000396000f36000600060006000600073${victim.slice(2)}5af100` }, [])).getAddress();
  const pokeVerdict = await refusedOperation("poke", poker, "0x", ["unexpected_effect"], [poker]);
  const wrote = pokeVerdict.checks.find((c) => c.check === "effects" && !c.ok);
  if (!wrote || !wrote.detail.includes(victim)) fail(`the unlisted write: ${JSON.stringify(pokeVerdict.checks)}`);
  ok(`a call to an allowed contract that writes to unlisted ${victim}: ${pokeVerdict.reasons.join(", ")} (${wrote.detail})`);

  // After the executor fired: the post-execution witness, and what the chain did held against
  // the manifest, on the executor's laptop (whose journal signed the transaction).
  const afterFile = path.join(work, "after-execute.witness");
  const after = json(WITNESS, ["--rpc", rpc, "--manifest", release.path, "--after", executed.hash, "-o", afterFile]);
  ok(`after execute: witness of block ${after.block.number} ${after.block.hash} with its ${after.simulation.logs} logs, every transaction and receipt, ${after.accounts} accounts`);
  const verifyArgs = (manifest, tx, home) => ["verify-execution", "--manifest", manifest.path, "--approved-hash", manifest.hash,
    "--witness", afterFile, "--block-hash", after.block.hash, "--tx", tx, ...(home ? ["-o", path.join(work, `${home}.containment`)] : [])];
  const verified = bsJson(verifyArgs(release, executed.hash), "executor");
  if (verified.verdict !== "verified" || !verified.checks.some((c) => c.check === "execution" && c.detail.includes("journal signed"))) {
    fail(`verify-execution: ${JSON.stringify(verified)}`);
  }
  const upgradedOnChain = verified.receipt.logs.find((l) => l.event && l.event.name === "Upgraded");
  if (!upgradedOnChain || verified.containment !== null) fail(`verify-execution: ${JSON.stringify(verified.receipt)}`);
  ok(`verify-execution: verified (the receipt's Upgraded(BoxV2), the implementation slot and the chain of control after the block, the journal's own transaction)`);
  // The receipt of another transaction: this block does not hold schedule's.
  const wrongTx = bs(["--json", ...verifyArgs(release, scheduled.hash)], "executor");
  const wrongVerdict = JSON.parse(wrongTx.stdout);
  if (wrongTx.status !== 3 || JSON.stringify(wrongVerdict.reasons) !== '["witness_invalid"]' || wrongVerdict.containment !== null) {
    fail(`verify-execution of another transaction: ${wrongTx.stdout}`);
  }
  ok("verify-execution of schedule's hash on execute's block: witness_invalid, nothing contained");

  // A release whose execute expects Upgraded(BoxV1): what the chain did diverges from it, and it
  // is contained; its rollback manifest stays signable.
  const rollbackSchedule = timelock.interface.encodeFunctionData("schedule", [
    admin, 0, adminIface.encodeFunctionData("upgradeAndCall", [proxy, boxV1, "0x"]), ethers.ZeroHash, ethers.id("rollback"), 0,
  ]);
  const rollbackRelease = manifestOf("rollback", { actions: [["rollback-schedule", rollbackSchedule, false]], targets: [boxV1] });
  const wrongEvent = manifestOf("wrong-event", {
    actions: [["schedule", schedule, false], ["execute", execute, true]], event: boxV1, rollback: rollbackRelease.hash,
  });
  const diverged = bs(["--json", ...verifyArgs(wrongEvent, executed.hash, "verifier")], "verifier");
  const divergedVerdict = JSON.parse(diverged.stdout);
  const containmentFile = path.join(work, "verifier.containment");
  if (diverged.status !== 3 || divergedVerdict.verdict !== "diverged" || JSON.stringify(divergedVerdict.reasons) !== '["post_execution_mismatch"]'
    || divergedVerdict.containment.file !== containmentFile || divergedVerdict.containment.rollback_manifest_hash !== rollbackRelease.hash) {
    fail(`verify-execution against the wrong event: ${diverged.stdout}`);
  }
  ok(`an execution whose event is not the manifest's: post_execution_mismatch, contained (journal record ${divergedVerdict.containment.journal_record}, ${path.basename(containmentFile)}), rollback ${rollbackRelease.hash}`);
  const journalShown = bs(["journal", "show"], "verifier").stdout;
  if (!journalShown.includes("contained") || !journalShown.includes(wrongEvent.hash)) fail(`the journal: ${journalShown}`);
  // The next action of the contained release is refused on that laptop, and on a fresh one that
  // reads a bundle carrying the containment file; the rollback is still signed.
  const nextTx = await request("next", schedule);
  const signArgs = (source, manifest, tx, home, extra = []) => bs(["--json", "sign", ...source, "--approved-hash", manifest.hash, tx, "--device", device, ...extra], home);
  const here = signArgs(["--manifest", wrongEvent.path], wrongEvent, nextTx, "verifier");
  if (here.status !== 3 || !JSON.parse(here.stdout).reasons.includes("release_contained")) fail(`sign after containment: ${here.stdout}`);
  const bundle = path.join(work, "contained.bundle");
  bsJson(["bundle", "create", "--manifest", wrongEvent.path, "--containment", containmentFile, "-o", bundle]);
  const fresh = signArgs(["--bundle", bundle], wrongEvent, nextTx, "fresh");
  if (fresh.status !== 3 || !JSON.parse(fresh.stdout).reasons.includes("release_contained")) fail(`sign through the bundle: ${fresh.stdout}`);
  ok("the contained release's next action: release_contained, on the verifier's laptop and on a fresh one through the bundle");
  const rollbackTx = await request("rollback-schedule", rollbackSchedule);
  const rw = collect("rollback-schedule", rollbackRelease, rollbackTx);
  const rollbackSigned = JSON.parse(signArgs(["--manifest", rollbackRelease.path], rollbackRelease, rollbackTx, "verifier",
    ["--witness", rw.file, "--block-hash", rw.block.hash]).stdout);
  if (rollbackSigned.verdict.verdict !== "approved" || !rollbackSigned.signed_tx) fail(`the rollback: ${JSON.stringify(rollbackSigned)}`);
  ok("the rollback manifest's action is still signed on the verifier's laptop");
  console.log("gate: the simulation gate ran end to end on anvil");
}

run(main);
