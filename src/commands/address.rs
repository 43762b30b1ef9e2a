//! `address [--device D] [--path P] [--confirm] [--list]`.

use serde_json::json;

use crate::cli::{AddressArgs, print_json, print_text};
use crate::device::hid::HidTransport;
use crate::device::{DeviceError, EthApp};
use crate::error::{CliError, Exit};

pub fn run(args: &AddressArgs, json_out: bool) -> Result<Exit, CliError> {
    if args.list {
        let found = HidTransport::list().map_err(|e| CliError::from(DeviceError::from(e)))?;
        if json_out {
            let list: Vec<_> = found.iter().map(|d| json!({"path": d.path, "product": d.product})).collect();
            print_json(&json!({ "devices": list }));
        } else if found.is_empty() {
            print_text(
                "No Ledger found over USB. Plug it in, unlock it and open the Ethereum app; on Linux the udev rules\nmust be installed (udev/README.md).\n",
            );
        } else {
            for d in &found {
                print_text(&format!("ledger:{}  ({})\n", d.path, d.product));
            }
        }
        return Ok(Exit::Success);
    }
    let path = &args.path;
    let mut app = EthApp::new(args.device.open().map_err(CliError::from)?);
    app.app_configuration().map_err(CliError::from)?;
    if args.confirm && !json_out {
        crate::cli::print_diagnostic("Confirm the address on the Ledger.");
    }
    let got = app.address(path, args.confirm).map_err(CliError::from)?;
    if json_out {
        print_json(&json!({
            "address": got.address.to_checksum(None),
            "path": path.to_string(),
            "public_key": alloy_primitives::hex::encode_prefixed(got.public_key),
        }));
    } else {
        print_text(&format!("{}  {}\n", got.address.to_checksum(None), path));
    }
    Ok(Exit::Success)
}
