//! `decode TX` and `decode --calldata HEX [--to ADDR]`.

use firmware_policy::calls::decode_call;
use firmware_policy::{Operation, Proposal, U256};
use serde_json::json;

use crate::cli::{DecodeArgs, print_json, print_text};
use crate::error::CliError;
use crate::input::{Source, parse_hex, read_tx};
use crate::render::{self, human::no_labels};

pub(crate) fn run(args: &DecodeArgs, json: bool) -> Result<u8, CliError> {
    if let Some(calldata) = &args.calldata {
        let data = parse_hex(calldata, &Source::Inline, "--calldata")?;
        let to = args.to;
        let tree = decode_call(to, U256::ZERO, Operation::Call, &data)
            .map_err(|e| CliError::input(format!("--calldata: {e}")))?;
        if json {
            print_json(&json!({ "calls": render::json::call_node(&tree) }));
        } else {
            print_text(&render::human::calls(&tree, &no_labels));
        }
        return Ok(0);
    }
    let tx_arg = args.tx.as_deref().ok_or_else(|| CliError::input("decode needs TX or --calldata"))?;
    let input = read_tx(tx_arg)?;
    let sender = super::check::recover_sender(&input)?;
    let claimed = input.claimed_from;
    let source = input.source.clone();
    let proposal =
        Proposal::new(input.tx).map_err(|e| CliError::input(format!("{source}: calldata: {e}")))?;
    let tx = proposal.tx();
    if json {
        print_json(&json!({
            "tx": render::json::tx(tx, sender, claimed),
            "signing_payload": render::json::bytes(tx.signing_payload()),
            "signing_hash": render::json::bytes(tx.signing_hash().as_slice()),
            "calls": render::json::call_node(proposal.calls()),
        }));
    } else {
        print_text(&render::human::tx(tx, sender, claimed, &no_labels));
        print_text("\n");
        print_text(&render::human::calls(proposal.calls(), &no_labels));
    }
    Ok(0)
}
