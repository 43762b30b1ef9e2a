use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use super::*;
use crate::device::hid_framing::Reassembler;
use crate::emulator::app::{Approve, EmulatorApp};
use crate::emulator::keys::Keys;
use crate::emulator::ui::Ui;

fn app() -> Mutex<EmulatorApp> {
    let keys = Keys::from_mnemonic(crate::emulator::SPECULOS_MNEMONIC).unwrap_or_else(|e| panic!("{e}"));
    Mutex::new(EmulatorApp::new(
        keys,
        crate::emulator::Settings { blind_signing: true, verbose_eip712: false },
        Approve::Auto,
        None,
        Arc::new(Ui::default()),
    ))
}

/// The layout of `struct uhid_event`, as the kernel's own header gives it: a C program compiled
/// against `linux/uhid.h` prints the sizes and offsets this module writes by hand.
#[test]
fn the_event_layout_is_the_kernels() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = dir.path().join("layout.c");
    std::fs::write(
        &source,
        r#"#include <stdio.h>
#include <stddef.h>
#include <linux/uhid.h>
int main(void) {
  printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu\n", sizeof(struct uhid_event),
    offsetof(struct uhid_event, u.create2.rd_size), offsetof(struct uhid_event, u.create2.vendor),
    offsetof(struct uhid_event, u.create2.product), offsetof(struct uhid_event, u.create2.rd_data),
    offsetof(struct uhid_event, u.input2.data), offsetof(struct uhid_event, u.output.size),
    offsetof(struct uhid_event, u.get_report_reply.err), (size_t)UHID_INPUT2);
  return 0;
}
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let binary = dir.path().join("layout");
    let compiled = std::process::Command::new("cc").arg(&source).arg("-o").arg(&binary).output();
    let compiled = compiled.unwrap_or_else(|e| panic!("a C compiler is needed (build-essential): {e}"));
    assert!(compiled.status.success(), "{}", String::from_utf8_lossy(&compiled.stderr));
    let out = std::process::Command::new(&binary).output().unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<usize> =
        String::from_utf8_lossy(&out.stdout).split_whitespace().filter_map(|n| n.parse().ok()).collect();
    let ours =
        vec![EVENT_SIZE, 4 + 256, 4 + 260, 4 + 264, 4 + 276, 6, OUTPUT_SIZE_AT, 8, UHID_INPUT2 as usize];
    assert_eq!(got, ours);
}

#[test]
fn the_device_is_a_nano_s_plus_with_ledgers_descriptor() {
    let e = create_event("Ledger Nano S Plus", "bounded-signer/uhid", "0001");
    assert_eq!(e.len(), EVENT_SIZE);
    assert_eq!(le_u32(&e, 0), UHID_CREATE2);
    assert_eq!(&e[4..22], b"Ledger Nano S Plus");
    assert_eq!(le_u16(&e, 260), 34);
    assert_eq!(le_u16(&e, 262), BUS_USB);
    assert_eq!((le_u32(&e, 264), le_u32(&e, 268)), (0x2c97, 0x5011));
    assert_eq!(&e[280..314], &REPORT_DESCRIPTOR);
    // Usage page 0xffa0, what hidapi and the client look for (§4.1).
    assert_eq!(&REPORT_DESCRIPTOR[..3], &[0x06, 0xa0, 0xff]);
}

fn read_event(host: &mut UnixStream) -> Vec<u8> {
    let mut e = vec![0u8; EVENT_SIZE];
    host.read_exact(&mut e).unwrap_or_else(|err| panic!("{err}"));
    e
}

/// The host side of the kernel: writes what hidraw would pass on (a leading report id 0, as
/// hidapi writes), reads the input reports, reassembles them as the client does.
fn exchange(host: &mut UnixStream, channel: u16, apdu: &[u8]) -> Vec<u8> {
    for report in frame(channel, apdu) {
        let mut with_id = vec![0u8];
        with_id.extend_from_slice(&report);
        host.write_all(&output_event(&with_id)).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut reassembler = Reassembler::new(channel);
    loop {
        let e = read_event(host);
        assert_eq!(le_u32(&e, 0), UHID_INPUT2);
        assert_eq!(le_u16(&e, 4), 64);
        if let Some(answer) = reassembler.push(&e[6..70]).unwrap_or_else(|err| panic!("{err}")) {
            return answer;
        }
    }
}

#[test]
fn one_emulator_answers_through_uhid_as_through_its_apdu_port() {
    let (mut host, mut device) = UnixStream::pair().unwrap_or_else(|e| panic!("{e}"));
    let served = std::thread::spawn(move || {
        let app = app();
        serve(&mut device, &app, "Ledger Nano S Plus", "0001").map_err(|e| e.to_string())
    });
    assert_eq!(le_u32(&read_event(&mut host), 0), UHID_CREATE2);
    let reference = app();
    let path = alloy_primitives::hex!("058000002c8000003c800000000000000000000000");
    let mut get_address = alloy_primitives::hex!("e002000015").to_vec();
    get_address.extend_from_slice(&path);
    for (channel, apdu) in [(0x0101, alloy_primitives::hex!("e006000000").to_vec()), (0x7a3c, get_address)] {
        let answer = exchange(&mut host, channel, &apdu);
        let Outcome::Answer(expected) = reference.lock().unwrap_or_else(|p| p.into_inner()).handle(&apdu)
        else {
            panic!("the reference app disconnected");
        };
        assert_eq!(answer, expected, "channel {channel:#06x}");
    }
    // A feature-report request is refused with EIO, echoing its id.
    let mut get_report = event(UHID_GET_REPORT);
    get_report[4..8].copy_from_slice(&77u32.to_le_bytes());
    host.write_all(&get_report).unwrap_or_else(|e| panic!("{e}"));
    let reply = read_event(&mut host);
    assert_eq!((le_u32(&reply, 0), le_u32(&reply, 4), le_u16(&reply, 8)), (UHID_GET_REPORT_REPLY, 77, 5));
    // The kernel stops the device: serving ends.
    host.write_all(&event(UHID_STOP)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(served.join().unwrap_or_else(|_| panic!("serve panicked")), Ok(Event::Stop));
}

#[test]
fn reports_out_of_sequence_start_over() {
    let apdu = vec![0xe0; 130];
    let reports = frame(0x0101, &apdu);
    let mut incoming = Incoming::default();
    assert_eq!(incoming.push(&reports[0]), None);
    assert_eq!(incoming.push(&reports[2]), None, "seq 2 after seq 0");
    // Starting again from seq 0 completes.
    let mut done = None;
    for r in &reports {
        done = incoming.push(r);
    }
    let (channel, got) = done.unwrap_or_else(|| panic!("complete"));
    assert_eq!((channel, got.as_slice()), (0x0101, apdu.as_slice()));
    // A short or mistagged report is ignored.
    assert_eq!(incoming.push(&[1, 1]), None);
    let mut bad = reports[0];
    bad[2] = 0x02;
    assert_eq!(incoming.push(&bad), None);
}
