//! Ledger's HID framing (§4.2), as pure functions: every report is 64 bytes,
//! `channel(2) ‖ tag 05 ‖ seq(2) ‖ payload`, and the first report of a message carries the
//! message length (2 bytes, big-endian) before the payload. The HID transport only moves these
//! reports; everything here is tested against recorded frames.

use thiserror::Error;

/// Report size on the wire.
pub const REPORT: usize = 64;
/// The channel Ledger's documentation and the Rust crates use.
pub const CHANNEL: u16 = 0x0101;
/// The APDU tag.
pub const TAG_APDU: u8 = 0x05;
const HEADER: usize = 5;

/// Why a report was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FramingError {
    /// Another channel: another program talks to the device.
    #[error("report on channel {0:04x}, expected 0101 (is another program using the Ledger?)")]
    Channel(u16),
    /// Not an APDU report.
    #[error("report tag {0:02x}, expected 05")]
    Tag(u8),
    /// Out of sequence.
    #[error("report sequence {got}, expected {expected}")]
    Sequence {
        /// Expected index.
        expected: u16,
        /// Received index.
        got: u16,
    },
    /// A report shorter than its header.
    #[error("report of {0} bytes is too short")]
    Short(usize),
}

/// The reports carrying one APDU.
#[expect(clippy::cast_possible_truncation, reason = "an APDU is at most 260 bytes, so 5 reports")]
pub fn frame(channel: u16, apdu: &[u8]) -> Vec<[u8; REPORT]> {
    let mut stream = Vec::with_capacity(2 + apdu.len());
    stream.extend_from_slice(&(apdu.len() as u16).to_be_bytes());
    stream.extend_from_slice(apdu);
    stream
        .chunks(REPORT - HEADER)
        .enumerate()
        .map(|(seq, piece)| {
            let mut report = [0u8; REPORT];
            report[..2].copy_from_slice(&channel.to_be_bytes());
            report[2] = TAG_APDU;
            report[3..5].copy_from_slice(&(seq as u16).to_be_bytes());
            report[HEADER..HEADER + piece.len()].copy_from_slice(piece);
            report
        })
        .collect()
}

/// Reassembles one answer from reports, checking channel, tag and sequence.
#[derive(Debug)]
pub struct Reassembler {
    channel: u16,
    next_seq: u16,
    expected_len: Option<usize>,
    buf: Vec<u8>,
}

impl Reassembler {
    /// Expects an answer on `channel`.
    pub fn new(channel: u16) -> Self {
        Reassembler { channel, next_seq: 0, expected_len: None, buf: Vec::new() }
    }

    /// Takes one report; returns the whole answer (`data ‖ SW`) once complete.
    pub fn push(&mut self, report: &[u8]) -> Result<Option<Vec<u8>>, FramingError> {
        if report.len() < HEADER {
            return Err(FramingError::Short(report.len()));
        }
        let channel = u16::from_be_bytes([report[0], report[1]]);
        if channel != self.channel {
            return Err(FramingError::Channel(channel));
        }
        if report[2] != TAG_APDU {
            return Err(FramingError::Tag(report[2]));
        }
        let seq = u16::from_be_bytes([report[3], report[4]]);
        if seq != self.next_seq {
            return Err(FramingError::Sequence { expected: self.next_seq, got: seq });
        }
        self.next_seq = self.next_seq.wrapping_add(1);
        let mut payload = &report[HEADER..];
        if seq == 0 {
            if payload.len() < 2 {
                return Err(FramingError::Short(report.len()));
            }
            self.expected_len = Some(usize::from(u16::from_be_bytes([payload[0], payload[1]])));
            payload = &payload[2..];
        }
        let want = self.expected_len.unwrap_or(0);
        let take = want.saturating_sub(self.buf.len()).min(payload.len());
        self.buf.extend_from_slice(&payload[..take]);
        Ok((self.buf.len() == want).then(|| std::mem::take(&mut self.buf)))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::hex;

    use super::*;

    #[test]
    fn first_report_of_get_address_matches_the_recorded_frame() {
        // §4.2: GET_ADDRESS (26-byte APDU), first report.
        let apdu = hex!("e002000015058000002c8000003c800000000000000000000000");
        let reports = frame(CHANNEL, &apdu);
        assert_eq!(reports.len(), 1);
        let mut want = [0u8; 64];
        let head = hex!("0101050000001ae002000015058000002c8000003c800000000000000000000000");
        want[..head.len()].copy_from_slice(&head);
        assert_eq!(reports[0], want);
    }

    #[test]
    #[expect(clippy::cast_possible_truncation, reason = "test data")]
    fn long_apdus_span_reports_with_rising_sequence_numbers() {
        // The largest Ethereum APDU: 5 + 255 bytes → 262 bytes with the length → 5 reports.
        let apdu: Vec<u8> = (0..260u32).map(|i| i as u8).collect();
        let reports = frame(CHANNEL, &apdu);
        assert_eq!(reports.len(), 5);
        for (i, r) in reports.iter().enumerate() {
            assert_eq!(&r[..3], &[0x01, 0x01, 0x05]);
            assert_eq!(u16::from_be_bytes([r[3], r[4]]), i as u16);
        }
        assert_eq!(&reports[0][5..7], &[0x01, 0x04]);
        // Reassembling the same frames yields the APDU back.
        let mut r = Reassembler::new(CHANNEL);
        let mut out = None;
        for report in &reports {
            out = r.push(report).unwrap();
        }
        assert_eq!(out.unwrap(), apdu);
    }

    #[test]
    fn answer_of_109_bytes_reassembles_and_padding_is_dropped() {
        // A GET_ADDRESS answer: 107 data bytes + 9000.
        let mut answer = vec![0x41];
        answer.extend([0x04; 65]);
        answer.push(0x28);
        answer.extend(b"Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D");
        answer.extend([0x90, 0x00]);
        assert_eq!(answer.len(), 109);
        let reports = frame(CHANNEL, &answer);
        assert_eq!(reports.len(), 2);
        let mut r = Reassembler::new(CHANNEL);
        assert_eq!(r.push(&reports[0]).unwrap(), None);
        assert_eq!(r.push(&reports[1]).unwrap(), Some(answer));
    }

    #[test]
    fn foreign_channel_tag_and_sequence_are_refused() {
        let reports = frame(CHANNEL, &[0x90, 0x00]);
        let mut other = reports[0];
        other[1] = 0x02;
        assert_eq!(Reassembler::new(CHANNEL).push(&other), Err(FramingError::Channel(0x0102)));
        let mut ping = reports[0];
        ping[2] = 0x02;
        assert_eq!(Reassembler::new(CHANNEL).push(&ping), Err(FramingError::Tag(0x02)));
        let mut late = reports[0];
        late[4] = 1;
        assert_eq!(
            Reassembler::new(CHANNEL).push(&late),
            Err(FramingError::Sequence { expected: 0, got: 1 })
        );
        assert_eq!(Reassembler::new(CHANNEL).push(&[1, 1]), Err(FramingError::Short(2)));
    }
}
