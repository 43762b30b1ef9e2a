//! `--device ledger` through a real kernel: each test boots `scripts/hid-vm` (Debian's kernel,
//! udev with the project's rules, virtual Nano S+ devices on uhid served by `bounded-signer
//! emulator --uhid`) and drives the binary inside as the unprivileged user at the seat, through
//! hidapi, hidraw and the kernel's HID core, exactly as on a laptop with a Ledger plugged in.
//!
//! Opt-in (`#[ignore]`): a boot takes seconds and the first run downloads Debian's kernel.
//! `scripts/test-hid-vm` runs them (CI does), with `HID_VM_BIN` naming the release binary.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

const ADDRESS: &str = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D";

/// The binary under test, inside and outside the VM (visible there at the same path).
fn binary() -> PathBuf {
    std::env::var_os("HID_VM_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("bounded-signer"))
}

/// One boot: `script` (POSIX sh, `$BS` is the binary, `$OUT` a directory shared with the host)
/// runs inside as `scripts/hid-vm` runs any command; returns the VM's output and the directory.
fn vm(options: &[&str], script: &str) -> (Output, tempfile::TempDir) {
    let out_dir = tempfile::tempdir().unwrap();
    // The unprivileged user inside writes here.
    std::fs::set_permissions(out_dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let bin = binary();
    let script = format!("set -u\nBS='{}'\nOUT='{}'\n{script}", bin.display(), out_dir.path().display());
    std::fs::write(out_dir.path().join("script.sh"), script).unwrap();
    let out = Command::new(root().join("scripts/hid-vm"))
        .arg("--emulator")
        .arg(&bin)
        .arg("--share")
        .arg(out_dir.path())
        .args(options)
        .arg("sh")
        .arg(out_dir.path().join("script.sh"))
        .output()
        .unwrap();
    assert_ne!(code(&out), 125, "the VM did not run the command:\n{}", stderr(&out));
    (out, out_dir)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn read_json(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&read(dir, name)).unwrap_or_else(|e| panic!("{name} is not JSON ({e})"))
}

/// `ls -l` of a device node: e.g. `crw-rw----`; never writable by others.
fn assert_not_world_writable(mode: &str) {
    let bits = mode.split_whitespace().next().unwrap();
    assert!(bits.starts_with('c') && bits.len() == 10, "not a character device: {mode}");
    assert_eq!(&bits[7..9], "--", "others may read or write the node: {mode}");
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn the_signer_at_the_seat_reaches_the_ledger_through_hidapi() {
    let (out, dir) = vm(
        &[],
        r#"ls -l /dev/hidraw0 >"$OUT/mode"
"$BS" address --list >"$OUT/list"
"$BS" --json address --device ledger >"$OUT/address.json"
"$BS" address --device ledger:/dev/hidraw0 >"$OUT/address-by-path"
"#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(read(dir.path(), "list"), "ledger:/dev/hidraw0  (Ledger Nano S Plus)\n");
    let address = read_json(dir.path(), "address.json");
    assert_eq!(address["address"], ADDRESS);
    assert_eq!(address["path"], "m/44'/60'/0'/0/0");
    assert!(read(dir.path(), "address-by-path").starts_with(ADDRESS));
    // root's node; the signer's access is the ACL the uaccess tag made (its mask: the group bits).
    let mode = read(dir.path(), "mode");
    assert!(mode.starts_with("crw-rw---- ") && mode.contains(" root "), "{mode}");
    assert_not_world_writable(&mode);
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn every_vector_signs_byte_identical_to_eth_account_over_usb_hid() {
    let share = tempfile::tempdir().unwrap();
    let signable = signable_vectors(share.path());
    let mut script = String::new();
    for v in &signable {
        script.push_str(&format!(
            "BOUNDED_SIGNER_HOME=$HOME/{} \"$BS\" --json sign --manifest '{}' --approved-hash {} --device ledger {} >\"$OUT/{}.json\" || echo \"{} $?\" >>\"$OUT/failed\"\n",
            v.name,
            v.manifest.display(),
            v.hash,
            v.payload,
            v.name,
            v.name
        ));
    }
    let (out, dir) = vm(&["--share", share.path().to_str().unwrap()], &script);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!dir.path().join("failed").exists(), "{}\n{}", read(dir.path(), "failed"), stderr(&out));
    for v in &signable {
        let result = read_json(dir.path(), &format!("{}.json", v.name));
        v.assert_signed_as_eth_account(&result);
    }
    assert_eq!(signable.len(), 7, "legacy 1/137/Sepolia, 2930, 1559 call and transfer, 7702");
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn two_ledgers_must_be_named_and_ledger_path_picks_one() {
    let (out, dir) = vm(
        &["--ledgers", "2"],
        r#""$BS" address --list >"$OUT/list"
"$BS" --json address --device ledger >"$OUT/unnamed.json"; echo $? >"$OUT/unnamed.code"
"$BS" --json address --device ledger:/dev/hidraw1 >"$OUT/named.json"
"#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let list = read(dir.path(), "list");
    assert_eq!(list.lines().count(), 2, "{list}");
    for node in ["/dev/hidraw0", "/dev/hidraw1"] {
        assert!(list.contains(&format!("ledger:{node}  (Ledger Nano S Plus)")), "{list}");
    }
    assert_eq!(read(dir.path(), "unnamed.code").trim(), "2");
    let unnamed = read_json(dir.path(), "unnamed.json");
    assert!(unnamed["error"]["message"].as_str().unwrap().contains("2 Ledgers"), "{unnamed}");
    assert!(unnamed["error"]["hint"].as_str().unwrap().contains("--device ledger:PATH"), "{unnamed}");
    assert_eq!(read_json(dir.path(), "named.json")["address"], ADDRESS);
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn a_ledger_unplugged_mid_signature_is_exit_4_with_the_intent_pending() {
    let share = tempfile::tempdir().unwrap();
    let (manifest, hash) = example_manifest(share.path());
    let proposal = root().join("examples/proposal-schedule.json");
    // The same call with another gas limit (within the cap): the same action, another signing hash.
    let other = share.path().join("other-gas.json");
    let text = std::fs::read_to_string(&proposal).unwrap();
    std::fs::write(&other, text.replace("\"gas\": \"300000\"", "\"gas\": \"310000\"")).unwrap();
    // The Ledger waits for the person (manual approval); once it shows the review's last screen
    // ("Accept risk and sign transaction", only after the last chunk), its cable is pulled while
    // `sign` waits for the answer.
    let script = format!(
        r#""$BS" --json sign --manifest '{}' --approved-hash {hash} --device ledger '{}' >"$OUT/sign.json" 2>"$OUT/sign.err" &
signing=$!
api=$(sed -n 's/.* api=\(http:[^ ]*\) .*/\1/p' /run/hid-vm-ledgers)
i=0
until wget -q -O - "$api/events?currentscreenonly=true" 2>/dev/null | grep -q "sign transaction"; do
  i=$((i + 1)); [ $i -lt 600 ] || {{ echo "the review never showed" >"$OUT/no-review"; break; }}; usleep 100000
done
echo unplug 1 >/run/hid-vm-control
wait $signing; echo $? >"$OUT/sign.code"
ls /dev/hidraw* >"$OUT/nodes" 2>/dev/null
"$BS" --json journal show >"$OUT/journal.json"
"$BS" --json sign --manifest '{}' --approved-hash {hash} --device ledger '{}' >"$OUT/same.json"; echo $? >"$OUT/same.code"
"$BS" --json sign --manifest '{}' --approved-hash {hash} --device ledger '{}' >"$OUT/other.json"; echo $? >"$OUT/other.code"
"#,
        manifest.display(),
        proposal.display(),
        manifest.display(),
        proposal.display(),
        manifest.display(),
        other.display(),
    );
    let (out, dir) = vm(
        &["--share", share.path().to_str().unwrap(), "--ledger-arg", "--approve", "--ledger-arg", "manual"],
        &script,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!dir.path().join("no-review").exists(), "{}", read(dir.path(), "sign.err"));
    assert_eq!(read(dir.path(), "sign.code").trim(), "4", "{}", read(dir.path(), "sign.err"));
    let error = &read_json(dir.path(), "sign.json")["error"];
    assert_eq!(error["kind"], "device", "{error}");
    assert!(error["message"].as_str().unwrap().contains("disconnected"), "{error}");
    assert_eq!(read(dir.path(), "nodes"), "", "the device is gone");
    let journal = read_json(dir.path(), "journal.json");
    let records = journal["records"].as_array().unwrap();
    let kinds: Vec<&str> = records.iter().map(|r| r["body"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["intent", "failed"], "{journal}");
    // The device had the whole transaction and may have signed: the attempt keeps binding the
    // action. The same bytes may be signed again (the same signature, RFC 6979): that goes to the
    // device, which is gone; other bytes for the action are refused before any device is asked.
    assert_eq!(records[1]["body"]["released"], false, "{journal}");
    assert_eq!(read(dir.path(), "same.code").trim(), "4", "{}", read(dir.path(), "same.json"));
    assert_eq!(read_json(dir.path(), "same.json")["error"]["message"], "no Ledger found over USB");
    assert_eq!(read(dir.path(), "other.code").trim(), "5", "{}", read(dir.path(), "other.json"));
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn a_locked_ledger_and_the_wrong_app_say_what_to_do() {
    for (fault, needle) in [("locked", "Unlock the Ledger"), ("wrong-app", "Open the Ethereum app")] {
        let (out, dir) = vm(
            &["--ledger-arg", "--fault", "--ledger-arg", fault],
            r#""$BS" --json address --device ledger >"$OUT/address.json"; echo $? >"$OUT/code""#,
        );
        assert_eq!(code(&out), 0, "{fault}: {}", stderr(&out));
        assert_eq!(read(dir.path(), "code").trim(), "4", "{fault}");
        let error = &read_json(dir.path(), "address.json")["error"];
        assert!(error["hint"].as_str().unwrap().contains(needle), "{fault}: {error}");
    }
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn without_the_rules_the_signer_cannot_open_the_ledger() {
    let (out, dir) = vm(
        &["--udev-rules", "none"],
        r#"ls -l /dev/hidraw0 >"$OUT/mode"
"$BS" address --list >"$OUT/list"
"$BS" --json address --device ledger >"$OUT/address.json"; echo $? >"$OUT/code"
"#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mode = read(dir.path(), "mode");
    assert!(mode.starts_with("crw------- "), "{mode}");
    assert_not_world_writable(&mode);
    // Listed (sysfs is readable), but not to be opened.
    assert_eq!(read(dir.path(), "list"), "ledger:/dev/hidraw0  (Ledger Nano S Plus)\n");
    assert_eq!(read(dir.path(), "code").trim(), "4");
    let error = &read_json(dir.path(), "address.json")["error"];
    assert_eq!(error["message"], "this user may not open the Ledger at /dev/hidraw0", "{error}");
    assert!(error["hint"].as_str().unwrap().contains("udev/20-ledger.rules"), "{error}");
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn a_user_away_from_the_seat_cannot_open_the_ledger() {
    let (out, dir) = vm(
        &["--user", "other"],
        r#"id -un >"$OUT/user"
ls -l /dev/hidraw0 >"$OUT/mode"
"$BS" --json address --device ledger >"$OUT/address.json"; echo $? >"$OUT/code"
"#,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(read(dir.path(), "user"), "other\n");
    assert_not_world_writable(&read(dir.path(), "mode"));
    assert_eq!(read(dir.path(), "code").trim(), "4");
    let error = &read_json(dir.path(), "address.json")["error"];
    assert_eq!(error["message"], "this user may not open the Ledger at /dev/hidraw0", "{error}");
}

#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn ledgers_own_js_client_over_node_hid_agrees() {
    let node = which("node");
    assert!(
        root().join("tests/js/node_modules/node-hid").is_dir(),
        "tests/js/node_modules is missing: run tests/js/run.sh (scripts/test-hid-vm does)"
    );
    let (out, dir) = vm(
        &["--tool", node.to_str().unwrap()],
        &format!(
            "cd '{}'\nnode check.cjs hid >\"$OUT/js\" 2>&1; echo $? >\"$OUT/code\"\n",
            root().join("tests/js").display()
        ),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let js = read(dir.path(), "js");
    assert_eq!(read(dir.path(), "code").trim(), "0", "{js}");
    assert!(js.contains("node-hid: /dev/hidraw0 Ledger Nano S Plus (usage page 0xffa0)"), "{js}");
    assert!(js.contains(&format!("hw-app-eth getAddress: {ADDRESS}, app 1.22.0")), "{js}");
    assert!(js.contains("ledgerjs check: 5 passed, 0 failed"), "{js}");
}

fn which(program: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(program)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("{program} is not on PATH"))
}

/// A KVM that cannot run Debian's kernel (this machine's PVM hangs in early boot; a nested host
/// may refuse an MSR) must not fail the run: the harness watches the boot and falls back to TCG.
#[test]
#[ignore = "boots a VM: scripts/test-hid-vm"]
fn a_kvm_that_cannot_boot_the_kernel_falls_back_to_tcg() {
    let bin = binary();
    let out = Command::new(root().join("scripts/hid-vm"))
        .env("HID_VM_ACCEL", "kvm")
        .env("HID_VM_BOOT_WAIT", "5")
        .arg("--emulator")
        .arg(&bin)
        .arg(&bin)
        .args(["address", "--device", "ledger"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with(ADDRESS), "{}", stdout(&out));
    // Where KVM boots the kernel (not on PVM hosts) nothing falls back, and that is fine too.
    let fell_back = stderr(&out).contains("did not reach its init");
    let kvm_boots =
        std::path::Path::new("/dev/kvm").exists() && !std::path::Path::new("/sys/module/kvm_pvm").exists();
    assert!(fell_back || kvm_boots, "{}", stderr(&out));
}
