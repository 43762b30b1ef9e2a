// @ngraveio/bc-ur's decoder on part sequences benches/frames.rs wrote: one part per line, a blank
// line between sequences. Prints, as JSON, how many parts each sequence took until the decoder
// held the message (null if it never did).
//
//     node frames_reference.cjs FILE
"use strict";
const fs = require("fs");
const { URDecoder } = require("@ngraveio/bc-ur");

const counts = [];
for (const block of fs.readFileSync(process.argv[2], "utf8").split("\n\n")) {
  const parts = block.split("\n").filter((l) => l.length > 0);
  if (parts.length === 0) continue;
  const decoder = new URDecoder();
  let needed = null;
  for (let i = 0; i < parts.length; i++) {
    decoder.receivePart(parts[i]);
    if (decoder.isComplete()) {
      if (!decoder.isSuccess()) throw new Error(`sequence ${counts.length}: ${decoder.resultError()}`);
      needed = i + 1;
      break;
    }
  }
  counts.push(needed);
}
process.stdout.write(JSON.stringify(counts));
