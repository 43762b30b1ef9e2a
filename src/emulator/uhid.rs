//! The emulator as a USB HID device the kernel believes in: Linux's `uhid` lets a user-space
//! program create a HID device, which udev, hidraw and hidapi then treat as a plugged-in Ledger.
//! This is the second transport of the one emulator (the first is Speculos's APDU port): the
//! same [`EmulatorApp`] answers, behind Ledger's HID framing.
//!
//! The kernel ABI is `linux/uhid.h`: one fixed-size `struct uhid_event` per read and per write, a
//! `u32` type and a packed union. The device presents itself as a Nano S+ does: vendor 0x2c97,
//! product 0x5011 (model byte 0x50; low byte 0x11, the HID and U2F interfaces a Nano S+ running
//! an app enables, ledger-protocol.md §4.1), and Ledger's HID report descriptor (usage page
//! 0xffa0, one 64-byte input and one 64-byte output report), as LedgerHQ/ledger-secure-sdk
//! v25.12.3 declares it in `lib_stusb/src/usbd_ledger_hid.c` (`LEDGER_HID_report_descriptor`).

use std::io::{Read, Write};
use std::sync::Mutex;

use super::app::{EmulatorApp, Outcome};
use crate::device::hid_framing::{REPORT, TAG_APDU, frame};

/// Ledger's vendor id.
pub const VENDOR: u32 = 0x2c97;
/// A Nano S+ with its HID and U2F interfaces.
pub const PRODUCT_NANO_S_PLUS: u32 = 0x5011;
/// The descriptor's length, as `uhid_create2_req.rd_size` holds it.
const DESCRIPTOR_LEN: u16 = 34;
/// A report's length, as `uhid_input2_req.size` holds it.
const REPORT_LEN: u16 = 64;

/// `BUS_USB` from `linux/input.h`.
pub const BUS_USB: u16 = 0x03;

/// Ledger's HID report descriptor (34 bytes): vendor usage page 0xffa0, usage 1, an application
/// collection with a 64-byte input report (usage 3) and a 64-byte output report (usage 4).
pub const REPORT_DESCRIPTOR: [u8; DESCRIPTOR_LEN as usize] = [
    0x06, 0xa0, 0xff, // usage page: vendor defined 0xffa0
    0x09, 0x01, // usage: 1
    0xa1, 0x01, // collection: application
    0x09, 0x03, // usage: 3
    0x15, 0x00, // logical minimum: 0
    0x26, 0xff, 0x00, // logical maximum: 255
    0x75, 0x08, // report size: 8 bits
    0x95, 0x40, // report count: 64
    0x81, 0x08, // input: data, array, absolute, wrap
    0x09, 0x04, // usage: 4
    0x15, 0x00, // logical minimum: 0
    0x26, 0xff, 0x00, // logical maximum: 255
    0x75, 0x08, // report size: 8 bits
    0x95, 0x40, // report count: 64
    0x91, 0x08, // output: data, array, absolute, wrap
    0xc0, // end collection
];

// `enum uhid_event_type`.
const UHID_DESTROY: u32 = 1;
const UHID_START: u32 = 2;
const UHID_STOP: u32 = 3;
const UHID_OPEN: u32 = 4;
const UHID_CLOSE: u32 = 5;
const UHID_OUTPUT: u32 = 6;
const UHID_GET_REPORT: u32 = 9;
const UHID_GET_REPORT_REPLY: u32 = 10;
const UHID_CREATE2: u32 = 11;
const UHID_INPUT2: u32 = 12;
const UHID_SET_REPORT: u32 = 13;
const UHID_SET_REPORT_REPLY: u32 = 14;

/// `HID_MAX_DESCRIPTOR_SIZE` and `UHID_DATA_MAX`.
const DATA_MAX: usize = 4096;
/// `sizeof(struct uhid_create2_req)`: name 128, phys 64, uniq 64, rd_size, bus, vendor, product,
/// version, country, rd_data.
const CREATE2_SIZE: usize = 128 + 64 + 64 + 2 + 2 + 4 + 4 + 4 + 4 + DATA_MAX;
/// `sizeof(struct uhid_event)`: the type and the union, whose largest member is create2 and
/// whose size is a multiple of 8 (it holds `uhid_start_req`'s `u64`), so 4 + 4376.
pub const EVENT_SIZE: usize = 4 + CREATE2_SIZE.next_multiple_of(8);
/// Where `uhid_output_req.size` sits in an event: after the type and the 4096 data bytes.
const OUTPUT_SIZE_AT: usize = 4 + DATA_MAX;

/// What the kernel tells the device.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// The device is registered with the HID core.
    Start,
    /// It is being removed.
    Stop,
    /// A program opened its hidraw node.
    Open,
    /// The last program closed it.
    Close,
    /// A report written to the hidraw node (report id stripped when it is 0).
    Output(Vec<u8>),
    /// A GET_REPORT request the device must answer (Ledger's device has none: EIO).
    GetReport {
        /// The request id to echo.
        id: u32,
    },
    /// A SET_REPORT request (refused likewise).
    SetReport {
        /// The request id to echo.
        id: u32,
    },
    /// Any other event type.
    Other(u32),
}

/// An event of the wrong size from the kernel.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("uhid: an event of {0} bytes (expected {EVENT_SIZE})")]
pub struct ShortEvent(pub usize);

fn le_u16(b: &[u8], at: usize) -> u16 {
    let mut w = [0u8; 2];
    w.copy_from_slice(b.get(at..at + 2).unwrap_or(&[0, 0]));
    u16::from_le_bytes(w)
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(b.get(at..at + 4).unwrap_or(&[0; 4]));
    u32::from_le_bytes(w)
}

/// Reads one event as the kernel wrote it (host byte order: little-endian on x86_64).
pub fn parse_event(buf: &[u8]) -> Result<Event, ShortEvent> {
    if buf.len() != EVENT_SIZE {
        return Err(ShortEvent(buf.len()));
    }
    Ok(match le_u32(buf, 0) {
        UHID_START => Event::Start,
        UHID_STOP => Event::Stop,
        UHID_OPEN => Event::Open,
        UHID_CLOSE => Event::Close,
        UHID_OUTPUT => {
            let size = usize::from(le_u16(buf, OUTPUT_SIZE_AT)).min(DATA_MAX);
            let data = &buf[4..4 + size];
            // hidapi writes a leading report id 0 (§4.2); a device without numbered reports gets
            // it as the first byte of a 65-byte output.
            let data = match data {
                [0, rest @ ..] if rest.len() == REPORT => rest,
                other => other,
            };
            Event::Output(data.to_vec())
        }
        UHID_GET_REPORT => Event::GetReport { id: le_u32(buf, 4) },
        UHID_SET_REPORT => Event::SetReport { id: le_u32(buf, 4) },
        other => Event::Other(other),
    })
}

fn event(kind: u32) -> Vec<u8> {
    let mut e = vec![0u8; EVENT_SIZE];
    e[..4].copy_from_slice(&kind.to_le_bytes());
    e
}

fn put_text(e: &mut [u8], at: usize, len: usize, text: &str) {
    let bytes = text.as_bytes();
    let n = bytes.len().min(len - 1);
    e[at..at + n].copy_from_slice(&bytes[..n]);
}

/// UHID_CREATE2 of a Ledger Nano S+ with the name, physical path and serial given.
pub fn create_event(name: &str, phys: &str, uniq: &str) -> Vec<u8> {
    let mut e = event(UHID_CREATE2);
    put_text(&mut e, 4, 128, name);
    put_text(&mut e, 4 + 128, 64, phys);
    put_text(&mut e, 4 + 192, 64, uniq);
    let at = 4 + 256;
    e[at..at + 2].copy_from_slice(&DESCRIPTOR_LEN.to_le_bytes());
    e[at + 2..at + 4].copy_from_slice(&BUS_USB.to_le_bytes());
    e[at + 4..at + 8].copy_from_slice(&VENDOR.to_le_bytes());
    e[at + 8..at + 12].copy_from_slice(&PRODUCT_NANO_S_PLUS.to_le_bytes());
    // version and country stay 0.
    e[at + 20..at + 20 + REPORT_DESCRIPTOR.len()].copy_from_slice(&REPORT_DESCRIPTOR);
    e
}

/// UHID_INPUT2 carrying one 64-byte report to the host.
pub fn input_event(report: &[u8; REPORT_LEN as usize]) -> Vec<u8> {
    let mut e = event(UHID_INPUT2);
    e[4..6].copy_from_slice(&REPORT_LEN.to_le_bytes());
    e[6..6 + REPORT].copy_from_slice(report);
    e
}

/// UHID_OUTPUT as the kernel writes it when a program writes `data` (at most 4096 bytes, the
/// rest cut) to the hidraw node: for the tests and the fuzz target, which play the kernel.
pub fn output_event(data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(DATA_MAX)];
    let mut e = event(UHID_OUTPUT);
    e[4..4 + data.len()].copy_from_slice(data);
    #[expect(clippy::cast_possible_truncation, reason = "at most DATA_MAX = 4096")]
    e[OUTPUT_SIZE_AT..OUTPUT_SIZE_AT + 2].copy_from_slice(&(data.len() as u16).to_le_bytes());
    e
}

/// The kernel's event types a device receives, for the fuzz target: START, STOP, OPEN, CLOSE,
/// OUTPUT, GET_REPORT, SET_REPORT.
pub const EVENTS_TO_DEVICE: [u32; 7] =
    [UHID_START, UHID_STOP, UHID_OPEN, UHID_CLOSE, UHID_OUTPUT, UHID_GET_REPORT, UHID_SET_REPORT];

/// An event of `kind` with `body` after its type: what a kernel (or anything posing as one)
/// could write, for the fuzz target.
pub fn raw_event(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut e = event(kind);
    let n = body.len().min(EVENT_SIZE - 4);
    e[4..4 + n].copy_from_slice(&body[..n]);
    e
}

/// UHID_DESTROY: the device is unplugged.
pub fn destroy_event() -> Vec<u8> {
    event(UHID_DESTROY)
}

/// The reply to a GET_REPORT or SET_REPORT request: EIO (the device has no feature reports).
fn refuse_report(kind: u32, id: u32) -> Vec<u8> {
    const EIO: u16 = 5;
    let mut e = event(kind);
    e[4..8].copy_from_slice(&id.to_le_bytes());
    e[8..10].copy_from_slice(&EIO.to_le_bytes());
    e
}

/// Collects one APDU from the host's reports: the channel of its first report, then each
/// report in sequence on that channel.
#[derive(Default)]
struct Incoming {
    channel: u16,
    expected: usize,
    next_seq: u16,
    apdu: zeroize::Zeroizing<Vec<u8>>,
}

impl Incoming {
    /// Takes one report; the whole APDU and its channel once complete. A report out of order
    /// restarts the collection (the real device drops it likewise).
    fn push(&mut self, report: &[u8]) -> Option<(u16, zeroize::Zeroizing<Vec<u8>>)> {
        let [c0, c1, tag, s0, s1, payload @ ..] = report else { return None };
        if *tag != TAG_APDU {
            return None;
        }
        let (channel, seq) = (u16::from_be_bytes([*c0, *c1]), u16::from_be_bytes([*s0, *s1]));
        let payload = if seq == 0 {
            let [l0, l1, rest @ ..] = payload else { return None };
            *self = Incoming {
                channel,
                expected: usize::from(u16::from_be_bytes([*l0, *l1])),
                ..Incoming::default()
            };
            rest
        } else if seq == self.next_seq && channel == self.channel && self.expected > 0 {
            payload
        } else {
            *self = Incoming::default();
            return None;
        };
        self.next_seq = seq.wrapping_add(1);
        let take = self.expected.saturating_sub(self.apdu.len()).min(payload.len());
        self.apdu.extend_from_slice(&payload[..take]);
        (self.apdu.len() == self.expected).then(|| {
            let done = std::mem::take(self);
            (done.channel, done.apdu)
        })
    }
}

/// Serves the app on a uhid device: creates it, answers every APDU the host writes, and
/// destroys it when the app says to disconnect (a fault) or the kernel stops it. Returns why it
/// ended.
pub fn serve(
    dev: &mut (impl Read + Write),
    app: &Mutex<EmulatorApp>,
    name: &str,
    uniq: &str,
) -> std::io::Result<Event> {
    dev.write_all(&create_event(name, "bounded-signer/uhid", uniq))?;
    let mut incoming = Incoming::default();
    let mut buf = vec![0u8; EVENT_SIZE];
    loop {
        dev.read_exact(&mut buf)?;
        let event = parse_event(&buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        match event {
            Event::Output(report) => {
                let Some((channel, apdu)) = incoming.push(&report) else { continue };
                let outcome = app.lock().unwrap_or_else(|p| p.into_inner()).handle(&apdu);
                match outcome {
                    Outcome::Answer(answer) => {
                        for report in frame(channel, &answer) {
                            dev.write_all(&input_event(&report))?;
                        }
                    }
                    Outcome::Disconnect => {
                        dev.write_all(&destroy_event())?;
                        return Ok(Event::Stop);
                    }
                }
            }
            Event::GetReport { id } => dev.write_all(&refuse_report(UHID_GET_REPORT_REPLY, id))?,
            Event::SetReport { id } => dev.write_all(&refuse_report(UHID_SET_REPORT_REPLY, id))?,
            Event::Stop => return Ok(Event::Stop),
            Event::Start | Event::Open | Event::Close | Event::Other(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
