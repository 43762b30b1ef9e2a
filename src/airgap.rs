//! Files across the air gap as BC-UR: any file (a bundle, a manifest, an approval, a signature
//! document) becomes a `ur:bytes` multi-part sequence, fountain-coded by the `ur` crate, whose
//! payload is the file as one CBOR byte string (what `@ngraveio/bc-ur`'s `UR.fromBuffer` makes).
//! Parts are written uppercase: QR's alphanumeric mode holds them densest, and readers lowercase
//! them.
//!
//! The receiver reads each part strictly ([`part`]) and solves the parts' XOR equations itself
//! ([`solver`]), finishing with a few parts more than the fragment count where `ur`'s peeling
//! decoder needs many more. The declared fragment count is capped at [`MAX_FRAGMENTS`]: choosing
//! a mixed part's fragments (the `ur` crate's chooser) costs work in that count, and so does
//! reducing the part. 5000 fragments of the default 250 bytes is over 1 MiB.

use ciborium_ll::{Decoder as CborDecoder, Encoder as CborEncoder, Header};

pub mod eth_request;
mod part;
pub mod qr;
pub mod registry;
mod solver;
pub mod terminal;

/// The default fragment length: a part of 250 bytes is about 540 uppercase characters, a QR code
/// of version 13 at error correction level L (15 at M) in alphanumeric mode, which phones and
/// laptop webcams read at arm's length.
pub const DEFAULT_FRAGMENT_LEN: usize = 250;
/// The most fragments a received sequence may declare (see the module documentation).
pub const MAX_FRAGMENTS: usize = 5000;
/// The largest file sent or received.
pub const MAX_FILE_BYTES: usize = firmware_policy::bundle::MAX_BUNDLE_BYTES;

struct VecSink<'a>(&'a mut Vec<u8>);

impl ciborium_io::Write for VecSink<'_> {
    type Error = std::convert::Infallible;
    fn write_all(&mut self, data: &[u8]) -> Result<(), Self::Error> {
        self.0.extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The UR payload of a file: the file as one CBOR byte string.
pub fn payload_of(file: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(file.len() + 9);
    let mut enc = CborEncoder::from(VecSink(&mut out));
    let Ok(()) = enc.push(Header::Bytes(Some(file.len())));
    out.extend_from_slice(file);
    out
}

/// The file in a UR payload: exactly one definite CBOR byte string, nothing after it.
pub fn file_of(payload: &[u8]) -> Option<&[u8]> {
    let mut dec = CborDecoder::from(payload);
    let Ok(Header::Bytes(Some(len))) = dec.pull() else { return None };
    let rest = payload.get(dec.offset()..)?;
    // Shortest head only: one encoding per file.
    (rest.len() == len && payload_of(rest).len() == payload.len()).then_some(rest)
}

/// Why parts could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The file is empty or too large, or the fragment length is zero.
    #[error("{0}")]
    Input(String),
}

/// The first `count` parts of the fountain-coded sequence of `file`, uppercase: the first
/// fragment-count parts are the fragments themselves, the rest mixes of them.
pub fn parts(file: &[u8], fragment_len: usize, count: usize) -> Result<Vec<String>, SendError> {
    if file.is_empty() || file.len() > MAX_FILE_BYTES {
        return Err(SendError::Input(format!("a file of 1 to {MAX_FILE_BYTES} bytes, not {}", file.len())));
    }
    let fragments = fragment_count(file.len(), fragment_len);
    if fragments > MAX_FRAGMENTS {
        let at_least = (file.len() + 9).div_ceil(MAX_FRAGMENTS);
        return Err(SendError::Input(format!(
            "{} bytes at a fragment length of {fragment_len} make {fragments} fragments; a receiver takes at \
             most {MAX_FRAGMENTS}: pass --fragment-len {at_least} or more",
            file.len()
        )));
    }
    let payload = payload_of(file);
    let mut encoder = ur::Encoder::bytes(&payload, fragment_len)
        .map_err(|e| SendError::Input(format!("the fragment length {fragment_len}: {e}")))?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let part = encoder.next_part().map_err(|e| SendError::Input(e.to_string()))?;
        out.push(part.to_ascii_uppercase());
    }
    Ok(out)
}

/// How many fragments a file makes at a fragment length.
pub fn fragment_count(file_len: usize, fragment_len: usize) -> usize {
    // The `ur` encoder splits the payload (the file with its CBOR head) into equal fragments of
    // at most `fragment_len`.
    (file_len + 9).div_ceil(fragment_len.max(1))
}

/// Why a part was refused.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Not a multi-part `ur:bytes` part.
    #[error("not a part of a multi-part ur:bytes sequence ({0})")]
    NotAPart(String),
    /// The part declares more fragments than this receiver takes.
    #[error(
        "it declares {0} fragments; this receiver takes at most {MAX_FRAGMENTS} (send with a larger --fragment-len)"
    )]
    TooManyFragments(usize),
    /// Its bytewords checksum fails: a corrupted frame.
    #[error("corrupted: its checksum does not match ({0})")]
    Corrupted(String),
    /// It belongs to another payload than the parts before it.
    #[error("it is a part of another payload than the parts before it")]
    OtherPayload,
}

/// What every part of one message shares.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Sequence {
    count: usize,
    message_len: usize,
    checksum: u32,
    fragment_len: usize,
}

/// Reassembles a file from parts in any order, with duplicates and gaps, by solving the parts'
/// XOR equations (see [`solver`]): done once the parts span every fragment.
pub struct Receiver {
    /// The UR type taken (`bytes` for files).
    ur_type: &'static str,
    sequence: Option<(Sequence, solver::Solver)>,
    /// Sequence numbers taken: a repeat costs nothing.
    taken: std::collections::HashSet<u32>,
    seen: usize,
    used: usize,
    /// A single-part UR (what other encoders make of a one-fragment payload): the payload.
    single: Option<Vec<u8>>,
}

impl Default for Receiver {
    /// A receiver of files (`ur:bytes`).
    fn default() -> Self {
        Receiver::for_type("bytes")
    }
}

impl Receiver {
    /// A receiver of URs of one type (lowercase, as in `ur:TYPE/…`).
    pub fn for_type(ur_type: &'static str) -> Self {
        Receiver {
            ur_type,
            sequence: None,
            taken: std::collections::HashSet::new(),
            seen: 0,
            used: 0,
            single: None,
        }
    }

    /// Takes one part (its text, any case).
    pub fn receive(&mut self, text: &str) -> Result<(), FrameError> {
        let lower = text.trim().to_ascii_lowercase();
        let rest = lower
            .strip_prefix("ur:")
            .and_then(|r| r.strip_prefix(self.ur_type))
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| FrameError::NotAPart(format!("it does not begin with ur:{}/", self.ur_type)))?;
        if !rest.contains('/') {
            return self.receive_single(&lower);
        }
        if self.single.is_some() {
            return Err(FrameError::OtherPayload);
        }
        let part = part::parse(&lower, self.ur_type, MAX_FRAGMENTS)?;
        let this = Sequence {
            count: part.count,
            message_len: part.message_len,
            checksum: part.checksum,
            fragment_len: part.data.len(),
        };
        let (sequence, solver) =
            self.sequence.get_or_insert_with(|| (this, solver::Solver::new(this.count, this.fragment_len)));
        if *sequence != this {
            return Err(FrameError::OtherPayload);
        }
        self.seen += 1;
        if solver.complete() || !self.taken.insert(part.seq) {
            return Ok(());
        }
        match solver.add(&part.indexes, &part.data) {
            Ok(solver::Step::Used) => self.used += 1,
            Ok(solver::Step::Redundant) => {}
            Err(solver::Contradiction) => return Err(FrameError::OtherPayload),
        }
        Ok(())
    }

    fn receive_single(&mut self, lower: &str) -> Result<(), FrameError> {
        let (_, payload) = ur::decode(lower).map_err(|e| match e {
            ur::ur::Error::Bytewords(e) => FrameError::Corrupted(e.to_string()),
            e => FrameError::NotAPart(e.to_string()),
        })?;
        if self.single.as_ref().is_some_and(|p| *p != payload) || self.sequence.is_some() {
            return Err(FrameError::OtherPayload);
        }
        self.single = Some(payload);
        self.seen += 1;
        self.used = 1;
        Ok(())
    }

    /// Parts taken so far.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// Parts that told the receiver something new (at most the fragment count).
    pub fn used(&self) -> usize {
        self.used
    }

    /// The fragment count the parts declare (once one arrived).
    pub fn fragments(&self) -> Option<usize> {
        self.sequence.as_ref().map(|(s, _)| s.count)
    }

    /// How many fragments are determined so far (for a progress bar).
    pub fn determined(&self) -> usize {
        match (&self.single, &self.sequence) {
            (Some(_), _) => 1,
            (None, Some((_, solver))) => solver.rank(),
            (None, None) => 0,
        }
    }

    /// Whether the file can be assembled.
    pub fn complete(&self) -> bool {
        self.single.is_some() || self.sequence.as_ref().is_some_and(|(_, s)| s.complete())
    }

    /// The file, once complete and its checksum verified (`Err` with why otherwise).
    pub fn file(self) -> Result<Vec<u8>, String> {
        let payload = self.payload()?;
        file_of(&payload)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| String::from("the payload is not one CBOR byte string (not a ur:bytes file)"))
    }

    /// The UR's CBOR payload, once complete and its checksum verified.
    pub fn payload(self) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
        Ok(match (self.single, self.sequence) {
            (Some(p), _) => zeroize::Zeroizing::new(p),
            (None, Some((sequence, solver))) => {
                let mut all = solver.fragments().ok_or_else(|| String::from("not enough parts yet"))?;
                if all.get(sequence.message_len..).is_none_or(|pad| pad.iter().any(|b| *b != 0)) {
                    return Err("the parts do not assemble: the padding after the message is not zero".into());
                }
                all.truncate(sequence.message_len);
                if crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&all) != sequence.checksum {
                    return Err("the parts do not assemble: the message's checksum does not match".into());
                }
                all
            }
            (None, None) => return Err("no parts yet".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(len: usize, fragment_len: usize, drop_every: usize) -> usize {
        let file: Vec<u8> = (0..len).map(|i| u8::try_from(i * 31 % 251).unwrap_or(0)).collect();
        let fragments = fragment_count(len, fragment_len);
        let parts = parts(&file, fragment_len, fragments * 4 + 20).unwrap();
        let mut r = Receiver::default();
        for (i, p) in parts.iter().enumerate() {
            if drop_every > 0 && i % drop_every == 0 {
                continue;
            }
            r.receive(p).unwrap();
            if r.complete() {
                break;
            }
        }
        let seen = r.seen();
        assert_eq!(r.file().unwrap(), file, "{len} bytes");
        seen
    }

    #[test]
    fn files_round_trip_through_lost_and_duplicated_parts() {
        for len in [1, 2, 249, 250, 251, 1000, 20_000] {
            round_trip(len, DEFAULT_FRAGMENT_LEN, 0);
            round_trip(len, DEFAULT_FRAGMENT_LEN, 3);
        }
        // Duplicates and reordering change nothing.
        let file = b"a bundle".repeat(100);
        let parts = parts(&file, 60, 60).unwrap();
        let mut r = Receiver::default();
        for p in parts.iter().rev().chain(parts.iter()) {
            r.receive(p).unwrap();
        }
        assert_eq!(r.file().unwrap(), file);
    }

    #[test]
    fn a_mebibyte_crosses_with_a_tenth_of_its_parts_lost() {
        let file: Vec<u8> = (0..1usize << 20).map(|i| u8::try_from(i * 131 % 251).unwrap()).collect();
        let fragments = fragment_count(file.len(), DEFAULT_FRAGMENT_LEN);
        let sent = parts(&file, DEFAULT_FRAGMENT_LEN, fragments + fragments / 5).unwrap();
        let mut r = Receiver::default();
        for p in sent.iter().enumerate().filter(|(i, _)| i % 10 != 3).map(|(_, p)| p) {
            r.receive(p).unwrap();
            if r.complete() {
                break;
            }
        }
        assert!(r.complete(), "{} of {fragments} fragments", r.determined());
        assert_eq!(r.file().unwrap(), file);
    }

    #[test]
    fn a_foreign_a_corrupted_and_an_oversized_part_are_named() {
        let a = parts(b"first file", 4, 3).unwrap();
        let b = parts(b"another file", 4, 3).unwrap();
        let mut r = Receiver::default();
        r.receive(&a[0]).unwrap();
        assert!(matches!(r.receive(&b[1]), Err(FrameError::OtherPayload)), "{:?}", r.receive(&b[1]));
        let mut corrupted = a[1].clone().into_bytes();
        let last = corrupted.len() - 3;
        corrupted[last] = if corrupted[last] == b'A' { b'B' } else { b'A' };
        let corrupted = String::from_utf8(corrupted).unwrap();
        assert!(matches!(r.receive(&corrupted), Err(FrameError::Corrupted(_))), "{corrupted}");
        assert!(matches!(r.receive("UR:BYTES/1-99999/LPAD"), Err(FrameError::TooManyFragments(99_999))));
        assert!(matches!(r.receive("ur:crypto-psbt/1-3/lpad"), Err(FrameError::NotAPart(_))));
        assert_eq!(file_of(&payload_of(b"x")), Some(&b"x"[..]));
        // A single-part UR, as other encoders make of one fragment.
        let mut one = Receiver::default();
        one.receive(&ur::encode(&payload_of(b"tiny"), &ur::Type::Bytes)).unwrap();
        assert_eq!(one.file().unwrap(), b"tiny");
        assert_eq!(file_of(&[0x58, 0x01, b'x']), None, "a longer head than needed");
    }

    /// Feeds `parts` (in this order) to our receiver and to the `ur` crate's peeling decoder;
    /// returns how many each took to finish (`None`: never).
    fn parts_needed(parts: &[String]) -> (Option<usize>, Option<usize>) {
        let mut ours = Receiver::default();
        let mut reference = ur::Decoder::default();
        let (mut a, mut b) = (None, None);
        for (i, p) in parts.iter().enumerate() {
            if a.is_none() {
                ours.receive(p).unwrap();
                a = ours.complete().then_some(i + 1);
            }
            if b.is_none() {
                reference.receive(&p.to_ascii_lowercase()).unwrap();
                b = reference.complete().then_some(i + 1);
            }
        }
        (a, b)
    }

    #[test]
    fn elimination_finishes_no_later_than_peeling_and_close_to_the_minimum() {
        let file: Vec<u8> = (0..30_000u32).map(|i| u8::try_from(i * 7 % 256).unwrap()).collect();
        let fragments = fragment_count(file.len(), DEFAULT_FRAGMENT_LEN);
        let all = parts(&file, DEFAULT_FRAGMENT_LEN, fragments * 6).unwrap();
        // Every fourth part lost, the first fragments included.
        let kept: Vec<String> =
            all.iter().enumerate().filter(|(i, _)| i % 4 != 1).map(|(_, p)| p.clone()).collect();
        let (ours, reference) = parts_needed(&kept);
        let (ours, reference) = (ours.unwrap(), reference.unwrap());
        assert!(ours <= reference, "ours {ours}, peeling {reference}");
        // No decoder can do with fewer parts than raise the rank: the rest of the gap to the
        // fragment count is parts that only repeat what came before (see benches/frames.rs).
        assert!(ours * 100 <= fragments * 120, "ours took {ours} parts for {fragments} fragments");
        eprintln!("{fragments} fragments: ours {ours}, peeling {reference}");
        let mut r = Receiver::default();
        for p in &kept[..ours] {
            r.receive(p).unwrap();
        }
        assert_eq!((r.used(), r.determined()), (fragments, fragments));
        assert_eq!(r.file().unwrap(), file);
    }

    /// A frame whose CBOR body is `body`, with a valid bytewords checksum.
    fn frame(seq: u32, count: usize, body: &[u8]) -> String {
        format!("ur:bytes/{seq}-{count}/{}", ur::bytewords::encode(body, ur::bytewords::Style::Minimal))
    }

    #[test]
    fn a_part_that_contradicts_the_others_is_refused() {
        let file = b"some file".repeat(40);
        let sent = parts(&file, 30, 60).unwrap();
        let count = fragment_count(file.len(), 30);
        // Every fragment but the last, then a mixed part of known fragments only, one of its
        // bytes flipped (its bytewords checksum recomputed, as a forger would).
        let mut r = Receiver::default();
        for p in &sent[..count - 1] {
            r.receive(p).unwrap();
        }
        let (seq, mixed) = (count..sent.len())
            .map(|i| (i, part::parse(&sent[i].to_ascii_lowercase(), "bytes", MAX_FRAGMENTS).unwrap()))
            .find(|(_, p)| p.indexes.len() > 1 && !p.indexes.contains(&(count - 1)))
            .expect("a mix of known fragments");
        let (_, mut body) = ur::decode(&sent[seq].to_ascii_lowercase()).unwrap();
        let last = body.len() - 1;
        body[last] ^= 1;
        let forged = frame(mixed.seq, count, &body);
        assert!(matches!(r.receive(&forged), Err(FrameError::OtherPayload)));
        // Its true form is merely redundant, and the missing fragment completes the file.
        r.receive(&sent[seq]).unwrap();
        assert_eq!(r.used(), count - 1);
        r.receive(&sent[count - 1]).unwrap();
        assert_eq!(r.file().unwrap(), file);
    }

    #[test]
    fn malformed_bodies_are_named() {
        let sent = parts(&b"x".repeat(100), 30, 4).unwrap();
        let (_, body) = ur::decode(&sent[0].to_ascii_lowercase()).unwrap();
        let mut r = Receiver::default();
        // The text's sequence numbers must be the body's.
        assert!(matches!(r.receive(&frame(2, 4, &body)), Err(FrameError::NotAPart(_))));
        // Trailing bytes after the five fields.
        let mut long = body;
        long.push(0);
        assert!(matches!(r.receive(&frame(1, 4, &long)), Err(FrameError::NotAPart(_))));
        // A fragment count the length does not fit: 100 bytes (and a head) in 9 fragments of 30.
        let mut d = minicbor::Encoder::new(Vec::new());
        d.array(5).unwrap().u32(1).unwrap().u32(9).unwrap().u32(102).unwrap().u32(0).unwrap();
        d.bytes(&[0; 30]).unwrap();
        assert!(matches!(r.receive(&frame(1, 9, d.writer())), Err(FrameError::NotAPart(_))));
        assert_eq!(r.seen(), 0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Whatever is lost, repeated or reordered, the receiver either has the sent bytes or
        /// says it has too few parts: never other bytes.
        #[test]
        fn no_order_or_loss_yields_other_bytes(
            len in 1usize..3000,
            fragment_len in 10usize..300,
            picks in proptest::collection::vec(0usize..10_000, 0..120),
        ) {
            let file: Vec<u8> = (0..len).map(|i| u8::try_from(i * 131 % 253).unwrap()).collect();
            let fragments = fragment_count(len, fragment_len);
            let sent = parts(&file, fragment_len, fragments * 3 + 10).unwrap();
            let mut r = Receiver::default();
            for pick in &picks {
                r.receive(&sent[pick % sent.len()]).unwrap();
            }
            if r.complete() {
                proptest::prop_assert_eq!(r.file().unwrap(), file);
            } else {
                proptest::prop_assert!(r.file().is_err());
            }
        }
    }
}
