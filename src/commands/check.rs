//! `check --manifest M (--approved-hash H | --trust T --approvals A…) TX [--now T]`.

use firmware_policy::check_opened;

use crate::cli::{CheckArgs, TextOut, print_json};
use crate::error::{CliError, Exit};
use crate::input::ReadProposal;
use crate::render;
use crate::timefmt::now;

pub(crate) fn run(args: &CheckArgs, json: bool) -> Result<Exit, CliError> {
    let opened = crate::approvals::open(&args.source.source(), &args.proof.proof())?;
    let manifest = &opened.manifest;
    let now = args.now.unwrap_or_else(now);
    let ReadProposal { proposal, sender, claimed_from: claimed, .. } =
        opened.proposal(args.tx.as_deref(), &args.source)?;
    // Names from the manifest's `abi`, only once its hash matched.
    let (proposal, abi) = crate::abi::named_proposal(manifest, proposal)
        .map_err(|e| CliError::input(format!("{}: {e}", args.source.source().describe())))?;
    let witness = args.witness.read(opened.bundle.as_ref())?;
    let verdict = opened.verdict(now, |m, approved| check_opened(m, approved, &proposal, now));
    let (verdict, simulation) =
        crate::gate::gated_verdict(&opened, &proposal, now, witness.as_ref(), verdict);
    // Labels and action names come from the manifest: only an approved one is trusted for them.
    let trusted = manifest.approved().map(|m| m.manifest());
    let diff = crate::abi::diff(manifest, &verdict, &proposal, abi.as_ref());
    if json {
        print_json(&render::json::VerdictJson {
            verdict: &verdict,
            tx: proposal.tx(),
            calls: proposal.calls(),
            manifest: trusted,
            diff: diff.as_ref(),
            simulation: simulation.as_ref(),
        });
    } else {
        render::human::write_report(
            &mut TextOut::new(),
            trusted,
            &proposal,
            sender,
            claimed,
            render::human::Evaluation {
                verdict: &verdict,
                diff: diff.as_ref(),
                simulation: simulation.as_ref(),
            },
        );
    }
    Ok(if verdict.approved() { Exit::Success } else { Exit::Refused })
}
