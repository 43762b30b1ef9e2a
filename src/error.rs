//! The CLI edge: one error type that knows its exit code and renders as "what went wrong" plus
//! "what to do", for people and as the JSON error document of the spec.

use std::fmt;

/// The exit codes of `spec/cli.md`.
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
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Input => 2,
            ErrorKind::Device => 4,
            ErrorKind::AlreadySigned => 5,
        }
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
}

/// An error as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// Which exit code.
    pub kind: ErrorKind,
    /// What went wrong, naming the file and the field or offset.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl CliError {
    /// Bad input or usage (exit 2).
    pub fn input(message: impl Into<String>) -> Self {
        CliError { kind: ErrorKind::Input, message: message.into(), hint: None }
    }

    /// A bug (exit 1).
    pub fn internal(message: impl Into<String>) -> Self {
        CliError {
            kind: ErrorKind::Internal,
            message: message.into(),
            hint: Some("This is a bug in bounded-signer; please report it with the command you ran.".into()),
        }
    }

    /// Adds what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The error document of `--json` mode.
pub fn error_json(e: &CliError) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "kind": e.kind.as_str(),
            "message": e.message,
            "hint": e.hint,
        }
    })
}
