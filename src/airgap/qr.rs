//! UR parts as QR images and back: `qrcode` renders each part (alphanumeric mode, error
//! correction L, a quiet zone of four modules, four pixels a module) as a greyscale PNG through
//! the `png` crate, and `rqrr` finds and decodes the codes in an image, whatever its size, colour
//! type or the codes' position. No `image` crate: the three small ones do all of it.

use std::io::Cursor;

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module.
const SCALE: usize = 4;
/// Modules of quiet zone around the code, as the QR standard asks.
const QUIET: usize = 4;
/// The largest image read: 64 MiB of decoded samples.
const MAX_IMAGE_BYTES: usize = 64 << 20;

/// Renders one part as a PNG.
pub fn png_of(part: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(part.as_bytes(), EcLevel::L).map_err(|e| e.to_string())?;
    let modules = code.width();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                if let Some(row) = pixels.get_mut(y * side + mx * SCALE..y * side + (mx + 1) * SCALE) {
                    row.fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).map_err(|_| "the code is too large".to_string())?;
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The QR version a part needs at error correction L.
pub fn version_of(part: &str) -> Option<i16> {
    match QrCode::with_error_correction_level(part.as_bytes(), EcLevel::L).ok()?.version() {
        qrcode::Version::Normal(v) => Some(v),
        qrcode::Version::Micro(_) => None,
    }
}

/// The texts of the QR codes found in a PNG (any colour type and bit depth).
pub fn texts_in_png(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: MAX_IMAGE_BYTES });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| format!("not a PNG image: {e}"))?;
    let size = reader.output_buffer_size().ok_or("the image is too large")?;
    if size > MAX_IMAGE_BYTES {
        return Err("the image is too large".into());
    }
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(|e| format!("the image does not decode: {e}"))?;
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let luma = |x: usize, y: usize| -> u8 {
        let at = y * info.line_size + x * channels;
        match (channels, buf.get(at..at + channels.min(3))) {
            (1 | 2, Some([g, ..])) => *g,
            (_, Some([r, g, b])) => {
                u8::try_from((u16::from(*r) * 3 + u16::from(*g) * 6 + u16::from(*b)) / 10).unwrap_or(255)
            }
            _ => 255,
        }
    };
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, luma);
    Ok(prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_part_reads_back_and_needs_the_documented_version() {
        // 997 bytes and a 3-byte CBOR head: four fragments of exactly the default length.
        let parts = super::super::parts(&[7u8; 997], super::super::DEFAULT_FRAGMENT_LEN, 1).unwrap();
        let part = &parts[0];
        let png = png_of(part).unwrap();
        assert_eq!(texts_in_png(&png).unwrap(), std::slice::from_ref(part));
        assert_eq!(version_of(part), Some(13), "{} characters", part.len());
        assert!(texts_in_png(b"not an image").is_err());
    }
}
