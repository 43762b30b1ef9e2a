//! `decode TX` and `decode --calldata HEX [--to ADDR]`.

use firmware_policy::calls::Detail;
use firmware_policy::calls::decode_call;
use firmware_policy::{ArgValue, Operation, U256};
use serde_json::json;

use crate::cli::{DecodeArgs, TextOut, print_json, print_text};
use crate::error::{CliError, Exit};
use crate::input::{ReadProposal, Source, parse_hex, read_proposal};
use crate::render::{self, human::no_labels};

pub(crate) fn run(args: &DecodeArgs, json: bool) -> Result<Exit, CliError> {
    if let Some(calldata) = &args.calldata {
        let data = parse_hex(calldata, &Source::Inline, "--calldata")?;
        let to = args.to;
        let mut tree = decode_call(to, U256::ZERO, Operation::Call, &data)
            .map_err(|e| CliError::input(format!("--calldata: {e}")))?;
        if to.is_none() {
            // A call whose target was not given, not a contract creation.
            tree.details.push(Detail { key: "to_given", value: ArgValue::Bool(false) });
        }
        if json {
            print_json(&json!({ "calls": render::json::call_node(&tree) }));
        } else {
            render::human::write_calls(&mut TextOut::new(), &tree, &no_labels);
        }
        return Ok(Exit::Success);
    }
    let tx_arg = crate::input::tx_argument(args.tx.as_deref())?;
    let ReadProposal { proposal, sender, claimed_from: claimed, .. } = read_proposal(tx_arg)?;
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
        render::human::write_calls(&mut TextOut::new(), proposal.calls(), &no_labels);
    }
    Ok(Exit::Success)
}
