//! `emulator`: serve until killed, or until the uhid device is unplugged.

use std::io::Write;
use std::path::Path;

use zeroize::Zeroizing;

use crate::cli::EmulatorArgs;
use crate::emulator::{Emulator, EmulatorConfig, SPECULOS_MNEMONIC, uhid};
use crate::error::{CliError, Exit};
use crate::input::read_file_limited;

/// The product name a Nano S+ gives the kernel (manufacturer, then product), which hidapi
/// reports as the product string of a device with no USB parent.
const UHID_NAME: &str = "Ledger Nano S Plus";

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
        verbose_eip712: args.verbose_eip712,
        fault: args.fault,
    })
}

pub fn run(args: &EmulatorArgs) -> Result<Exit, CliError> {
    // Opened first: without it there is nothing to serve, and the listeners would hold ports.
    let uhid_device = args.uhid.as_deref().map(open_uhid).transpose()?;
    let emulator = Emulator::start(config(args)?).map_err(|e| {
        CliError::input(e.to_string())
            .hint("Choose other ports (--apdu-port, --api-port; 0 picks free ones).")
    })?;
    let mut ready = emulator.ready_line();
    if let Some(path) = &args.uhid {
        ready.push_str(&format!(" uhid={} serial={}", path.display(), args.serial));
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{ready}");
    let _ = out.flush();
    drop(out);
    let Some(mut device) = uhid_device else {
        loop {
            std::thread::park();
        }
    };
    uhid::serve(&mut device, &emulator.app, UHID_NAME, &args.serial)
        .map_err(|e| CliError::internal(format!("uhid: {e}")))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "uhid={} unplugged", device_path_display(args));
    let _ = out.flush();
    Ok(Exit::Success)
}

fn device_path_display(args: &EmulatorArgs) -> String {
    args.uhid.as_deref().map(|p| p.display().to_string()).unwrap_or_default()
}

fn open_uhid(path: &Path) -> Result<std::fs::File, CliError> {
    std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| {
        CliError::input(format!("{}: {e}", path.display())).hint(
            "The uhid device needs Linux's uhid module (sudo modprobe uhid) and root, which may open it.",
        )
    })
}
