//! `emulator`: serve until killed.

use std::io::Write;

use zeroize::Zeroizing;

use crate::cli::EmulatorArgs;
use crate::emulator::{Emulator, EmulatorConfig, SPECULOS_MNEMONIC};
use crate::error::{CliError, Exit};
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
    Ok(EmulatorConfig {
        apdu_port: args.apdu_port,
        api_port: args.api_port,
        mnemonic,
        approve: args.approve,
        blind_signing: args.blind_signing,
        fault: args.fault,
    })
}

pub fn run(args: &EmulatorArgs) -> Result<Exit, CliError> {
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
