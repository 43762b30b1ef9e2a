//! `emulator`: serve until killed.

use std::io::Write;

use zeroize::Zeroizing;

use crate::cli::EmulatorArgs;
use crate::emulator::{Approve, Emulator, EmulatorConfig, Fault, SPECULOS_MNEMONIC};
use crate::error::CliError;
use crate::input::read_file_limited;

/// The emulator configuration the flags describe.
pub fn config(args: &EmulatorArgs) -> Result<EmulatorConfig, CliError> {
    let mnemonic = match &args.mnemonic_file {
        Some(path) => {
            let bytes = read_file_limited(path, 4096)?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| CliError::input(format!("{}: not UTF-8", path.display())))?;
            Zeroizing::new(text.trim().to_string())
        }
        None => Zeroizing::new(SPECULOS_MNEMONIC.to_string()),
    };
    let approve = match args.approve.as_str() {
        "auto" => Approve::Auto,
        "reject" => Approve::Reject,
        "manual" => Approve::Manual,
        other => {
            return Err(CliError::input(format!("--approve {other:?}: expected auto, reject or manual")));
        }
    };
    let blind_signing = match args.blind_signing.as_str() {
        "on" => true,
        "off" => false,
        other => return Err(CliError::input(format!("--blind-signing {other:?}: expected on or off"))),
    };
    let fault = args.fault.as_deref().map(Fault::parse).transpose().map_err(CliError::input)?;
    Ok(EmulatorConfig {
        apdu_port: args.apdu_port,
        api_port: args.api_port,
        mnemonic,
        approve,
        blind_signing,
        fault,
    })
}

pub fn run(args: &EmulatorArgs) -> Result<u8, CliError> {
    let emulator = Emulator::start(config(args)?).map_err(|e| {
        CliError::input(e.to_string())
            .hint("Choose other ports (--apdu-port, --api-port; 0 picks free ones).")
    })?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", emulator.ready_line());
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
