//! Whatever a kernel (or a program posing as one on a uhid file) writes to the virtual Ledger,
//! the device side never panics, writes only whole `uhid_event`s, and answers only input reports
//! on a channel it was asked on, through the same app logic as the APDU port.
//!
//! The input is a list of records, one byte naming an event type (START, STOP, OPEN, CLOSE,
//! OUTPUT, GET_REPORT, SET_REPORT, or any other) and up to 65 bytes of its body, so the fuzzer
//! reaches multi-report APDUs without writing 4,380-byte events.
#![no_main]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bounded_signer::device::hid_framing::TAG_APDU;
use bounded_signer::emulator::keys::Keys;
use bounded_signer::emulator::uhid::{EVENT_SIZE, EVENTS_TO_DEVICE, output_event, raw_event, serve};
use bounded_signer::emulator::ui::Ui;
use bounded_signer::emulator::{Approve, EmulatorApp, Settings};
use libfuzzer_sys::fuzz_target;

/// The kernel's side: one event per read, as the uhid file gives them; what the device writes.
struct Kernel {
    events: std::vec::IntoIter<Vec<u8>>,
    written: Vec<u8>,
}

impl Read for Kernel {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(event) = self.events.next() else { return Ok(0) };
        assert_eq!(buf.len(), EVENT_SIZE, "the device reads one whole event at a time");
        buf.copy_from_slice(&event);
        Ok(buf.len())
    }
}

impl Write for Kernel {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut events = Vec::new();
    let mut channels = Vec::new();
    for record in data.chunks(66) {
        let Some((&selector, body)) = record.split_first() else { continue };
        let event = match EVENTS_TO_DEVICE.get(usize::from(selector % 8)) {
            // OUTPUT: the body is what a program wrote to the hidraw node.
            Some(&kind) if kind == EVENTS_TO_DEVICE[4] => {
                let report = body.strip_prefix(&[0]).filter(|r| r.len() == 64).unwrap_or(body);
                if let [c0, c1, ..] = report {
                    channels.push(u16::from_be_bytes([*c0, *c1]));
                }
                output_event(body)
            }
            Some(&kind) => raw_event(kind, body),
            None => raw_event(u32::from(selector), body),
        };
        events.push(event);
    }
    let keys = Keys::from_seed(zeroize::Zeroizing::new([7u8; 64]));
    let app = Mutex::new(EmulatorApp::new(keys, Settings { blind_signing: true, verbose_eip712: true }, Approve::Auto, None, Arc::new(Ui::default())));
    let mut kernel = Kernel { events: events.into_iter(), written: Vec::new() };
    let _ = serve(&mut kernel, &app, "Ledger Nano S Plus", "0001");
    assert_eq!(kernel.written.len() % EVENT_SIZE, 0, "only whole events are written");
    for event in kernel.written.chunks(EVENT_SIZE).skip(1) {
        let kind = u32::from_le_bytes([event[0], event[1], event[2], event[3]]);
        // UHID_INPUT2: a 64-byte report, tagged APDU, on a channel the host used.
        if kind == 12 {
            assert_eq!(u16::from_le_bytes([event[4], event[5]]), 64);
            let report = &event[6..70];
            assert_eq!(report[2], TAG_APDU);
            assert!(channels.contains(&u16::from_be_bytes([report[0], report[1]])));
        }
    }
});
