//! Frames across the air gap: how many parts a receiver needs before it holds the file, for our
//! receiver (GF(2) elimination), the `ur` crate's peeling decoder and `@ngraveio/bc-ur`'s (run by
//! Node on the very same part sequences, when `tests/js/node_modules` is installed), at 25 %
//! random loss, as a ratio to the minimum, the fragment count. Then the frames a sender must emit
//! for a receiver to finish with 99 % probability when a third are lost (what `airgap send`
//! defaults `--frames` to), and the time to render a frame and to read one from a 1080p image.
//!
//!     (cd tests/js && npm ci) && cargo bench --bench frames
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
// Ratios and means of counts, printed: truncation and precision loss are of no consequence.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::cast_sign_loss)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use bounded_signer::airgap::{DEFAULT_FRAGMENT_LEN, Receiver, fragment_count, parts, qr};

/// A seeded loss pattern (splitmix64): reproducible runs, no dependency.
struct Loss(u64);

impl Loss {
    fn lost(&mut self, rate: f64) -> bool {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 <= rate
    }
}

/// The parts a receiver sees: (index in the emitted sequence, text).
fn survivors(emitted: &[String], rate: f64, seed: u64) -> Vec<(usize, &str)> {
    let mut loss = Loss(seed);
    emitted.iter().enumerate().filter(|_| !loss.lost(rate)).map(|(i, p)| (i, p.as_str())).collect()
}

/// (parts received, parts emitted) until our receiver holds the file.
fn ours(seen: &[(usize, &str)]) -> Option<(usize, usize)> {
    let mut r = Receiver::default();
    for (n, (emitted, part)) in seen.iter().enumerate() {
        r.receive(part).unwrap();
        if r.complete() {
            return Some((n + 1, emitted + 1));
        }
    }
    None
}

fn peeling(seen: &[(usize, &str)]) -> Option<usize> {
    let mut d = ur::Decoder::default();
    for (n, (_, part)) in seen.iter().enumerate() {
        d.receive(&part.to_ascii_lowercase()).unwrap();
        if d.complete() {
            return Some(n + 1);
        }
    }
    None
}

/// `@ngraveio/bc-ur`'s counts for each trial, or why they are missing.
fn reference(trials: &[Vec<(usize, &str)>]) -> Result<Vec<Option<usize>>, String> {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    if !js.join("node_modules/@ngraveio/bc-ur").exists() {
        return Err("tests/js/node_modules is not installed (cd tests/js && npm ci)".into());
    }
    let input = std::env::temp_dir().join(format!("bs-frames-{}.txt", std::process::id()));
    let mut text = String::new();
    for trial in trials {
        for (_, part) in trial {
            text.push_str(part);
            text.push('\n');
        }
        text.push('\n');
    }
    std::fs::write(&input, text).map_err(|e| e.to_string())?;
    let out = Command::new("node").arg(js.join("frames_reference.cjs")).arg(&input).output();
    let _ = std::fs::remove_file(&input);
    let out = out.map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn file_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i.wrapping_mul(2_654_435_761) >> 13) % 256) as u8).collect()
}

struct Ratios(Vec<f64>);

impl Ratios {
    fn show(&self) -> String {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        format!("mean {mean:.3}, max {:.3}", v.last().copied().unwrap_or(f64::NAN))
    }
}

/// How much to run: `cargo bench` passes `--bench`; `cargo test --all-targets` runs this as a
/// quick smoke of the same paths.
#[derive(Clone, Copy, PartialEq)]
enum Run {
    Full,
    Smoke,
}

fn frames_needed_at_25_percent(run: Run) {
    println!(
        "parts received until decoded / fragment count, 25 % random loss, fragment length {DEFAULT_FRAGMENT_LEN}"
    );
    // (label, bytes, loss patterns, of which `@ngraveio/bc-ur` runs: its decoder takes minutes
    // on a 1 MiB sequence)
    let cases: &[(&str, usize, u64, usize)] = match run {
        Run::Full => &[("1 KiB", 1 << 10, 200, 200), ("64 KiB", 64 << 10, 40, 40), ("1 MiB", 1 << 20, 6, 1)],
        Run::Smoke => &[("1 KiB", 1 << 10, 5, 0), ("16 KiB", 16 << 10, 2, 0)],
    };
    for &(label, len, trials, js_trials) in cases {
        let file = file_of(len);
        let fragments = fragment_count(len, DEFAULT_FRAGMENT_LEN);
        let emitted = parts(&file, DEFAULT_FRAGMENT_LEN, fragments * 4 + 100).unwrap();
        let sequences: Vec<_> = (0..trials).map(|seed| survivors(&emitted, 0.25, seed)).collect();
        let start = Instant::now();
        let mine: Vec<_> = sequences.iter().map(|s| ours(s).expect("ours finishes")).collect();
        let our_time = start.elapsed() / trials as u32;
        let start = Instant::now();
        let peeled: Vec<_> = sequences.iter().map(|s| peeling(s)).collect();
        let peel_time = start.elapsed() / trials as u32;
        let c = fragments as f64;
        let received = Ratios(mine.iter().map(|(r, _)| *r as f64 / c).collect());
        let sent = Ratios(mine.iter().map(|(_, e)| *e as f64 / c).collect());
        let ur_crate = Ratios(peeled.iter().map(|r| r.map_or(f64::INFINITY, |r| r as f64 / c)).collect());
        println!("  {label} ({fragments} fragments, {trials} loss patterns)");
        println!(
            "    ours (elimination)      received {}   emitted {}   {our_time:?} a file",
            received.show(),
            sent.show()
        );
        println!("    ur crate (peeling)      received {}   {peel_time:?} a file", ur_crate.show());
        if js_trials == 0 {
            continue;
        }
        match reference(&sequences[..js_trials]) {
            Ok(counts) => {
                let theirs =
                    Ratios(counts.iter().map(|r| r.map_or(f64::INFINITY, |r| r as f64 / c)).collect());
                let ours_same = Ratios(received.0[..js_trials].to_vec());
                println!(
                    "    @ngraveio/bc-ur         received {}   (ours on the same {js_trials}: {})",
                    theirs.show(),
                    ours_same.show()
                );
            }
            Err(why) => println!("    @ngraveio/bc-ur         skipped: {why}"),
        }
    }
}

/// Frames emitted until a receiver finishes, for every loss pattern, sorted (`usize::MAX`: never).
fn emitted_until(
    mut finished: impl FnMut(&[(usize, &str)]) -> Option<usize>,
    emitted: &[String],
    trials: u64,
) -> Vec<usize> {
    let mut needed: Vec<usize> = (0..trials)
        .map(|seed| finished(&survivors(emitted, 1.0 / 3.0, 1000 + seed)).unwrap_or(usize::MAX))
        .collect();
    needed.sort_unstable();
    needed
}

/// The 99th percentile of frames emitted until a receiver finishes, a third lost: ours, and the
/// `ur` crate's peeling decoder (the algorithm of the reference implementations, which a wallet
/// reading our frames may run).
fn frames_for_a_third_lost(run: Run) {
    println!("frames emitted until decoded with a third lost (99th percentile of the loss patterns)");
    let sizes: &[usize] = match run {
        Run::Full => &[1, 300, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10],
        Run::Smoke => &[1, 300],
    };
    for &len in sizes {
        let file = file_of(len);
        let fragments = fragment_count(len, DEFAULT_FRAGMENT_LEN);
        let emitted = parts(&file, DEFAULT_FRAGMENT_LEN, fragments * 5 + 100).unwrap();
        let trials = if len > 64 << 10 { 100 } else { 400 };
        let mine = emitted_until(|s| ours(s).map(|(_, e)| e), &emitted, trials);
        let peeled = emitted_until(|s| peeling(s).map(|n| s[n - 1].0 + 1), &emitted, trials);
        let p99 = |v: &[usize]| v[v.len() * 99 / 100];
        println!(
            "  {len:>7} bytes, {fragments:>4} fragments, {trials} patterns: ours p99 {:>5} = {:.3} × fragments (max {}); peeling p99 {:>5} = {:.3} × (max {})",
            p99(&mine),
            p99(&mine) as f64 / fragments as f64,
            mine.last().unwrap(),
            p99(&peeled),
            p99(&peeled) as f64 / fragments as f64,
            peeled.last().unwrap(),
        );
    }
}

fn frame_times(run: Run) {
    let file = file_of(4096);
    let part = parts(&file, DEFAULT_FRAGMENT_LEN, 1).unwrap().remove(0);
    let runs = if run == Run::Full { 50u32 } else { 1 };
    let start = Instant::now();
    let mut png = Vec::new();
    for _ in 0..runs {
        png = qr::png_of(&part).unwrap();
    }
    let render = start.elapsed() / runs;
    let start = Instant::now();
    for _ in 0..runs {
        assert_eq!(qr::texts_in_png(&png).unwrap().len(), 1);
    }
    let decode_png = start.elapsed() / runs;
    // The same code, twice the size, in the middle of a 1080p frame.
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
    let mut code = vec![0u8; reader.output_buffer_size().unwrap()];
    let side = reader.next_frame(&mut code).unwrap().width as usize;
    let (w, h) = (1920usize, 1080usize);
    let mut frame = vec![190u8; w * h];
    let (x0, y0) = ((w - 2 * side) / 2, (h - 2 * side) / 2);
    for y in 0..2 * side {
        for x in 0..2 * side {
            frame[(y0 + y) * w + x0 + x] = code[(y / 2) * side + x / 2];
        }
    }
    let start = Instant::now();
    for _ in 0..runs {
        assert_eq!(qr::texts_in_greyscale(w, h, &frame), vec![part.clone()]);
    }
    let decode_1080p = start.elapsed() / runs;
    println!("one frame ({} characters, QR version {:?} at L)", part.len(), qr::version_of(&part));
    println!(
        "  render to PNG {render:?}; read from that PNG {decode_png:?}; read from a 1080p greyscale frame {decode_1080p:?} (10 fps allows 100 ms)"
    );
}

fn main() {
    let run = if std::env::args().any(|a| a == "--bench") { Run::Full } else { Run::Smoke };
    frames_needed_at_25_percent(run);
    frames_for_a_third_lost(run);
    frame_times(run);
}
