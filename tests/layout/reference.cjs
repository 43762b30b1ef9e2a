// Storage layout compatibility against the reference: OpenZeppelin's upgrade-safety cases
// (appended, reordered, retyped, inserted, deleted, a __gap used and misused, a struct member and
// a mapping retyped, an ERC-7201 namespace extended, changed and removed), each a pair compiled by
// solc-js with storageLayout and the AST, judged by `bounded-signer layout check` and by
// @openzeppelin/upgrades-core (its own namespaced compilation included) on the same output. They
// must agree, except where this file says why not.
//
//     (cd tests/layout && npm ci && BS=../../target/release/bounded-signer node reference.cjs)
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const solc = require("solc");
const up = require("@openzeppelin/upgrades-core");

const BS = process.env.BS || path.resolve(__dirname, "../../target/release/bounded-signer");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bs-layout-"));
const VERSION = solc.version().split("+")[0];

const ns = (id, body) => `/// @custom:storage-location erc7201:${id}\n  struct Main {\n${body}\n  }`;
// Each case: the two contracts' bodies, and whether each checker finds them compatible.
const CASES = [
  ["appended", "uint256 a; address b;", "uint256 a; address b; uint256 c;", true],
  ["appended, packed into the last slot", "uint256 a; address b;", "uint256 a; address b; bool flag;", true],
  ["reordered", "uint256 a; address b;", "address b; uint256 a;", false],
  ["retyped", "uint256 a; address b;", "uint128 a; address b;", false],
  ["inserted", "uint256 a; address b;", "uint256 a; uint256 x; address b;", false],
  ["deleted", "uint256 a; address b;", "uint256 a;", false],
  ["gap used", "uint256 a; uint256[49] __gap;", "uint256 a; uint256 b; uint256[48] __gap;", true],
  ["gap misused", "uint256 a; uint256[49] __gap;", "uint256 a; uint256 b; uint256[49] __gap;", false],
  ["struct member retyped", "struct S { uint256 x; uint256 y; } S s; uint256 a;", "struct S { uint256 x; address y; } S s; uint256 a;", false],
  ["mapping value retyped", "mapping(address => uint256) m;", "mapping(address => bool) m;", false],
  ["contract as address", "IERC20 t;", "address t;", true],
  ["namespace extended", ns("example.main", "    uint256 x;"), ns("example.main", "    uint256 x;\n    uint256 y;"), true],
  ["namespace retyped", ns("example.main", "    uint256 x;\n    uint256 y;"), ns("example.main", "    uint256 x;\n    address y;"), false],
  ["namespace removed", ns("example.main", "    uint256 x;"), "uint256 unrelated;", false],
  // A variable renamed in place: the storage is the same. upgrades-core refuses it unless the new
  // contract says `@custom:oz-renamed-from`; this tool reports it and lets it pass.
  ["renamed", "uint256 a; address b;", "uint256 total; address b;", true, false],
];

function compile(sources) {
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(sources).map(([f, content]) => [f, { content }])),
    settings: { outputSelection: { "*": { "*": ["abi", "evm.bytecode", "evm.deployedBytecode", "evm.methodIdentifiers", "storageLayout"], "": ["ast"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  return { input, output };
}

function reference({ input, output }) {
  const decodeSrc = up.solcInputOutputDecoder(input, output);
  const namespaced = JSON.parse(solc.compile(JSON.stringify(up.makeNamespacedInput(input, output, VERSION))));
  const validation = up.validate(output, decodeSrc, VERSION, input, namespaced);
  const layout = (name) => up.getStorageLayout(validation, up.getContractVersion(validation, name));
  return up.getStorageUpgradeErrors(layout("V1.sol:BoxV1"), layout("V2.sol:BoxV2"));
}

let failed = 0;
let agreed = 0;
for (const [name, v1, v2, ours, theirs = ours] of CASES) {
  const contract = (n, body) =>
    `// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\ninterface IERC20 {}\ncontract ${n} {\n  ${body}\n}\n`;
  const compiled = compile({ "V1.sol": contract("BoxV1", v1), "V2.sol": contract("BoxV2", v2) });
  const file = path.join(work, `${name.replace(/ /g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(compiled.output));
  const r = spawnSync(BS, ["--json", "layout", "check", file, file, "--reference", "V1.sol:BoxV1", "--contract", "V2.sol:BoxV2"], { encoding: "utf8" });
  if (r.status !== 0 && r.status !== 3) {
    console.error(`layout: FAIL ${name}: exit ${r.status}: ${r.stderr}`);
    failed++;
    continue;
  }
  const doc = JSON.parse(r.stdout);
  if ((r.status === 0) !== doc.compatible) {
    console.error(`layout: FAIL ${name}: exit ${r.status} but compatible ${doc.compatible}`);
    failed++;
  }
  const ozErrors = reference(compiled);
  const oz = ozErrors.length === 0;
  const what = doc.findings.map((f) => `${f.kind}:${f.what}`).join(", ") || "no findings";
  if (doc.compatible !== ours || oz !== theirs) {
    console.error(`layout: FAIL ${name}: ours ${doc.compatible} (want ${ours}; ${what}), upgrades-core ${oz} (want ${theirs}; ${ozErrors.map((e) => e.kind).join(", ")})`);
    failed++;
    continue;
  }
  if (ours === theirs) agreed++;
  console.log(`layout: ok   ${name}: ${ours ? "compatible" : "incompatible"} (${what}); upgrades-core ${oz ? "compatible" : `incompatible (${ozErrors.map((e) => e.kind).join(", ")})`}`);
}
fs.rmSync(work, { recursive: true, force: true });
if (failed) {
  console.error(`layout: ${failed} case(s) failed`);
  process.exit(1);
}
console.log(`layout: all ${CASES.length} cases as expected; upgrades-core agrees on ${agreed}`);
