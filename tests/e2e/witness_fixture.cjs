// Regenerates simulator/tests/fixtures/anvil-proofs.json: a block header and EIP-1186 proofs from
// a real anvil (a contract with code and 40 slots, a funded account, an account that does not
// exist, and a slot that was never written), for the proof verifier's tests.
//
//     (cd tests/e2e && npm ci && node witness_fixture.cjs)
"use strict";
const fs = require("fs");
const path = require("path");
const { ethers } = require("ethers");

const { startAnvil } = require("./anvil.cjs");
const OUT = path.join(__dirname, "../../simulator/tests/fixtures/anvil-proofs.json");
const CONTRACT = "0x00000000000000000000000000000000c0ffee01";
const FUNDED = "0x00000000000000000000000000000000000f00d1";
const ABSENT = "0x0000000000000000000000000000000000dead02";
// PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns slot 0.
const CODE = "0x60005460005260206000f3";

async function main() {
  const { anvil, url } = await startAnvil();
  try {
    const provider = new ethers.JsonRpcProvider(url, 31337, { staticNetwork: true });
    await provider.send("anvil_setCode", [CONTRACT, CODE]);
    const slots = [];
    for (let i = 0; i < 40; i++) {
      const slot = ethers.zeroPadValue(ethers.toBeHex(i === 0 ? 0 : BigInt(ethers.keccak256(ethers.toBeHex(i, 32)))), 32);
      slots.push(slot);
      await provider.send("anvil_setStorageAt", [CONTRACT, slot, ethers.zeroPadValue(ethers.toBeHex(1000 + i), 32)]);
    }
    await provider.send("anvil_setBalance", [FUNDED, "0x56BC75E2D63100000"]);
    await provider.send("evm_mine", []);
    const block = await provider.send("eth_getBlockByNumber", ["latest", false]);
    const never = ethers.zeroPadValue("0x0999", 32);
    const proofs = [
      await provider.send("eth_getProof", [CONTRACT, [slots[0], slots[7], slots[39], never], block.number]),
      await provider.send("eth_getProof", [FUNDED, [], block.number]),
      await provider.send("eth_getProof", [ABSENT, [never], block.number]),
    ];
    const code = await provider.send("eth_getCode", [CONTRACT, block.number]);
    const fixture = { generator: "tests/e2e/witness_fixture.cjs", anvil: await provider.send("web3_clientVersion", []), block, proofs, code };
    fs.writeFileSync(OUT, JSON.stringify(fixture, null, 1) + "\n");
    console.log(`witness fixture: block ${Number(block.number)} ${block.hash} → ${path.relative(process.cwd(), OUT)}`);
  } finally {
    anvil.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
