//! The screens app-ethereum 1.22.0 shows on a Nano S+, as `GET /events` reports their text: one
//! screen a list of lines. Measured on the real app under Speculos (ledger-protocol.md §5.5) and
//! read from its review flow: From, Amount (when there is no calldata, or a value), To, Max fees,
//! Network (for chains other than 1), and the Tx hash when there is calldata, then the decision.
//!
//! One model for two users: the emulator shows these screens, and `sign` prints them before the
//! device is asked, so the signer compares the device's screens with the tool's line by line.
//! Values are broken into lines and pages by pixel width, as the device does (`font`); fixed
//! texts are written as the device breaks them.

mod amount;
mod font;

pub use amount::format as format_amount;

use alloy_primitives::{Address, B256, U256};
use firmware_policy::DecodedTx;

use crate::chains;

/// One screen: its lines, top to bottom.
pub type Screen = Vec<String>;

fn screen(lines: &[&str]) -> Screen {
    lines.iter().map(|l| (*l).to_string()).collect()
}

/// A titled value, paged as the device pages it: "Title" alone when it fits one page, else
/// "Title (i/n)" on each page.
pub fn paged(title: &str, value: &str) -> Vec<Screen> {
    let pages = font::pages(value);
    let count = pages.len();
    if count <= 1 {
        let mut s = vec![title.to_string()];
        s.extend(pages.into_iter().flatten());
        return vec![s];
    }
    pages
        .into_iter()
        .enumerate()
        .map(|(i, page)| {
            let mut s = vec![format!("{title} ({}/{count})", i + 1)];
            s.extend(page);
            s
        })
        .collect()
}

/// Reads a hex value back from screen lines as `GET /events` lists them: the lines after each
/// page title of `title` ("Tx hash", "Tx hash (1/2)", …), while they are hex.
pub fn read_hex_value(lines: &[&str], title: &str) -> String {
    let page_title = |l: &str| l == title || l.strip_prefix(title).is_some_and(|rest| rest.starts_with(" ("));
    let hex_line = |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_hexdigit() || c == 'x');
    let mut out = String::new();
    let mut inside = false;
    for line in lines {
        if page_title(line) {
            inside = true;
        } else if inside && hex_line(line) {
            out.push_str(line);
        } else {
            inside = false;
        }
    }
    out
}

/// The home screen.
pub fn home() -> Screen {
    screen(&["Ethereum", "app is ready"])
}

/// What a transaction review needs to know.
pub struct TxReview<'a> {
    /// The signing account.
    pub from: Address,
    /// The target (`None` for creation).
    pub to: Option<Address>,
    /// Wei sent.
    pub value: U256,
    /// The calldata.
    pub data: &'a [u8],
    /// The chain id (a pre-EIP-155 transaction is shown as chain 0's fee ticker, as the app does).
    pub chain_id: u64,
    /// gasPrice, or maxFeePerGas, times the gas limit.
    pub max_fee: U256,
    /// The signing hash.
    pub hash: B256,
}

impl<'a> TxReview<'a> {
    /// What the device reviews for `tx` signed by `from`: `hash` is what it hashed (the signing
    /// hash, or the bytes a pre-EIP-155 tail made), `chain_override` the chain such a tail named.
    pub fn of(tx: &'a DecodedTx, from: Address, hash: B256, chain_override: Option<u64>) -> Self {
        let price = tx.gas_price().or(tx.max_fee_per_gas()).unwrap_or_default();
        TxReview {
            from,
            to: tx.to(),
            value: tx.value(),
            data: tx.input(),
            chain_id: chain_override.or(tx.chain_id()).unwrap_or(0),
            max_fee: U256::from(price).saturating_mul(U256::from(tx.gas_limit())),
            hash,
        }
    }
}

/// ERC-20 `transfer(address,uint256)`, which the app's built-in ERC-20 plugin reviews itself.
const ERC20_TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];

/// The screens of a transaction review, up to the decision screen. `None` when the amount cannot
/// be formatted (the app then answers 6807 before showing anything).
pub fn transaction(review: &TxReview<'_>) -> Option<Vec<Screen>> {
    let ticker = chains::ticker(review.chain_id);
    let amount = amount::format(review.value, ticker)?;
    // A fee that does not fit is shown empty, as the app does.
    let fee = amount::format(review.max_fee, ticker).unwrap_or_default();
    let from = review.from.to_checksum(None);
    let mut screens = Vec::new();
    let erc20 = review.data.len() == 68 && review.data.starts_with(&ERC20_TRANSFER) && review.to.is_some();
    if erc20 {
        screens.push(screen(&["Blind signing ahead", "To accept risk, press ", "both buttons"]));
        screens.push(screen(&["Review transaction to ", "send ERC20 token"]));
        screens.extend(paged("From", &from));
        screens.extend(paged("Max fees", &fee));
        screens.push(screen(&["Accept risk and ", "sign transaction"]));
        return Some(screens);
    }
    let blind = !review.data.is_empty();
    if blind {
        screens.push(screen(&["Blind signing ahead", "To accept risk, press ", "both buttons"]));
    }
    screens.push(screen(&["Review transaction"]));
    screens.extend(paged("From", &from));
    if !blind || !review.value.is_zero() {
        screens.extend(paged("Amount", &amount));
    }
    match review.to {
        Some(to) => screens.extend(paged("To", &to.to_checksum(None))),
        None => screens.push(screen(&["To", "Contract"])),
    }
    screens.extend(paged("Max fees", &fee));
    if review.chain_id != 1 {
        screens.extend(paged("Network", &chains::network_name(review.chain_id)));
    }
    if blind {
        screens.extend(paged("Tx hash", &format!("{:#x}", review.hash)));
        screens.push(screen(&["Accept risk and ", "sign transaction"]));
    } else {
        screens.push(screen(&["Sign transaction"]));
    }
    Some(screens)
}

/// What the device will show when `from` signs `tx` as the client sends it (the whole signing
/// payload, so the device's hash is the signing hash): the host's twin of the review.
pub fn expected_review(tx: &DecodedTx, from: Address) -> Option<Vec<Screen>> {
    transaction(&TxReview::of(tx, from, tx.signing_hash(), None))
}

/// Shown when the person presses right on the decision screen: both buttons then reject.
pub fn reject_transaction() -> Screen {
    screen(&["Reject transaction"])
}

/// Shown when the person presses right on an address's "Confirm": both buttons then cancel.
pub fn address_cancel() -> Screen {
    screen(&["Cancel"])
}

/// Shown when the person presses right on a message's decision screen: the app says
/// "transaction" here too.
pub fn reject_message() -> Screen {
    screen(&["Reject transaction"])
}

/// After the decision.
pub fn transaction_decided(approved: bool) -> Screen {
    screen(if approved { &["Transaction signed"] } else { &["Transaction rejected"] })
}

/// Blind signing is off and the transaction has calldata.
pub fn blind_signing_disabled() -> Screen {
    screen(&["Blind signing must", "be enabled in", "settings"])
}

/// A valid EIP-7702 authorization while the "Smart accounts" setting is off (the default): the
/// app answers 6980 and explains, then offers the settings or a rejection.
pub fn smart_accounts_disabled() -> Vec<Screen> {
    let mut screens =
        paged("Unable to sign", "Enable smart account upgrade in the settings to sign this authorization.");
    screens.push(screen(&["Go to settings"]));
    screens.push(screen(&["Reject ", "authorization"]));
    screens
}

/// An address shown for verification, up to the decision.
pub fn address(address: Address) -> Vec<Screen> {
    let mut screens = vec![screen(&["Verify Ethereum", "address"])];
    screens.extend(paged("Address", &address.to_checksum(None)));
    screens.push(screen(&["Confirm"]));
    screens
}

/// After an address verification.
pub fn address_decided(approved: bool) -> Screen {
    screen(if approved { &["Address verified"] } else { &["Address verification ", "cancelled"] })
}

fn upper_hex(b: &[u8]) -> String {
    format!("0x{}", alloy_primitives::hex::encode_upper(b))
}

/// An EIP-712 message in hashed mode, up to the decision: both hashes as uppercase hex.
pub fn typed_message(domain: &[u8], message: &[u8]) -> Vec<Screen> {
    let mut screens = typed_message_intro();
    screens.extend(paged("Domain hash", &upper_hex(domain)));
    screens.extend(paged("Message hash", &upper_hex(message)));
    screens.push(sign_message());
    screens
}

/// The first screens of every EIP-712 review without Ledger-signed filters, hashed or full.
pub fn typed_message_intro() -> Vec<Screen> {
    vec![
        screen(&["Blind signing ahead", "To accept risk, press ", "both buttons"]),
        screen(&["Review typed ", "message"]),
    ]
}

/// Full mode with "Raw messages" on: the header of each struct.
pub fn review_struct(name: &str) -> Screen {
    let mut s = vec!["Review struct".to_string()];
    s.extend(font::pages(name).into_iter().flatten());
    s
}

/// Full mode with "Raw messages" on: between two items (right continues, both skip to the end).
pub fn continue_or_skip() -> Screen {
    screen(&["Press right button to ", "continue message or ", "press both to skip"])
}

/// The decision screen of a message.
pub fn sign_message() -> Screen {
    screen(&["Sign message"])
}

/// A field of a full-mode EIP-712 message, as the device shows it (its value paged).
pub fn typed_field(key: &str, value: &str) -> Vec<Screen> {
    paged(key, value)
}

/// Full mode, up to the decision, for a message of flat structs given as (name, [(key, shown
/// value)]): with "Raw messages" on, every struct and field; otherwise the domain's fields (the
/// first struct) and then `message_hash`.
pub fn full_typed_message(
    structs: &[(&str, Vec<(&str, String)>)],
    verbose: bool,
    message_hash: &[u8],
) -> Vec<Screen> {
    let mut out = typed_message_intro();
    let mut items = 0usize;
    for (i, (name, fields)) in structs.iter().enumerate() {
        let mut item = |out: &mut Vec<Screen>, screens: Vec<Screen>| {
            if verbose && items > 0 {
                out.push(continue_or_skip());
            }
            items += 1;
            out.extend(screens);
        };
        if verbose {
            item(&mut out, vec![review_struct(name)]);
        }
        for (key, value) in fields {
            if verbose || i == 0 {
                item(&mut out, typed_field(key, value));
            }
        }
    }
    if !verbose {
        out.extend(paged("Message hash", &upper_hex(message_hash)));
    }
    out.push(sign_message());
    out
}

/// An approval of the manifest in full mode, up to the decision: with "Raw messages" on, both
/// structs field by field; otherwise the domain's fields and the message hash.
pub fn release_approval_review(
    subject: &firmware_policy::release_approval::ReleaseSubject,
    verbose: bool,
) -> Vec<Screen> {
    use firmware_policy::release_approval::{DOMAIN_NAME, DOMAIN_VERSION};
    let chain = subject.chain_id.to_string();
    let domain = vec![
        ("name", DOMAIN_NAME.to_string()),
        ("version", DOMAIN_VERSION.to_string()),
        ("chainId", chain.clone()),
    ];
    let message = vec![
        ("manifestHash", upper_hex(subject.manifest_hash.0.as_slice())),
        ("release", subject.release.clone()),
        ("chainId", chain),
        ("notBefore", subject.not_before.to_string()),
        ("expiresAt", subject.expires_at.to_string()),
    ];
    let hash = subject.hashes().message_hash;
    full_typed_message(&[("EIP712Domain", domain), ("ReleaseApproval", message)], verbose, hash.as_slice())
}

/// A personal message (EIP-191), up to the decision, as app-ethereum 1.22.0 shows it: the text
/// when every byte is printable ASCII or white space (white space shown as a space), otherwise
/// `0x` and lowercase hex, paged (its ragger snapshots `test_personal_sign_*` on the Nano S+).
pub fn personal_message(message: &[u8]) -> Vec<Screen> {
    // C's isprint and isspace in the "C" locale, which the app calls on each byte.
    let shown_as_text = message.iter().all(|b| (0x20..=0x7e).contains(b) || (0x09..=0x0d).contains(b));
    let text = if shown_as_text {
        message
            .iter()
            .map(|&b| if b.is_ascii_whitespace() || b == 0x0b { ' ' } else { char::from(b) })
            .collect()
    } else {
        format!("0x{}", alloy_primitives::hex::encode(message))
    };
    let mut screens = vec![screen(&["Review message"])];
    screens.extend(paged("Message", &text));
    screens.push(screen(&["Sign message"]));
    screens
}

/// After a message decision.
pub fn message_decided(approved: bool) -> Screen {
    screen(if approved { &["Message signed"] } else { &["Message rejected"] })
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, address};

    use super::*;

    const FROM: Address = address!("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
    const TO: Address = address!("0x3a35f296e66B56D13cEd22538Ce13eA2E0cf4bF2");

    fn review(data: &[u8], value: u64, chain_id: u64) -> TxReview<'_> {
        TxReview {
            from: FROM,
            to: Some(TO),
            value: U256::from(value),
            data,
            chain_id,
            max_fee: U256::from(1_050_000_000_000_000u64),
            hash: B256::repeat_byte(0xab),
        }
    }

    fn texts(screens: &[Screen]) -> Vec<String> {
        screens.iter().map(|s| s.join(" / ")).collect()
    }

    #[test]
    fn an_address_is_three_lines_and_the_tx_hash_two_pages() {
        let s = paged("From", &FROM.to_checksum(None));
        // Measured on the real app: lines break by pixel width.
        assert_eq!(s, vec![vec!["From", "0xDad77910DbDFdE7", "64fC21FCD4E74D71b", "BACA6D8D"]]);
        let hash = format!("{:#x}", B256::repeat_byte(0xab));
        let s = paged("Tx hash", &hash);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0][0], "Tx hash (1/2)");
        // "a" is 6 pixels and "b" 7: 17 characters a line.
        assert_eq!(s[0][1..], ["0xabababababababa", "babababababababab", "ababababababababa"]);
        assert_eq!(s[1], ["Tx hash (2/2)", "bababababababab"]);
    }

    #[test]
    fn a_transfer_shows_amount_and_a_contract_call_the_hash() {
        let transfer = transaction(&review(&[], 1_250_000_000_000_000_000, 1)).expect("fits");
        assert_eq!(
            texts(&transfer),
            [
                "Review transaction",
                "From / 0xDad77910DbDFdE7 / 64fC21FCD4E74D71b / BACA6D8D",
                "Amount / 1.25 ETH",
                "To / 0x3a35f296e66B56D1 / 3cEd22538Ce13eA2E0 / cf4bF2",
                "Max fees / 0.00105 ETH",
                "Sign transaction",
            ]
        );
        let call = transaction(&review(&[1, 2, 3, 4], 0, 11155111)).expect("fits");
        let t = texts(&call);
        assert_eq!(t[0], "Blind signing ahead / To accept risk, press  / both buttons");
        assert!(!t.iter().any(|s| s.starts_with("Amount")), "no amount for a call without value");
        assert!(t.contains(&"Network / Sepolia".to_string()));
        assert!(
            t.iter().any(|s| s.starts_with("Tx hash (1/2)"))
                && t.iter().any(|s| s.starts_with("Tx hash (2/2)"))
        );
        assert_eq!(t.last().map(String::as_str), Some("Accept risk and  / sign transaction"));
        let unknown = transaction(&review(&[], 1_000_000_000_000_000_000, 424242)).expect("fits");
        let t = texts(&unknown);
        assert!(t.contains(&"Amount / 1 ???".to_string()) && t.contains(&"Network / 424242".to_string()));
    }

    #[test]
    fn a_paged_hash_reads_back_whole() {
        let hash = format!("{:#x}", B256::repeat_byte(0xcd));
        let screens = paged("Tx hash", &hash);
        let mut lines: Vec<String> = vec!["Max fees".into(), "0.00105 ETH".into()];
        lines.extend(screens.into_iter().flatten());
        lines.extend(["Accept risk and".to_string(), "sign transaction".to_string()]);
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(read_hex_value(&refs, "Tx hash"), hash);
    }

    #[test]
    fn an_erc20_transfer_is_reviewed_by_the_plugin() {
        let mut data = ERC20_TRANSFER.to_vec();
        data.resize(68, 0);
        let t = texts(&transaction(&review(&data, 0, 1)).expect("fits"));
        assert_eq!(t[1], "Review transaction to  / send ERC20 token");
        assert!(!t.iter().any(|s| s.starts_with("To ") || s.starts_with("Tx hash")));
    }

    #[test]
    fn the_smart_accounts_refusal_pages_as_measured() {
        // Read off app-ethereum 1.22.0 under Speculos (2026-12-01).
        let t = texts(&smart_accounts_disabled());
        assert_eq!(
            t,
            [
                "Unable to sign (1/2) / Enable smart account  / upgrade in the  / settings to sign this ",
                "Unable to sign (2/2) / authorization.",
                "Go to settings",
                "Reject  / authorization",
            ]
        );
    }

    #[test]
    fn an_amount_that_does_not_fit_is_no_review() {
        assert!(transaction(&TxReview { value: U256::MAX, ..review(&[], 0, 1) }).is_none());
    }
}

#[cfg(test)]
mod personal_message_tests {
    use super::*;

    /// app-ethereum 1.22.0's own Nano S+ snapshots (`tests/ragger/snapshots/nanosp/
    /// test_personal_sign_{non_ascii,metamask}`), read off the images.
    #[test]
    fn pages_as_the_apps_snapshots() {
        let hash =
            alloy_primitives::hex::decode("9c22ff5f21f0b81b113e63f7db6da94fedef11b2119b4088b89664fb9a3cb658")
                .expect("hex");
        assert_eq!(
            personal_message(&hash),
            vec![
                screen(&["Review message"]),
                screen(&["Message (1/2)", "0x9c22ff5f21f0b81b1", "13e63f7db6da94fede", "f11b2119b4088b8966"]),
                screen(&["Message (2/2)", "4fb9a3cb658"]),
                screen(&["Sign message"]),
            ]
        );
        assert_eq!(
            personal_message(b"Example `personal_sign` message"),
            vec![
                screen(&["Review message"]),
                screen(&["Message", "Example `personal_", "sign` message"]),
                screen(&["Sign message"]),
            ]
        );
    }
}
