//! One trait for every way to reach a device: bytes of one APDU out, bytes of its answer in.

use thiserror::Error;

/// Transport failures, below the APDU level.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No Ledger is connected (or it is not accessible: udev rules).
    #[error("no Ledger found over USB")]
    NoDevice,
    /// Several Ledgers are connected and none was named.
    #[error("{0} Ledgers are connected")]
    SeveralDevices(usize),
    /// The device or emulator could not be reached.
    #[error("cannot reach the device at {address}: {reason}")]
    Connect {
        /// Where.
        address: String,
        /// Why.
        reason: String,
    },
    /// The connection broke during an exchange.
    #[error("the device disconnected during an exchange: {0}")]
    Disconnected(String),
    /// The device's framing was not what the protocol says.
    #[error("garbled answer from the device: {0}")]
    Garbled(String),
    /// The Ledger is there, but this user may not open its hidraw node (no udev rule grants it).
    #[error("this user may not open the Ledger at {path}")]
    NoAccess {
        /// The hidraw node.
        path: String,
    },
    /// The operating system's HID layer failed.
    #[error("USB HID error: {0}")]
    Hid(String),
}

/// Sends one APDU and returns its answer (`data ‖ SW`). Blocks while the device waits for the
/// person: there is deliberately no timeout on the answer.
pub trait Exchange {
    /// One exchange.
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: Exchange + ?Sized> Exchange for Box<T> {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).exchange(apdu)
    }
}
