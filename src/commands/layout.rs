//! `layout check OLD NEW [--contract NAME] [--reference NAME]`: whether an upgrade's new
//! implementation keeps the old one's storage (`crate::layout`).

use std::fmt::Write as _;

use serde_json::json;

use crate::cli::{LayoutCheckArgs, print_json, print_text};
use crate::error::{CliError, Exit};
use crate::layout::{compare, read};

pub(crate) fn check(args: &LayoutCheckArgs, json_out: bool) -> Result<Exit, CliError> {
    let input = |e: crate::layout::LayoutError| {
        CliError::input(e.to_string())
            .hint("Give solc's standard-JSON output or a build-info file, compiled with outputSelection storageLayout and ast, and the contract's name.")
    };
    let old = read(&args.old, args.reference.as_deref().or(args.contract.as_deref())).map_err(input)?;
    let new = read(&args.new, args.contract.as_deref()).map_err(input)?;
    let findings = compare(&old, &new);
    let compatible = !findings.iter().any(|f| f.error);
    if json_out {
        print_json(&json!({
            "compatible": compatible,
            "old": {"file": args.old.display().to_string(), "contract": old.contract, "digest": format!("{:#x}", old.digest()), "variables": old.vars.len(), "namespaces": old.namespaces.len()},
            "new": {"file": args.new.display().to_string(), "contract": new.contract, "digest": format!("{:#x}", new.digest()), "variables": new.vars.len(), "namespaces": new.namespaces.len()},
            "findings": findings.iter().map(|f| json!({"kind": if f.error { "error" } else { "note" }, "what": f.what, "detail": f.detail})).collect::<Vec<_>>(),
        }));
    } else {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Storage layout {} ({}, {} variables, {} namespaces) → {} ({}, {} variables, {} namespaces): {}",
            old.contract,
            args.old.display(),
            old.vars.len(),
            old.namespaces.len(),
            new.contract,
            args.new.display(),
            new.vars.len(),
            new.namespaces.len(),
            if compatible { "COMPATIBLE" } else { "INCOMPATIBLE" }
        );
        for f in &findings {
            let _ = writeln!(
                s,
                "  {} {:<9} {}",
                if f.error { "FAIL" } else { "note" },
                f.what,
                crate::text::escape(&f.detail)
            );
        }
        let _ = writeln!(s, "  digests   old {:#x}, new {:#x}", old.digest(), new.digest());
        print_text(&s);
    }
    Ok(if compatible { Exit::Success } else { Exit::Refused })
}
