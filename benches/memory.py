#!/usr/bin/env python3
"""Whole-process peak memory of `check` and `sign` on the largest inputs the limits allow.

Usage: benches/memory.sh (builds the release binary, then runs this). For each input it reports
the peak resident set (`/usr/bin/time -f %M`) of `check` and `sign`, with and without `--json`,
against the budget of issue 6: 2 x input + 8 MiB, where input is the bytes of the files given
(the transaction as hex text, and the manifest).

Inputs:
  (a) a ~1 MiB transaction (Timelock schedule -> ProxyAdmin upgradeAndCall -> an initializer blob)
      approved by its ~1 MiB manifest;
  (b) a Timelock scheduleBatch of 5,000 upgradeTo calls;
  (c) a manifest of 4,096 actions, the transaction matching the last one.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
EXECUTOR = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"
TIMELOCK = "0x3a35f296e66b56d13ced22538ce13ea2e0cf4bf2"
ADMIN = "0x9d35a0fd9fa3849d298298e89e5a33f7e5625f1a"
PROXY = "0x78a3fb06880667fd263a4493fa66e173008c6c68"
IMPL = "0xa792c9608476e0b0ba79a3aeaa9403cc8f9afb6a"


def word(n):
    return n.to_bytes(32, "big")


def addr(a):
    return bytes(12) + bytes.fromhex(a[2:])


def dyn_bytes(b):
    return word(len(b)) + b + bytes((-len(b)) % 32)


def upgrade_and_call(init):
    # ProxyAdmin.upgradeAndCall(address,address,bytes)
    return bytes.fromhex("9623609d") + addr(PROXY) + addr(IMPL) + word(96) + dyn_bytes(init)


def schedule(target, data, salt):
    # TimelockController.schedule(address,uint256,bytes,bytes32,bytes32,uint256)
    return (bytes.fromhex("01d5062a") + addr(target) + word(0) + word(192) + word(0) + word(salt)
            + word(172800) + dyn_bytes(data))


def schedule_batch(n):
    call = bytes.fromhex("3659cfe6") + addr(IMPL)  # upgradeTo(address)
    head = 6 * 32
    targets = word(n) + addr(PROXY) * n
    values = word(n) + word(0) * n
    one = dyn_bytes(call)
    payloads = word(n) + b"".join(word(32 * n + i * len(one)) for i in range(n)) + one * n
    t_at = head
    v_at = t_at + len(targets)
    p_at = v_at + len(values)
    return (bytes.fromhex("8f2a0bb0") + word(t_at) + word(v_at) + word(p_at) + word(0) + word(1)
            + word(172800) + targets + values + payloads)


def release(actions, now):
    lines = [
        'format = "bounded-signer/manifest/v1"',
        'release = "memory-bench"',
        "chain_id = 11155111",
        f'executor = "{EXECUTOR}"',
        f"not_before = {now - 3600}",
        f"expires_at = {now + 86400}",
        f'allowed_targets = ["{TIMELOCK}", "{ADMIN}", "{PROXY}", "{IMPL}"]',
        "[rollback]",
        'manifest_hash = "0x' + "11" * 32 + '"',
    ]
    for i, (to, data, nonce) in enumerate(actions):
        lines += ["[[actions]]", f'name = "a{i}"', f'to = "{to}"', f'data = "0x{data.hex()}"',
                  "gas_limit_max = 30000000", 'max_fee_per_gas_max = "100000000000"']
        if nonce is not None:
            lines.append(f"nonce = {nonce}")
    return "\n".join(lines) + "\n"


def request(action):
    to, data, nonce = action
    return json.dumps({"type": 2, "chainId": 11155111, "nonce": nonce or 0, "to": to, "value": "0",
                       "data": "0x" + data.hex(), "gas": 29000000, "maxFeePerGas": 1000000000,
                       "maxPriorityFeePerGas": 1000000})


def run(cmd, env=None):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, env=env)
    peak = int(out.stderr.decode().strip().splitlines()[-1])
    return out.returncode, peak


def main():
    now = int(time.time())
    tmp = tempfile.mkdtemp()
    blob_len = (1 << 20) - 2048
    init = bytes.fromhex("5b4e128c") + os.urandom(blob_len - 4)
    # transferOwnership(address): a distinct call per action (new owners are not allowlisted).
    owner = lambda i: bytes.fromhex("f2fde38b") + word(0x1000 + i)
    cases = {
        "(a) 1 MiB nested upgrade": ([(TIMELOCK, schedule(ADMIN, upgrade_and_call(init), 1), None)], 0),
        "(b) scheduleBatch of 5,000": ([(TIMELOCK, schedule_batch(5000), None)], 0),
        "(c) 4,096-action manifest": ([(PROXY, owner(i), None) for i in range(4096)], 4095),
    }
    emu = subprocess.Popen([BIN, "emulator", "--apdu-port", "0", "--api-port", "0"], stdout=subprocess.PIPE)
    apdu = emu.stdout.readline().decode().split()[0].split("=")[1]
    print("| input | input bytes | budget | check | check --json | sign | sign --json |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    try:
        for name, (actions, matched) in cases.items():
            toml = os.path.join(tmp, "r.toml")
            open(toml, "w").write(release(actions, now))
            manifest = os.path.join(tmp, "m.cbor")
            subprocess.run([BIN, "manifest", "build", toml, "-o", manifest, "--force"], check=True,
                           capture_output=True)
            mhash = subprocess.run([BIN, "manifest", "hash", manifest], check=True,
                                   capture_output=True).stdout.decode().strip()
            req = os.path.join(tmp, "tx.json")
            open(req, "w").write(request(actions[matched]))
            payload = json.loads(subprocess.run([BIN, "--json", "decode", req], check=True,
                                                capture_output=True).stdout)["signing_payload"]
            tx = os.path.join(tmp, "tx.hex")
            open(tx, "w").write(payload)
            size = os.path.getsize(tx) + os.path.getsize(manifest)
            budget = 2 * size + (8 << 20)
            row = [name, f"{size:,}", f"{budget / 2**20:.1f} MiB"]
            for sign in (False, True):
                for js in (False, True):
                    home = tempfile.mkdtemp()
                    cmd = [BIN] + (["--json"] if js else [])
                    if sign:
                        cmd += ["sign", "--manifest", manifest, "--approved-hash", mhash, "--device",
                                f"speculos:{apdu}", tx]
                    else:
                        cmd += ["check", "--manifest", manifest, "--approved-hash", mhash, tx]
                    code, peak = run(cmd, dict(os.environ, BOUNDED_SIGNER_HOME=home))
                    assert code == 0, (name, cmd, code)
                    mark = "" if peak * 1024 <= budget else " **over**"
                    row.append(f"{peak / 1024:.1f} MiB{mark}")
            print("| " + " | ".join(row) + " |")
    finally:
        emu.kill()


main()
