//! One multi-part UR frame, read strictly: `ur:TYPE/SEQ-COUNT/BYTEWORDS`, whose bytewords (their
//! CRC checked by the `ur` crate) hold the CBOR array `[seq, count, message_len, checksum, data]`
//! of the BC-UR fountain code. Which fragments a mixed part combines comes from the `ur` crate's
//! own chooser (`Part::indexes`), never from a second implementation of it.

use minicbor::Decoder;

use super::FrameError;

/// A frame's fields.
pub(crate) struct Part {
    /// Its sequence number (1-based; the first `count` are the fragments themselves).
    pub(crate) seq: u32,
    /// How many fragments the message is cut into.
    pub(crate) count: usize,
    /// The message's length, before padding.
    pub(crate) message_len: usize,
    /// CRC-32 of the message: what ties every part of one message together.
    pub(crate) checksum: u32,
    /// The XOR of the fragments it combines.
    pub(crate) data: Vec<u8>,
    /// Which fragments (0-based) it combines.
    pub(crate) indexes: Vec<usize>,
}

/// Reads one frame of a multi-part sequence of UR type `ur_type`; `max_fragments` bounds the work
/// that choosing its fragments costs (linear in the count).
pub(crate) fn parse(lower: &str, ur_type: &str, max_fragments: usize) -> Result<Part, FrameError> {
    let not_part = |why: &str| FrameError::NotAPart(why.to_string());
    let rest = lower
        .strip_prefix("ur:")
        .and_then(|r| r.strip_prefix(ur_type))
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| not_part(&format!("it does not begin with ur:{ur_type}/")))?;
    let (indices, _) = rest.split_once('/').ok_or_else(|| not_part("it is not a part of a sequence"))?;
    let (seq_text, count_text) =
        indices.split_once('-').ok_or_else(|| not_part("it has no sequence numbers"))?;
    let count: usize = count_text.parse().map_err(|_| not_part("its fragment count is not a number"))?;
    if count > max_fragments {
        return Err(FrameError::TooManyFragments(count));
    }
    let (_, cbor) = ur::decode(lower).map_err(|e| match e {
        ur::ur::Error::Bytewords(e) => FrameError::Corrupted(e.to_string()),
        e => FrameError::NotAPart(e.to_string()),
    })?;
    let part =
        fields(&cbor).ok_or_else(|| not_part("its body is not [seq, count, length, checksum, data]"))?;
    if seq_text != part.seq.to_string() || count != part.count {
        return Err(not_part("its sequence numbers differ from those in its body"));
    }
    if part.seq == 0 || part.count == 0 || part.message_len == 0 || part.data.is_empty() {
        return Err(not_part("it has a zero sequence number, count, length or fragment"));
    }
    // The fragments partition the message: the last one holds at least one byte of it.
    let covered = part.data.len().checked_mul(part.count);
    let before_last = part.data.len().checked_mul(part.count - 1);
    if !matches!((before_last, covered), (Some(b), Some(c)) if b < part.message_len && part.message_len <= c)
    {
        return Err(not_part("its length does not fit its fragment count and size"));
    }
    let chooser: ur::fountain::Part =
        minicbor::decode(&cbor).map_err(|e| FrameError::NotAPart(format!("its body: {e}")))?;
    Ok(Part { indexes: chooser.indexes(), ..part })
}

/// The five fields, exactly: a definite array, unsigned 32-bit numbers, one byte string, nothing
/// after it.
fn fields(cbor: &[u8]) -> Option<Part> {
    let mut d = Decoder::new(cbor);
    if d.array().ok()? != Some(5) {
        return None;
    }
    let seq = d.u32().ok()?;
    let count = usize::try_from(d.u32().ok()?).ok()?;
    let message_len = usize::try_from(d.u32().ok()?).ok()?;
    let checksum = d.u32().ok()?;
    let data = d.bytes().ok()?.to_vec();
    (d.position() == cbor.len()).then_some(Part {
        seq,
        count,
        message_len,
        checksum,
        data,
        indexes: Vec::new(),
    })
}
