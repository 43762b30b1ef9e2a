//! The byte sinks and sources the CBOR codecs read and write through. Local types, because
//! ciborium-io's blanket impls for `Vec` and slices change when another crate in the build turns
//! on its `std` feature.

use alloc::vec::Vec;

/// Appends to a vector (callers size it up front when it holds policy, so it never reallocates
/// and leaves no unwiped copy behind).
pub(crate) struct VecSink<'a>(pub(crate) &'a mut Vec<u8>);

impl ciborium_io::Write for VecSink<'_> {
    type Error = core::convert::Infallible;
    fn write_all(&mut self, data: &[u8]) -> Result<(), Self::Error> {
        self.0.extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Reads from a slice; running out is [`EndOfInput`].
pub(crate) struct Slice<'a>(pub(crate) &'a [u8]);

/// A read past the end of the input.
pub(crate) struct EndOfInput;

impl ciborium_io::Read for Slice<'_> {
    type Error = EndOfInput;
    fn read_exact(&mut self, data: &mut [u8]) -> Result<(), Self::Error> {
        let (head, rest) = self.0.split_at_checked(data.len()).ok_or(EndOfInput)?;
        data.copy_from_slice(head);
        self.0 = rest;
        Ok(())
    }
}
