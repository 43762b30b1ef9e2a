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
    let grey: Vec<u8> = (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).map(|(x, y)| luma(x, y)).collect();
    Ok(texts_in_greyscale(w, h, &grey))
}

/// The texts of the QR codes in a greyscale image of `width` × `height`, one byte a pixel, row
/// by row (what a camera frame is once its luma is taken).
pub fn texts_in_greyscale(width: usize, height: usize, pixels: &[u8]) -> Vec<String> {
    let luma = |x: usize, y: usize| pixels.get(y * width + x).copied().unwrap_or(255);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    prepared.detect_grids().into_iter().filter_map(|grid| grid.decode().ok().map(|(_, text)| text)).collect()
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

    /// The greyscale pixels of a PNG `png_of` made.
    fn grey_of(png_bytes: &[u8]) -> (usize, Vec<u8>) {
        let mut reader = png::Decoder::new(Cursor::new(png_bytes)).read_info().unwrap();
        let mut buf = vec![0u8; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        (info.width as usize, buf)
    }

    #[test]
    // Pixel arithmetic in floating point, truncated to pixels on purpose.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    fn a_frame_reads_back_as_a_camera_sees_it_scaled_blurred_and_noisy() {
        let parts = super::super::parts(&[0x5au8; 2000], super::super::DEFAULT_FRAGMENT_LEN, 2).unwrap();
        let (side, code) = grey_of(&png_of(&parts[1]).unwrap());
        // Into the middle of a 1080p frame at 1.37 times the size (bilinear), every 8×8 block
        // shifted in brightness as JPEG's quantization shifts it, with pixel noise on top.
        let (w, h, scale) = (1920usize, 1080usize, 1.37f64);
        let scaled = (side as f64 * scale) as usize;
        let (x0, y0) = ((w - scaled) / 2, (h - scaled) / 2);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut noise = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 61) as f64 - 30.0
        };
        let mut frame = vec![200u8; w * h];
        for y in 0..scaled {
            for x in 0..scaled {
                let (sx, sy) = (x as f64 / scale, y as f64 / scale);
                let (ix, iy) = (sx as usize, sy as usize);
                let (fx, fy) = (sx - ix as f64, sy - iy as f64);
                let at = |x: usize, y: usize| f64::from(code[y.min(side - 1) * side + x.min(side - 1)]);
                let v = at(ix, iy) * (1.0 - fx) * (1.0 - fy)
                    + at(ix + 1, iy) * fx * (1.0 - fy)
                    + at(ix, iy + 1) * (1.0 - fx) * fy
                    + at(ix + 1, iy + 1) * fx * fy;
                let block = (((x0 + x) / 8 * 7 + (y0 + y) / 8 * 13) % 21) as f64 - 10.0;
                let v = (v * 0.8 + 20.0 + block + noise()).clamp(0.0, 255.0);
                frame[(y0 + y) * w + x0 + x] = v as u8;
            }
        }
        assert_eq!(texts_in_greyscale(w, h, &frame), vec![parts[1].clone()]);
    }
}
