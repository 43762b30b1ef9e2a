// Regenerates simulator/tests/fixtures/anvil-upgrade.json: a real upgrade on a real anvil, for
// the offline replay's tests. An OpenZeppelin 5 TransparentUpgradeableProxy whose ProxyAdmin is
// owned by an account; that account sends ProxyAdmin.upgradeAndCall(proxy, V2, 0x). Before it is
// sent, the fixture takes the parent block's header and EIP-1186 proofs of everything the
// transaction reads (found by anvil's prestateTracer), then mines it at the timestamp T the
// witness names, and records what anvil did: the receipt's logs and status, and every changed
// account's balance, nonce and written slots after it.
//
//     (cd tests/e2e && npm ci && node replay_fixture.cjs)
"use strict";
const fs = require("fs");
const path = require("path");
const { ethers } = require("ethers");

const { startAnvil } = require("./anvil.cjs");
const OZ = (name) => require(`@openzeppelin/contracts/build/contracts/${name}.json`);
const OUT = path.join(__dirname, "../../simulator/tests/fixtures/anvil-upgrade.json");
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
    const tiny = { abi: [], bytecode: "0x600a600c600039600a6000f3602a60005260206000f3" };
    const v1 = await deploy(tiny, []);
    const v2 = await deploy({ abi: [], bytecode: "0x600a600c600039600a6000f3602b60005260206000f3" }, []);
    const proxy = await deploy(OZ("TransparentUpgradeableProxy"), [v1, await owner.getAddress(), "0x"]);
    const admin = ethers.getAddress(ethers.dataSlice(await provider.getStorage(proxy, ADMIN_SLOT), 12));
    const data = new ethers.Interface(OZ("ProxyAdmin").abi).encodeFunctionData("upgradeAndCall", [proxy, v2, "0x"]);
    const from = await owner.getAddress();
    const parent = await provider.send("eth_getBlockByNumber", ["latest", false]);
    const timestamp = Number(parent.timestamp) + 12;
    const nonce = await provider.getTransactionCount(from);
    const tx = { from, to: admin, data, gas: "0x30d40", maxFeePerGas: "0x77359400", maxPriorityFeePerGas: "0x3b9aca00", nonce: ethers.toQuantity(nonce), value: "0x0" };
    // What the transaction reads, as anvil's prestateTracer sees it at the parent block.
    const pre = await provider.send("debug_traceCall", [tx, parent.number, { tracer: "prestateTracer" }]);
    const zero = ethers.ZeroAddress;
    const accounts = Array.from(new Set([...Object.keys(pre).map((a) => ethers.getAddress(a)), zero]));
    // And what the manifest's gate reads, as the collector records it: the proxy's EIP-1967
    // implementation and admin slots.
    const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
    const gateSlots = { [proxy]: [IMPLEMENTATION_SLOT, ADMIN_SLOT] };
    const proofs = [];
    for (const a of accounts) {
      const traced = Object.keys((pre[a.toLowerCase()] || pre[a] || {}).storage || {});
      const slots = Array.from(new Set([...traced, ...(gateSlots[a] || [])])).sort();
      proofs.push(await provider.send("eth_getProof", [a, slots, parent.number]));
    }
    const codes = [];
    for (const a of accounts) {
      const code = await provider.send("eth_getCode", [a, parent.number]);
      if (code !== "0x") codes.push(code);
    }
    await provider.send("evm_setNextBlockTimestamp", [timestamp]);
    const hash = await provider.send("eth_sendTransaction", [tx]);
    const receipt = await provider.send("eth_getTransactionReceipt", [hash]);
    const post = {};
    for (const a of accounts) {
      const slots = Object.keys((pre[a.toLowerCase()] || pre[a] || {}).storage || {});
      const storage = {};
      for (const s of slots.concat([ethers.zeroPadValue("0x00", 32)])) storage[s] = await provider.getStorage(a, s, receipt.blockNumber);
      post[a] = {
        balance: ethers.toQuantity(await provider.getBalance(a, receipt.blockNumber)),
        nonce: await provider.getTransactionCount(a, receipt.blockNumber),
        storage,
      };
    }
    // The implementation slot, written by the upgrade.
    post[proxy].storage[IMPLEMENTATION_SLOT] = await provider.getStorage(proxy, IMPLEMENTATION_SLOT, receipt.blockNumber);
    const fixture = {
      generator: "tests/e2e/replay_fixture.cjs",
      anvil: await provider.send("web3_clientVersion", []),
      hardfork: "anvil's default",
      parent,
      timestamp,
      tx,
      addresses: { owner: from, admin, proxy, v1, v2 },
      prestate: pre,
      proofs,
      codes,
      receipt,
      post,
    };
    fs.writeFileSync(OUT, JSON.stringify(fixture, null, 1) + "\n");
    console.log(`replay fixture: ${accounts.length} accounts, tx ${hash} status ${receipt.status} gas ${Number(receipt.gasUsed)}, ${receipt.logs.length} logs`);
  } finally {
    anvil.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
