//! Status words and device faults, worded as what a person at the ceremony can do (§2.2).

use thiserror::Error;

use super::transport::TransportError;

/// Everything that can go wrong between the host and the device.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DeviceError {
    /// The transport failed (no device, disconnected, garbled frames).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// `5515` (or the legacy `6804`, `6982`): a PIN is set and not entered.
    #[error("the Ledger is locked (status {0:04x})")]
    Locked(u16),
    /// `6D00`, `6E00`, `6E01`, `6511`: another app, or the dashboard, is open.
    #[error("the Ethereum app is not open (status {0:04x})")]
    WrongApp(u16),
    /// `6985`: the person rejected the prompt.
    #[error("rejected on the device")]
    Rejected,
    /// `6A80` on a transaction with calldata: blind signing is off (or the data is invalid).
    #[error("the device refused the data (status 6a80): blind signing is off, or the data is invalid")]
    IncorrectData,
    /// `6A80` on an EIP-712 full-mode field: neither "Raw messages" nor "Blind signing" is on.
    #[error(
        "the device refused the typed data (status 6a80): neither \"Raw messages\" nor \"Blind signing\" is on"
    )]
    TypedDataRefused,
    /// Blind signing is off and the calldata is not empty (read from GET_APP_CONFIGURATION).
    #[error("blind signing is disabled in the Ethereum app")]
    BlindSigningOff,
    /// `6501`: the app does not sign this transaction type (blob transactions).
    #[error("the Ethereum app does not sign this transaction type (status 6501)")]
    TxTypeUnsupported,
    /// `6A15`: the path is outside the app's allowed paths.
    #[error("the Ethereum app refuses this derivation path (status 6a15)")]
    PathNotAllowed,
    /// `6807`: the amount does not fit the device's screen buffer (`EXCEPTION_OVERFLOW`).
    #[error("the device cannot display this amount (status 6807)")]
    AmountNotDisplayable,
    /// `6A84`: the device ran out of memory.
    #[error("the message is too large for the device (status 6a84)")]
    TooLarge,
    /// `6901`: the OS control center is open.
    #[error("the device menu is open (status 6901)")]
    MenuOpen,
    /// `6A87`, `6B00`, `6980`: the client sent a malformed or out-of-order APDU. A bug here.
    #[error("the device says the client sent a malformed APDU (status {0:04x})")]
    ClientBug(u16),
    /// Any other status word.
    #[error("the device answered status {0:04x}")]
    Other(u16),
    /// The app is older than this tool supports.
    #[error("Ethereum app {found} is older than {required}")]
    AppTooOld {
        /// The version found.
        found: String,
        /// The minimum.
        required: &'static str,
    },
    /// The answer does not have the layout the app uses.
    #[error("malformed answer from the device: {0}")]
    BadAnswer(&'static str),
    /// The returned signature does not recover to the expected account.
    #[error("the returned signature does not recover to {expected} (it recovers to {recovered})")]
    WrongSignature {
        /// The account that should have signed.
        expected: String,
        /// What the signature recovers to.
        recovered: String,
    },
}

impl DeviceError {
    /// Maps a non-9000 status word.
    pub fn from_status(sw: u16) -> Self {
        match sw {
            0x5515 | 0x6804 | 0x6982 => DeviceError::Locked(sw),
            0x6D00 | 0x6E00 | 0x6E01 | 0x6511 => DeviceError::WrongApp(sw),
            0x6985 => DeviceError::Rejected,
            0x6A80 => DeviceError::IncorrectData,
            0x6501 => DeviceError::TxTypeUnsupported,
            0x6A15 => DeviceError::PathNotAllowed,
            0x6A84 => DeviceError::TooLarge,
            0x6807 => DeviceError::AmountNotDisplayable,
            0x6901 => DeviceError::MenuOpen,
            0x6A87 | 0x6B00 | 0x6980 => DeviceError::ClientBug(sw),
            _ => DeviceError::Other(sw),
        }
    }

    /// What the person should do.
    pub fn hint(&self) -> &'static str {
        match self {
            DeviceError::Transport(TransportError::NoDevice) => {
                "Connect the Ledger, unlock it, open the Ethereum app; on Linux install udev/20-ledger.rules."
            }
            DeviceError::Transport(TransportError::NoAccess { .. }) => {
                "Install udev/20-ledger.rules and use the laptop's own login session (udev/README.md; scripts/hid-vm checks a laptop image), then replug the Ledger."
            }
            DeviceError::Transport(TransportError::SeveralDevices(_)) => {
                "Name one with --device ledger:PATH (bounded-signer address --list prints the paths)."
            }
            DeviceError::Transport(_) => "Check the cable or the emulator, then run the command again.",
            DeviceError::Locked(_) => {
                "Unlock the Ledger with its PIN, open the Ethereum app, and run the command again."
            }
            DeviceError::WrongApp(_) => "Open the Ethereum app on the Ledger.",
            DeviceError::Rejected => "Rejected on the device. Nothing was signed.",
            DeviceError::IncorrectData | DeviceError::BlindSigningOff => {
                "Enable blind signing in the Ethereum app: Settings > Blind signing."
            }
            DeviceError::TypedDataRefused => {
                "In the Ethereum app's settings turn on \"Raw messages\" (the device then shows every field you approve) or \"Blind signing\" (it shows the domain and the message hash), or sign with --hashed."
            }
            DeviceError::TxTypeUnsupported => "The Ledger cannot sign this transaction type.",
            DeviceError::PathNotAllowed => "Use a path under m/44'/60'.",
            DeviceError::TooLarge => "The device cannot hold this message.",
            DeviceError::AmountNotDisplayable => {
                "The value has too many digits for the Ledger's screen (it formats at most 49 characters, ticker included). Check the value: no approved upgrade sends that much."
            }
            DeviceError::MenuOpen => "Close the menu on the device.",
            DeviceError::ClientBug(_) | DeviceError::BadAnswer(_) => {
                "This is a bug in bounded-signer or a faulty device; please report it."
            }
            DeviceError::Other(_) => "Unplug and replug the Ledger, open the Ethereum app, and try again.",
            DeviceError::AppTooOld { .. } => "Update the Ethereum app with Ledger Live.",
            DeviceError::WrongSignature { .. } => {
                "Do not use this signature. Check the device and the derivation path, and report it."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every status word of the fact sheet's table: its error, exit code and what to do.
    #[test]
    fn status_words_map_to_exit_codes_and_actions() {
        let table: &[(u16, u8, &str)] = &[
            (0x5515, 4, "Unlock"),
            (0x6804, 4, "Unlock"),
            (0x6982, 4, "Unlock"),
            (0x6D00, 4, "Open the Ethereum app"),
            (0x6E00, 4, "Open the Ethereum app"),
            (0x6E01, 4, "Open the Ethereum app"),
            (0x6511, 4, "Open the Ethereum app"),
            (0x6985, 4, "Rejected on the device"),
            (0x6A80, 4, "Enable blind signing"),
            (0x6501, 4, "cannot sign this transaction type"),
            (0x6A15, 4, "m/44'/60'"),
            (0x6A84, 4, "cannot hold"),
            (0x6807, 4, "too many digits"),
            (0x6901, 4, "Close the menu"),
            (0x6A87, 1, "bug"),
            (0x6B00, 1, "bug"),
            (0x6980, 1, "bug"),
            (0x6F00, 4, "replug"),
        ];
        for (sw, exit, hint) in table {
            let e = crate::error::CliError::from(DeviceError::from_status(*sw));
            assert_eq!(e.kind.exit_code(), *exit, "{sw:04x}");
            assert!(e.hint.as_deref().unwrap_or_default().contains(hint), "{sw:04x}: {:?}", e.hint);
            assert!(e.message.contains(&format!("{sw:04x}")) || *sw == 0x6985, "{sw:04x}: {}", e.message);
        }
        assert_eq!(
            crate::error::CliError::from(DeviceError::Transport(TransportError::SeveralDevices(2)))
                .kind
                .exit_code(),
            2
        );
        assert_eq!(
            crate::error::CliError::from(DeviceError::Transport(TransportError::NoDevice)).kind.exit_code(),
            4
        );
    }
}
