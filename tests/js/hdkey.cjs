// ERC-4527 account export read by Keystone's own registry (@keystonehq/bc-ur-registry-eth, what
// MetaMask's air-gapped keyring uses) and checked against ethers' independent BIP-32 derivation
// from the emulator's mnemonic (Speculos's default seed):
//   - `airgap export-account` gives a ur:crypto-hdkey the registry decodes, note
//     "account.standard", origin 44'/60'/0', children 0/*;
//   - the addresses the registry derives from it (0/0, 0/1, 0/7) are the device's;
//   - the fingerprints are those the documentation states: source = the account key's own,
//     parent = m/44'/60''s.
//
//     node hdkey.cjs BINARY APDU_PORT
"use strict";
const { spawnSync } = require("child_process");
const { HDNodeWallet, Mnemonic } = require("ethers");
const { URRegistryDecoder, CryptoHDKey, generateAddressFromXpub } = require("@keystonehq/bc-ur-registry-eth");

const [bin, port] = process.argv.slice(2);
const SEED = "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin";
let failures = 0;
const expect = (what, got, want) => {
  if (String(got).toLowerCase() !== String(want).toLowerCase()) {
    console.error(`hdkey: FAIL ${what}: ${got}, expected ${want}`);
    failures++;
  }
};

const r = spawnSync(bin, ["--json", "airgap", "export-account", "--device", `speculos:127.0.0.1:${port}`, "--text"], { encoding: "utf8" });
if (r.status !== 0) {
  console.error(`hdkey: FAIL export-account: ${r.stdout}${r.stderr}`);
  process.exit(1);
}
const doc = JSON.parse(r.stdout);
const decoder = new URRegistryDecoder();
decoder.receivePart(doc.ur);
if (!decoder.isSuccess()) {
  console.error(`hdkey: FAIL the registry does not read ${doc.ur}`);
  process.exit(1);
}
const ur = decoder.resultUR();
expect("UR type", ur.type, "crypto-hdkey");
const hdkey = CryptoHDKey.fromCBOR(ur.cbor);
expect("note", hdkey.getNote(), "account.standard");
expect("origin", hdkey.getOrigin().getPath(), "44'/60'/0'");
expect("children", hdkey.getChildren().getPath(), "0/*");
expect("name", hdkey.getName(), "bounded-signer");

const mnemonic = Mnemonic.fromPhrase(SEED);
const account = HDNodeWallet.fromMnemonic(mnemonic, "m/44'/60'/0'");
const parent = HDNodeWallet.fromMnemonic(mnemonic, "m/44'/60'");
expect("public key", "0x" + hdkey.getKey().toString("hex"), account.publicKey);
expect("chain code", "0x" + hdkey.getChainCode().toString("hex"), account.chainCode);
expect("source fingerprint", "0x" + hdkey.getOrigin().getSourceFingerprint().toString("hex"), account.fingerprint);
expect("parent fingerprint", "0x" + hdkey.getParentFingerprint().toString("hex"), parent.fingerprint);
const xpub = hdkey.getBip32Key();
expect("xpub", xpub, account.neuter().extendedKey);
for (const i of [0, 1, 7]) {
  const theirs = generateAddressFromXpub(xpub, `m/0/${i}`);
  const ours = spawnSync(bin, ["--json", "address", "--device", `speculos:127.0.0.1:${port}`, "--path", `m/44'/60'/0'/0/${i}`], { encoding: "utf8" });
  expect(`address 0/${i} (registry vs device)`, theirs, JSON.parse(ours.stdout).address);
  expect(`address 0/${i} (ethers)`, theirs, HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).address);
}
if (failures) process.exit(1);
console.log("hdkey: Keystone's registry reads our ur:crypto-hdkey; its key, chain code, fingerprints and derived addresses match ethers and the device");
