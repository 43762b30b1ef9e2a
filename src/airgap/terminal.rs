//! UR parts as an animated QR code in the terminal: two modules a character cell (upper and lower
//! half blocks), black on white whatever the terminal's theme, drawn in place on the alternate
//! screen with the cursor hidden, looping until Ctrl-C (or SIGTERM), which restores both.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use qrcode::{Color, EcLevel, QrCode};

/// Modules of quiet zone around the code, as the QR standard asks.
const QUIET: usize = 4;
/// Black on white, then back to the terminal's colours.
const INK: &str = "\x1b[30;47m";
const PLAIN: &str = "\x1b[0m";
const ENTER: &str = "\x1b[?1049h\x1b[?25l";
const LEAVE: &str = "\x1b[?25h\x1b[?1049l";

/// One part as terminal lines, each `INK` … `PLAIN`.
pub fn lines_of(part: &str) -> Result<Vec<String>, String> {
    let code = QrCode::with_error_correction_level(part.as_bytes(), EcLevel::L).map_err(|e| e.to_string())?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = modules + 2 * QUIET;
    let dark = |x: usize, y: usize| -> bool {
        let (Some(mx), Some(my)) = (x.checked_sub(QUIET), y.checked_sub(QUIET)) else { return false };
        mx < modules && my < modules && colors.get(my * modules + mx) == Some(&Color::Dark)
    };
    Ok((0..side.div_ceil(2))
        .map(|row| {
            let cells: String = (0..side)
                .map(|x| match (dark(x, 2 * row), dark(x, 2 * row + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                })
                .collect();
            format!("{INK}{cells}{PLAIN}")
        })
        .collect())
}

/// The character cells drawn frames need: (columns, rows), the status line included.
pub fn cells_for(frames: &[Vec<String>]) -> (usize, usize) {
    let columns = |l: &String| l.trim_start_matches(INK).trim_end_matches(PLAIN).chars().count();
    frames.iter().fold((0, 0), |(w, h), lines| {
        (lines.iter().map(columns).max().unwrap_or(0).max(w), (lines.len() + 1).max(h))
    })
}

/// Shows drawn frames ([`lines_of`]) in a loop at `fps` until a SIGINT or SIGTERM; returns the
/// frames shown. The caller draws them first: a Ctrl-C until the handlers are set here ends the
/// process as always, with the terminal not yet touched.
pub fn animate(frames: &[Vec<String>], fps: u32, out: &mut impl Write) -> io::Result<usize> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let interval = Duration::from_secs(1) / fps.max(1);
    out.write_all(ENTER.as_bytes())?;
    let mut shown = 0usize;
    let result = (|| -> io::Result<()> {
        while !stop.load(Ordering::Relaxed) {
            let at = shown % frames.len().max(1);
            let started = Instant::now();
            let mut screen = String::from("\x1b[H");
            for line in frames.get(at).into_iter().flatten() {
                screen.push_str(line);
                screen.push_str("\r\n");
            }
            screen.push_str(&format!(
                "\x1b[2Kframe {} of {} · {fps} fps · Ctrl-C stops",
                at + 1,
                frames.len()
            ));
            out.write_all(screen.as_bytes())?;
            out.flush()?;
            shown += 1;
            while !stop.load(Ordering::Relaxed) && started.elapsed() < interval {
                std::thread::sleep(
                    (interval.saturating_sub(started.elapsed())).min(Duration::from_millis(20)),
                );
            }
        }
        Ok(())
    })();
    // Whatever stopped the loop, the terminal gets its screen and cursor back.
    out.write_all(LEAVE.as_bytes())?;
    out.flush()?;
    result.map(|()| shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_the_code_and_its_quiet_zone_in_the_stated_cells() {
        // tests/airgap.rs reads drawn frames back as QR codes; here, the geometry.
        let part = &crate::airgap::parts(&[9u8; 1200], crate::airgap::DEFAULT_FRAGMENT_LEN, 2).unwrap()[1];
        let lines = lines_of(part).unwrap();
        let (columns, rows) = cells_for(std::slice::from_ref(&lines));
        let cells = |l: &str| l.trim_start_matches(INK).trim_end_matches(PLAIN).chars().count();
        assert!(lines.iter().all(|l| cells(l) == columns));
        assert_eq!(rows, lines.len() + 1, "the code's rows and a status line");
        // The quiet zone: the first two rows of cells are blank.
        assert!(
            lines[..2].iter().all(|l| l.trim_start_matches(INK).trim_end_matches(PLAIN).trim().is_empty())
        );
    }
}
