// ethers 6's TypedDataEncoder over every Safe tx vector of tests/vectors/safe_tx.json: its hashes
// must equal safe-eth-py's, so two independent implementations stand behind each expected hash.
// `node safe_tx.cjs` checks (run.sh, in CI); `node safe_tx.cjs --write` also records ethers'.
const fs = require("node:fs");
const path = require("node:path");
const assert = require("node:assert/strict");
const { TypedDataEncoder } = require("ethers");

const file = path.join(__dirname, "../vectors/safe_tx.json");
const write = process.argv[2] === "--write";
const doc = JSON.parse(fs.readFileSync(file, "utf8"));
for (const v of doc.vectors) {
  const { EIP712Domain, ...types } = v.typed_data.types;
  const { domain, message } = v.typed_data;
  const ethers = {
    domain_separator: TypedDataEncoder.hashDomain(domain),
    message_hash: TypedDataEncoder.from(types).hash(message),
    safe_tx_hash: TypedDataEncoder.hash(domain, types, message),
  };
  for (const k of Object.keys(ethers)) assert.equal(ethers[k], v[k], `${v.name}: ${k}`);
  if (write) v.ethers = ethers;
  else assert.deepEqual(v.ethers, ethers, `${v.name}: recorded ethers hashes`);
}
if (write) {
  doc.generator += "; ethers " + require("ethers").version + " TypedDataEncoder agrees";
  fs.writeFileSync(file, JSON.stringify(doc, null, 1) + "\n");
}
console.log(`safe tx vectors: ethers agrees with safe-eth-py on all ${doc.vectors.length}`);
