// BC-UR interop with @ngraveio/bc-ur, an independent implementation, both ways:
//   - parts `bounded-signer airgap send` printed (uppercase, one per line), dropped and shuffled,
//     decode with URDecoder to exactly the file (the payload is the file as one CBOR byte string,
//     what UR.fromBuffer makes);
//   - parts URDecoder's sibling UREncoder makes of a file decode with `airgap receive`.
//
//     node ur.cjs BINARY
"use strict";
const { spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { UR, UREncoder, URDecoder } = require("@ngraveio/bc-ur");

const bin = process.argv[2];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bs-ur-"));
let failures = 0;
const fail = (m) => {
  console.error(`ur interop: FAIL ${m}`);
  failures++;
};

function run(args, input) {
  const r = spawnSync(bin, args, { input, encoding: input === undefined ? "utf8" : undefined, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

for (const size of [1, 250, 4096, 100000]) {
  const file = crypto.randomBytes(size);
  const filePath = path.join(work, `file-${size}`);
  fs.writeFileSync(filePath, file);

  // Ours → theirs, with every third part lost and the rest shuffled.
  const sent = run(["airgap", "send", filePath]);
  if (sent.status !== 0) fail(`send ${size}: ${sent.stderr}`);
  const parts = sent.stdout.trim().split("\n").filter((_, i) => i % 3 !== 1);
  parts.sort(() => Math.random() - 0.5);
  const decoder = new URDecoder();
  for (const p of parts) {
    if (decoder.isComplete()) break;
    decoder.receivePart(p);
  }
  if (!decoder.isSuccess()) {
    fail(`@ngraveio/bc-ur did not assemble our ${size}-byte file (${decoder.resultError ? decoder.resultError() : "incomplete"})`);
  } else {
    const got = decoder.resultUR().decodeCBOR();
    if (!Buffer.from(got).equals(file)) fail(`@ngraveio/bc-ur assembled other bytes from our ${size}-byte file`);
    if (decoder.resultUR().type !== "bytes") fail(`type ${decoder.resultUR().type}`);
  }

  // Theirs → ours.
  const encoder = new UREncoder(UR.fromBuffer(file), 250);
  const theirs = [];
  for (let i = 0; i < encoder.fragmentsLength * 3 + 10; i++) theirs.push(encoder.nextPart().toUpperCase());
  const lossy = theirs.filter((_, i) => i % 4 !== 0);
  const out = path.join(work, `got-${size}`);
  const received = run(["--json", "airgap", "receive", "--text", "-", "-o", out], lossy.join("\n") + "\n");
  if (received.status !== 0) {
    fail(`our receive of @ngraveio/bc-ur's ${size}-byte parts: ${received.stdout}${received.stderr}`);
  } else if (!fs.readFileSync(out).equals(file)) {
    fail(`our receive assembled other bytes from @ngraveio/bc-ur's ${size}-byte parts`);
  } else {
    const doc = JSON.parse(received.stdout);
    const sha = "0x" + crypto.createHash("sha256").update(file).digest("hex");
    if (doc.sha256 !== sha) fail(`sha256 ${doc.sha256}, expected ${sha}`);
  }
}

fs.rmSync(work, { recursive: true, force: true });
if (failures) process.exit(1);
console.log("ur interop: @ngraveio/bc-ur decodes our parts and we decode its parts, 1 B to 100 kB, lossy and shuffled");
