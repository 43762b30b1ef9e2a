//! Whatever a device (or something posing as one) answers, the client never panics and never
//! accepts a malformed answer as an address or a signature: HID reports are reassembled with
//! their channel, tag and sequence checked, and every app command parses its answer strictly.
#![no_main]

use bounded_signer::device::apdu::{Answer, VRule};
use bounded_signer::device::eth_app::{parse_address_answer, signature_from_answer};
use bounded_signer::device::hid_framing::{REPORT, Reassembler, frame};
use bounded_signer::device::{DerivationPath, EthApp, Exchange, TransportError};
use libfuzzer_sys::fuzz_target;

/// A transport that answers each APDU with the next fuzzer-chosen answer.
struct Scripted<'a>(std::slice::Chunks<'a, u8>);

impl Exchange for Scripted<'_> {
    fn exchange(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.next().map(<[u8]>::to_vec).ok_or_else(|| TransportError::Disconnected("script ended".into()))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 4 {
        0 => {
            // HID: reports cut from the input; an answer never exceeds what was received.
            let mut r = Reassembler::new(0x0101);
            let mut received = 0usize;
            for report in rest.chunks(REPORT) {
                received += report.len();
                match r.push(report) {
                    Ok(Some(answer)) => {
                        assert!(answer.len() <= received);
                        // What we frame, we reassemble to the same bytes.
                        let mut again = Reassembler::new(0x0101);
                        let out = frame(0x0101, &answer).iter().find_map(|f| again.push(f).ok().flatten());
                        assert_eq!(out.as_deref(), Some(&answer[..]));
                        break;
                    }
                    Ok(None) => {}
                    Err(_) => break,
                }
            }
        }
        1 => {
            if let Some(a) = Answer::parse(rest) {
                assert_eq!(a.to_bytes(), rest);
            }
            if let Ok(address) = parse_address_answer(rest) {
                assert_eq!(address.public_key.len(), 65);
            }
            for rule in [VRule::Typed, VRule::Legacy27, VRule::Eip155 { chain_id: 1 }, VRule::Eip155 { chain_id: 137 }] {
                if let Ok(sig) = signature_from_answer(rest, rule) {
                    assert_eq!(sig.as_bytes().len(), 65);
                }
            }
        }
        _ => {
            // The client's probes against scripted answers of 1 to 64 bytes each.
            let size = usize::from(selector / 4 % 64) + 1;
            let mut app = EthApp::new(Scripted(rest.chunks(size)));
            if app.preflight(true).is_ok() {
                let _ = app.address(&DerivationPath::default_account(), false);
            }
        }
    }
});
