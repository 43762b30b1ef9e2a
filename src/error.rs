//! The CLI edge: the one place where errors of every layer become exit codes, "what went wrong"
//! with its whole cause chain, and "what to do". Layers below return their own error types
//! (`InputError`, `ManifestFileError`, `HomeError`, `OutputError`, `JournalError`,
//! `DeviceError`); each converts here, so no layer decides an exit code for itself.

use std::error::Error as StdError;
use std::fmt;

use crate::device::{DeviceError, TransportError};
use crate::home::HomeError;
use crate::input::InputError;
use crate::journal::JournalError;
use crate::manifest_file::ManifestFileError;
use crate::output::OutputError;

/// The exit codes of `spec/cli.md`, all of them, in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Built, decoded, approved, signed.
    Success = 0,
    /// A bug.
    Internal = 1,
    /// Bad input or usage.
    Input = 2,
    /// A policy refusal.
    Refused = 3,
    /// The device refused or failed.
    Device = 4,
    /// The journal already holds another signature or intent for the action.
    AlreadySigned = 5,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The kinds of failure of `spec/cli.md` (an [`Exit`] that is not a success or a refusal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Exit 1: a bug.
    Internal,
    /// Exit 2: bad input or usage.
    Input,
    /// Exit 4: device refusal or fault.
    Device,
    /// Exit 5: the journal already holds a signature for this action.
    AlreadySigned,
}

impl ErrorKind {
    /// The exit.
    pub fn exit(self) -> Exit {
        match self {
            ErrorKind::Internal => Exit::Internal,
            ErrorKind::Input => Exit::Input,
            ErrorKind::Device => Exit::Device,
            ErrorKind::AlreadySigned => Exit::AlreadySigned,
        }
    }

    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        self.exit().code()
    }

    /// The `kind` field of the JSON error document.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Internal => "internal",
            ErrorKind::Input => "input",
            ErrorKind::Device => "device",
            ErrorKind::AlreadySigned => "already_signed",
        }
    }

    /// What to do, when the error itself has nothing more specific to say.
    fn default_hint(self) -> &'static str {
        match self {
            ErrorKind::Internal => {
                "This is a bug in bounded-signer; please report it with the command you ran."
            }
            ErrorKind::Input => {
                "Fix the input named above and run again (bounded-signer --help shows the usage)."
            }
            ErrorKind::Device => "Check the device and its Ethereum app, then run again.",
            ErrorKind::AlreadySigned => {
                "An action is signed once. A different payload needs a new, approved manifest."
            }
        }
    }
}

/// An error as the user sees it.
#[derive(Debug)]
pub struct CliError {
    /// Which exit code.
    pub kind: ErrorKind,
    /// What went wrong, naming the file and the field or offset.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The layer error this came from, if any: its chain is printed after `message`.
    pub cause: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl CliError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CliError { kind, message: message.into(), hint: None, cause: None }
    }

    /// Bad input or usage (exit 2).
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }

    /// The journal already holds another signature or intent (exit 5).
    pub fn already_signed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AlreadySigned, message)
    }

    /// A bug (exit 1).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Adds what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Wraps a layer error: its `Display` is the message, its sources the chain.
    fn from_layer<E: StdError + Send + Sync + 'static>(kind: ErrorKind, error: E, hint: &str) -> Self {
        CliError {
            kind,
            message: error.to_string(),
            hint: Some(hint.to_string()),
            cause: Some(Box::new(error)),
        }
    }

    /// "what went wrong: why: why …": the message and every source below it.
    pub fn full_message(&self) -> String {
        let mut out = self.message.clone();
        let mut next = self.cause.as_deref().and_then(|e| e.source());
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }

    /// What to do: the error's own hint, else the one for its kind.
    pub fn what_to_do(&self) -> &str {
        self.hint.as_deref().unwrap_or(self.kind.default_hint())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full_message())
    }
}

impl StdError for CliError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.cause.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Layers whose every error is bad input (exit 2), each with its own hint.
macro_rules! input_layer {
    ($($layer:ty),* $(,)?) => {$(
        impl From<$layer> for CliError {
            fn from(e: $layer) -> Self {
                let hint = e.hint();
                CliError::from_layer(ErrorKind::Input, e, hint)
            }
        }
    )*};
}

input_layer!(InputError, ManifestFileError, HomeError, OutputError);

impl From<JournalError> for CliError {
    fn from(e: JournalError) -> Self {
        let hint = match e {
            JournalError::Busy(_) => "Wait for the other run to finish.",
            _ => {
                "Keep the journal file as evidence; run `bounded-signer journal verify` and explain it before signing."
            }
        };
        CliError::from_layer(ErrorKind::Input, e, hint)
    }
}

impl From<DeviceError> for CliError {
    /// Exit 1 for client bugs, 2 for several Ledgers and none named (a usage question), 4 for
    /// everything the device or the person decided.
    fn from(e: DeviceError) -> Self {
        let kind = match e {
            DeviceError::ClientBug(_) => ErrorKind::Internal,
            DeviceError::Transport(TransportError::SeveralDevices(_)) => ErrorKind::Input,
            _ => ErrorKind::Device,
        };
        let hint = e.hint().to_string();
        CliError::from_layer(kind, e, &hint)
    }
}

impl From<crate::signing::SigningError> for CliError {
    fn from(e: crate::signing::SigningError) -> Self {
        use crate::signing::SigningError as E;
        match e {
            E::AlreadySigned(_) => {
                let hint = ErrorKind::AlreadySigned.default_hint();
                CliError::from_layer(ErrorKind::AlreadySigned, e, hint)
            }
            E::Journal(e) => e.into(),
            E::Device(e) => e.into(),
        }
    }
}

/// The error document of `--json` mode.
pub fn error_json(e: &CliError) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "kind": e.kind.as_str(),
            "message": e.full_message(),
            "hint": e.what_to_do(),
        }
    })
}
