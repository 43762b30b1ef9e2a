//! A Ledger over USB HID. Discovery uses `ledger-transport-hid` (vendor 0x2c97, the APDU
//! interface with usage page 0xffa0); the 64-byte reports are framed by `hid_framing`, our own
//! tested pure functions, so that channel, tag and sequence are checked on every answer and the
//! read blocks with no timeout while the person reviews (the crate hard-codes 10,000 s).

use ledger_transport_hid::TransportNativeHID;
use ledger_transport_hid::hidapi::{DeviceInfo, HidApi, HidDevice};

use super::hid_framing::{CHANNEL, REPORT, Reassembler, frame};
use super::transport::{Exchange, TransportError};

const LEDGER_VID: u16 = 0x2c97;

/// One open Ledger.
pub struct HidTransport {
    device: HidDevice,
    // Kept alive for the device's lifetime.
    _api: HidApi,
}

/// A connected Ledger, as `address --list` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The hidraw path to pass as `--device ledger:PATH`.
    pub path: String,
    /// The product string.
    pub product: String,
}

fn hid_err(e: impl std::fmt::Display) -> TransportError {
    TransportError::Hid(e.to_string())
}

fn ledgers(api: &HidApi) -> Vec<&DeviceInfo> {
    let mut found: Vec<&DeviceInfo> = TransportNativeHID::list_ledgers(api).collect();
    // Some Linux hidapi builds report no usage page; the APDU interface is then interface 0.
    if found.is_empty() {
        found = api
            .device_list()
            .filter(|d| d.vendor_id() == LEDGER_VID && d.usage_page() == 0 && d.interface_number() == 0)
            .collect();
    }
    found
}

impl HidTransport {
    /// Lists connected Ledgers.
    pub fn list() -> Result<Vec<Listed>, TransportError> {
        let api = HidApi::new().map_err(hid_err)?;
        Ok(ledgers(&api)
            .into_iter()
            .map(|d| Listed {
                path: d.path().to_string_lossy().into_owned(),
                product: d.product_string().unwrap_or("Ledger").to_string(),
            })
            .collect())
    }

    /// Opens the only Ledger, or the one at `path`.
    pub fn open(path: Option<&str>) -> Result<Self, TransportError> {
        let api = HidApi::new().map_err(hid_err)?;
        let found = ledgers(&api);
        let info = match path {
            Some(p) => {
                found.into_iter().find(|d| d.path().to_string_lossy() == p).ok_or(TransportError::NoDevice)?
            }
            None => match found.as_slice() {
                [] => return Err(TransportError::NoDevice),
                [one] => *one,
                many => return Err(TransportError::SeveralDevices(many.len())),
            },
        };
        let device = info.open_device(&api).map_err(|e| {
            // hidapi says why only in text; the node itself tells whether it is a permission.
            let path = info.path().to_string_lossy().into_owned();
            match std::fs::OpenOptions::new().read(true).write(true).open(&path) {
                Err(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
                    TransportError::NoAccess { path }
                }
                _ => hid_err(e),
            }
        })?;
        device.set_blocking_mode(true).map_err(hid_err)?;
        Ok(HidTransport { device, _api: api })
    }
}

impl Exchange for HidTransport {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut reports = frame(CHANNEL, apdu);
        let mut written = Ok(());
        for report in &reports {
            // hidapi wants a leading report id (0x00) before the 64 bytes.
            let mut buf = zeroize::Zeroizing::new([0u8; REPORT + 1]);
            buf[1..].copy_from_slice(report);
            if let Err(e) = self.device.write(&*buf) {
                written = Err(TransportError::Disconnected(e.to_string()));
                break;
            }
        }
        zeroize::Zeroize::zeroize(&mut reports);
        written?;
        let mut reassembler = Reassembler::new(CHANNEL);
        loop {
            let mut report = [0u8; REPORT];
            // Blocks with no timeout: the answer to SIGN comes when the person decides.
            let n = self.device.read(&mut report).map_err(|e| TransportError::Disconnected(e.to_string()))?;
            let report = report.get(..n).unwrap_or_default();
            if let Some(answer) =
                reassembler.push(report).map_err(|e| TransportError::Garbled(e.to_string()))?
            {
                return Ok(answer);
            }
        }
    }
}
