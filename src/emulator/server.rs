//! The emulator's two loopback listeners: Speculos's raw APDU TCP protocol and its REST API.
//! Both drive one [`EmulatorApp`] behind a mutex, so APDUs are handled one at a time, as on a
//! device.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::json;

use super::app::{Approve, EmulatorApp, Fault, Outcome, Settings};
use super::http::{read_request, respond};
use super::keys::Keys;
use super::ui::{Button, Ui};

/// How to run it.
pub struct EmulatorConfig {
    /// The APDU port (0 picks a free one).
    pub apdu_port: u16,
    /// The REST port (0 picks a free one).
    pub api_port: u16,
    /// BIP-39 words.
    pub mnemonic: zeroize::Zeroizing<String>,
    /// How prompts are answered.
    pub approve: Approve,
    /// The "Blind signing" setting.
    pub blind_signing: bool,
    /// The "Raw messages" setting (full-mode EIP-712 shows every field).
    pub verbose_eip712: bool,
    /// A fault to inject.
    pub fault: Option<Fault>,
}

impl EmulatorConfig {
    /// Free loopback ports, the Speculos test seed, automatic approval, blind signing on: the
    /// device of rehearsals, benchmarks and tests.
    pub fn rehearsal() -> Self {
        EmulatorConfig {
            apdu_port: 0,
            api_port: 0,
            mnemonic: zeroize::Zeroizing::new(super::SPECULOS_MNEMONIC.to_string()),
            approve: Approve::Auto,
            blind_signing: true,
            verbose_eip712: false,
            fault: None,
        }
    }
}

/// A running emulator; it serves until the process ends.
pub struct Emulator {
    /// The APDU listener's address.
    pub apdu: SocketAddr,
    /// The REST listener's address.
    pub api: SocketAddr,
    /// The screen and buttons (for in-process rehearsals).
    pub ui: Arc<Ui>,
    /// The one app every transport answers through (the uhid device shares it).
    pub app: Arc<Mutex<EmulatorApp>>,
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// A port is busy or cannot be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {reason}")]
    Bind {
        /// The port.
        port: u16,
        /// Why.
        reason: String,
    },
    /// The mnemonic is not valid BIP-39.
    #[error("{0}")]
    Mnemonic(String),
}

impl Emulator {
    /// Binds both listeners on 127.0.0.1 and serves them on background threads.
    pub fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let keys = Keys::from_mnemonic(&config.mnemonic).map_err(EmulatorError::Mnemonic)?;
        let bind = |port: u16| {
            TcpListener::bind(("127.0.0.1", port))
                .map_err(|e| EmulatorError::Bind { port, reason: e.to_string() })
        };
        let apdu_listener = bind(config.apdu_port)?;
        let api_listener = bind(config.api_port)?;
        let ui = Arc::new(Ui::default());
        let app = Arc::new(Mutex::new(EmulatorApp::new(
            keys,
            Settings { blind_signing: config.blind_signing, verbose_eip712: config.verbose_eip712 },
            config.approve,
            config.fault,
            Arc::clone(&ui),
        )));
        let emulator = Emulator {
            apdu: apdu_listener
                .local_addr()
                .map_err(|e| EmulatorError::Bind { port: config.apdu_port, reason: e.to_string() })?,
            api: api_listener
                .local_addr()
                .map_err(|e| EmulatorError::Bind { port: config.api_port, reason: e.to_string() })?,
            ui: Arc::clone(&ui),
            app: Arc::clone(&app),
        };
        let apdu_app = Arc::clone(&app);
        thread::spawn(move || {
            for stream in apdu_listener.incoming().flatten() {
                let app = Arc::clone(&apdu_app);
                thread::spawn(move || serve_apdu(stream, &app));
            }
        });
        thread::spawn(move || {
            for stream in api_listener.incoming().flatten() {
                let app = Arc::clone(&app);
                let ui = Arc::clone(&ui);
                thread::spawn(move || serve_api(stream, &app, &ui));
            }
        });
        Ok(emulator)
    }

    /// The one line the `emulator` command prints when ready.
    pub fn ready_line(&self) -> String {
        format!("apdu={} api=http://{}", self.apdu, self.api)
    }
}

fn handle(app: &Mutex<EmulatorApp>, apdu: &[u8]) -> Outcome {
    app.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).handle(apdu)
}

/// `u32be(len) ‖ apdu` in, `u32be(len(data)) ‖ data ‖ SW` out, until the client goes away.
#[expect(clippy::cast_possible_truncation, reason = "answers are at most a few hundred bytes")]
fn serve_apdu(mut stream: TcpStream, app: &Mutex<EmulatorApp>) {
    let _ = stream.set_nodelay(true);
    loop {
        let mut len = [0u8; 4];
        if stream.read_exact(&mut len).is_err() {
            return;
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > 4096 {
            return;
        }
        let mut apdu = zeroize::Zeroizing::new(vec![0u8; len]);
        if stream.read_exact(&mut apdu).is_err() {
            return;
        }
        match handle(app, &apdu) {
            Outcome::Disconnect => return,
            Outcome::Answer(answer) => {
                let data_len = answer.len().saturating_sub(2) as u32;
                let mut out = zeroize::Zeroizing::new(Vec::with_capacity(4 + answer.len()));
                out.extend_from_slice(&data_len.to_be_bytes());
                out.extend_from_slice(&answer);
                if stream.write_all(&out).is_err() {
                    return;
                }
            }
        }
    }
}

fn serve_api(stream: TcpStream, app: &Mutex<EmulatorApp>, ui: &Ui) {
    let Some(request) = read_request(&stream) else {
        respond(&stream, 400, &json!({"error": "malformed request"}));
        return;
    };
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/apdu") => {
            let data = serde_json::from_slice::<serde_json::Value>(&request.body)
                .ok()
                .and_then(|v| v.get("data").and_then(|d| d.as_str()).map(str::to_string))
                .and_then(|hex| alloy_primitives::hex::decode(hex).ok());
            match data {
                Some(apdu) => match handle(app, &apdu) {
                    Outcome::Answer(answer) => {
                        respond(&stream, 200, &json!({"data": alloy_primitives::hex::encode(answer)}))
                    }
                    Outcome::Disconnect => {}
                },
                None => respond(&stream, 400, &json!({"error": "expected {\"data\": \"<hex apdu>\"}"})),
            }
        }
        ("POST", path) if path.starts_with("/button/") => {
            let button = match &path["/button/".len()..] {
                "left" => Button::Left,
                "right" => Button::Right,
                "both" => Button::Both,
                _ => return respond(&stream, 404, &json!({"error": "no such button"})),
            };
            ui.press(button);
            respond(&stream, 200, &json!({}));
        }
        ("GET", "/events") => {
            let current_only = request.query.split('&').any(|q| q == "currentscreenonly=true");
            respond(&stream, 200, &ui.events_json(current_only));
        }
        ("DELETE", "/events") => {
            ui.clear();
            respond(&stream, 200, &json!({}));
        }
        _ => respond(&stream, 404, &json!({"error": "not found"})),
    }
}
