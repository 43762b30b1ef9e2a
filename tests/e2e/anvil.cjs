// Starts the npm-installed anvil on a free loopback port; resolves with { anvil, url }.
"use strict";
const { spawn } = require("child_process");
const path = require("path");
const readline = require("readline");

const ANVIL = path.join(__dirname, "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");

function startAnvil(args = []) {
  const anvil = spawn(ANVIL, ["--port", "0", "--chain-id", "31337", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: anvil.stdout }).on("line", (line) => {
      const m = line.match(/Listening on 127\.0\.0\.1:(\d+)/);
      if (m) resolve({ anvil, url: `http://127.0.0.1:${m[1]}` });
    });
    anvil.on("exit", (code) => reject(new Error(`anvil exited with ${code}`)));
  });
}

module.exports = { startAnvil };
