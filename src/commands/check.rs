//! `check --manifest M --approved-hash H TX [--now T]`.

use alloy_primitives::Address;
use firmware_policy::{Proposal, check_opened};

use crate::cli::{CheckArgs, print_json, print_text};
use crate::error::CliError;
use crate::input::{TxInput, read_tx};
use crate::render;
use crate::timefmt::now;

/// The sender of a signed raw transaction, recovered from its signature.
pub(crate) fn recover_sender(input: &TxInput) -> Result<Option<Address>, CliError> {
    let Some(sig) = input.tx.signature() else { return Ok(None) };
    sig.recover_address_from_prehash(&input.tx.signing_hash()).map(Some).map_err(|e| {
        CliError::input(format!("{}: the signature does not recover a sender: {e}", input.source))
    })
}

pub(crate) fn run(args: &CheckArgs, json: bool) -> Result<u8, CliError> {
    let approved = args.approved_hash;
    let manifest = super::manifest::open(&args.manifest, approved)?;
    let now = args.now.unwrap_or_else(now);
    let input = read_tx(&args.tx)?;
    let sender = recover_sender(&input)?;
    let claimed = input.claimed_from;
    let source = input.source.clone();
    let proposal =
        Proposal::new(input.tx).map_err(|e| CliError::input(format!("{source}: calldata: {e}")))?;
    let verdict = check_opened(&manifest, approved, &proposal, now);
    // Labels and action names come from the manifest: only an approved one is trusted for them.
    let trusted = manifest.approved().map(|m| m.manifest());
    if json {
        print_json(&render::json::verdict(&verdict, proposal.tx(), proposal.calls()));
    } else {
        let lookup = |a: &Address| trusted.and_then(|m| m.label(a)).map(str::to_string);
        let action_name = verdict.action().and_then(|i| trusted?.actions.get(i)).map(|a| a.name.as_str());
        print_text(&render::human::tx(proposal.tx(), sender, claimed, &lookup));
        print_text("\n");
        print_text(&render::human::calls(proposal.calls(), &lookup));
        print_text("\n");
        print_text(&render::human::verdict(&verdict, action_name));
    }
    Ok(if verdict.approved() { 0 } else { 3 })
}
