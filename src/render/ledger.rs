//! The device's steps as the signer reads them while `sign` runs: what the Ethereum app answered,
//! whose account is at the path, and, before the device is asked, every screen it is about to
//! show, broken into lines as it breaks them, so the signer compares screen against screen.

use std::fmt::Write as _;

use alloy_primitives::{Address, B256};

use crate::device::{AppConfiguration, DerivationPath};
use crate::ledger_screens::Screen;

/// After GET_APP_CONFIGURATION: the app, its version, the blind-signing setting.
pub fn device_ready(config: &AppConfiguration, needs_blind_signing: bool) -> String {
    let blind = match (config.blind_signing, needs_blind_signing) {
        (true, true) => "blind signing on (needed: the transaction has calldata)",
        (true, false) => "blind signing on (not needed: the transaction has no calldata)",
        (false, _) => "blind signing off (not needed: the transaction has no calldata)",
    };
    format!("Ledger\n  Ethereum app {} found; {blind}\n", config.version_string())
}

/// After the account at the path was bound to the approval.
pub fn account_bound(path: &DerivationPath, account: Address, label: Option<&str>) -> String {
    let label = label.map(|l| format!(" ({})", crate::text::escape(l))).unwrap_or_default();
    format!("  {path} is {account}{label}, the manifest's executor ✓\n")
}

/// Before the device is asked: the screens it will show and the hash to compare.
pub fn awaiting_approval(signing_hash: B256, screens: Option<&[Screen]>) -> String {
    let mut s = String::new();
    match screens {
        Some(screens) => {
            let _ = writeln!(
                s,
                "\nThe Ledger will show these {} screens, line by line as below (right button: next).\nCompare each with the device before you approve:",
                screens.len()
            );
            write_screens(&mut s, screens);
        }
        None => {
            let _ = writeln!(
                s,
                "\nThe Ledger cannot show this transaction's amount and will refuse it (6807) before any review."
            );
        }
    }
    let _ = writeln!(s, "Signing hash: {signing_hash:#x}");
    let _ = writeln!(s, "  (the device's \"Tx hash\" pages, when the transaction has calldata)");
    let _ = writeln!(s, "Waiting for you to approve on the Ledger…");
    s
}

/// Screens numbered, each line as the device shows it.
pub fn write_screens(s: &mut String, screens: &[Screen]) {
    for (i, screen) in screens.iter().enumerate() {
        for (j, line) in screen.iter().enumerate() {
            // Lines can end in the space the device breaks after; it is shown as it is.
            if j == 0 {
                let _ = writeln!(s, "  {:>2}  {line}", i + 1);
            } else {
                let _ = writeln!(s, "      {line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screens_are_numbered_and_their_lines_kept() {
        let screens = vec![
            vec!["Review transaction".to_string()],
            vec!["Max fees".to_string(), "0.009 ETH".to_string()],
        ];
        let text = awaiting_approval(B256::repeat_byte(0xab), Some(&screens));
        assert!(text.contains("   1  Review transaction\n   2  Max fees\n      0.009 ETH\n"), "{text}");
        assert!(text.contains(&format!("Signing hash: {:#x}\n", B256::repeat_byte(0xab))));
        let refused = awaiting_approval(B256::ZERO, None);
        assert!(refused.contains("will refuse it (6807)"));
    }
}
