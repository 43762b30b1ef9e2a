//! Files across the air gap as BC-UR: any file (a bundle, a manifest, an approval, a signature
//! document) becomes a `ur:bytes` multi-part sequence, fountain-coded by the `ur` crate, whose
//! payload is the file as one CBOR byte string (what `@ngraveio/bc-ur`'s `UR.fromBuffer` makes).
//! Parts are written uppercase: QR's alphanumeric mode holds them densest, and readers lowercase
//! them.
//!
//! The receiver checks each part's text before `ur` sees it: the type must be `bytes` and the
//! declared fragment count within [`MAX_FRAGMENTS`], because `ur`'s decoder does work in that
//! count for every part and assembles the message in time quadratic in it. Until this tool's own
//! decoder replaces it, that cap bounds the work: 5000 fragments of the default 250 bytes is
//! over 1 MiB.

use ciborium_ll::{Decoder as CborDecoder, Encoder as CborEncoder, Header};

pub mod qr;

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

/// Reassembles a file from parts in any order, with duplicates and gaps.
#[derive(Default)]
pub struct Receiver {
    decoder: ur::Decoder,
    seen: usize,
    total: Option<usize>,
    /// A single-part UR (what other encoders make of a one-fragment payload): the payload.
    single: Option<Vec<u8>>,
}

impl Receiver {
    /// Takes one part (its text, any case).
    pub fn receive(&mut self, text: &str) -> Result<(), FrameError> {
        let lower = text.trim().to_ascii_lowercase();
        let not_part = |why: &str| FrameError::NotAPart(why.to_string());
        let rest =
            lower.strip_prefix("ur:bytes/").ok_or_else(|| not_part("it does not begin with ur:bytes/"))?;
        let Some((indices, _)) = rest.split_once('/') else {
            // A whole payload in one part.
            let (_, payload) = ur::decode(&lower).map_err(|e| match e {
                ur::ur::Error::Bytewords(e) => FrameError::Corrupted(e.to_string()),
                e => FrameError::NotAPart(e.to_string()),
            })?;
            if self.single.as_ref().is_some_and(|p| *p != payload) || self.total.is_some() {
                return Err(FrameError::OtherPayload);
            }
            self.single = Some(payload);
            self.seen += 1;
            return Ok(());
        };
        if self.single.is_some() {
            return Err(FrameError::OtherPayload);
        }
        let (_, total) = indices.split_once('-').ok_or_else(|| not_part("it has no sequence numbers"))?;
        let total: usize = total.parse().map_err(|_| not_part("its fragment count is not a number"))?;
        if total > MAX_FRAGMENTS {
            return Err(FrameError::TooManyFragments(total));
        }
        if self.total.is_some_and(|t| t != total) {
            return Err(FrameError::OtherPayload);
        }
        match self.decoder.receive(&lower) {
            Ok(()) => {}
            Err(ur::ur::Error::Bytewords(e)) => return Err(FrameError::Corrupted(e.to_string())),
            Err(ur::ur::Error::Fountain(ur::fountain::Error::InconsistentPart)) => {
                return Err(FrameError::OtherPayload);
            }
            Err(e) => return Err(FrameError::NotAPart(e.to_string())),
        }
        self.total = Some(total);
        self.seen += 1;
        Ok(())
    }

    /// Parts taken so far.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The fragment count the parts declare (once one arrived).
    pub fn fragments(&self) -> Option<usize> {
        self.total
    }

    /// Whether the file can be assembled.
    pub fn complete(&self) -> bool {
        self.single.is_some() || self.decoder.complete()
    }

    /// The file, once complete and its checksum verified (`Err` with why otherwise).
    pub fn file(&self) -> Result<Vec<u8>, String> {
        let payload = match &self.single {
            Some(p) => p.clone(),
            None => self
                .decoder
                .message()
                .map_err(|e| format!("the parts do not assemble: {e}"))?
                .ok_or_else(|| String::from("not enough parts yet"))?,
        };
        file_of(&payload)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| String::from("the payload is not one CBOR byte string (not a ur:bytes file)"))
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
        assert_eq!(r.file().unwrap(), file, "{len} bytes");
        r.seen()
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
}
