//! The device's screen and buttons, as the REST API exposes them: screen texts as events, and a
//! decision that a person (or a test) makes with `POST /button/both` (approve) or `left` (reject).

use std::sync::{Condvar, Mutex, MutexGuard};

use serde_json::{Value, json};

/// A button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Button {
    /// Left: reject.
    Left,
    /// Right: next screen.
    Right,
    /// Both: approve.
    Both,
}

#[derive(Default)]
struct State {
    events: Vec<String>,
    /// Texts of the screen now shown.
    current: Vec<String>,
    /// Set by a button press while a decision is awaited.
    decision: Option<bool>,
    awaiting: bool,
    /// Set by the right button while a decision is awaited.
    right_pressed: bool,
}

/// The screen and the buttons.
#[derive(Default)]
pub struct Ui {
    state: Mutex<State>,
    changed: Condvar,
}

impl Ui {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Shows one screen (its lines become events).
    pub fn show(&self, lines: &[&str]) {
        let mut s = self.lock();
        s.current = lines.iter().map(|l| (*l).to_string()).collect();
        let current = s.current.clone();
        s.events.extend(current);
    }

    /// Shows one screen given as owned lines.
    pub fn show_screen(&self, lines: &[String]) {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        self.show(&refs);
    }

    /// Waits for the person on a decision screen: both buttons approve, left rejects, and right
    /// shows `reject` (as the device pages to "Reject transaction"), where both buttons reject.
    pub fn await_decision_with_reject(&self, reject: &[String]) -> bool {
        let decision_screen = self.lock().current.clone();
        loop {
            let mut s = self.lock();
            s.decision = None;
            s.awaiting = true;
            s.right_pressed = false;
            while s.decision.is_none() && !s.right_pressed {
                s = self.changed.wait(s).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if let Some(approved) = s.decision.take() {
                s.awaiting = false;
                let on_reject = s.current.as_slice() == reject;
                return approved && !on_reject;
            }
            // Right: page between the decision screen and the reject screen.
            let on_reject = s.current.as_slice() == reject;
            drop(s);
            self.show_screen(if on_reject { &decision_screen } else { reject });
        }
    }

    /// Waits for the person: `true` on both buttons, `false` on left.
    pub fn await_decision(&self) -> bool {
        let mut s = self.lock();
        s.decision = None;
        s.awaiting = true;
        while s.decision.is_none() {
            s = self.changed.wait(s).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        s.awaiting = false;
        s.decision.take().unwrap_or(false)
    }

    /// A button press.
    pub fn press(&self, button: Button) {
        let mut s = self.lock();
        if s.awaiting {
            match button {
                Button::Both => s.decision = Some(true),
                Button::Left => s.decision = Some(false),
                Button::Right => s.right_pressed = true,
            }
        }
        self.changed.notify_all();
    }

    /// `GET /events` (all since the last clear, or the current screen only).
    pub fn events_json(&self, current_only: bool) -> Value {
        let s = self.lock();
        let texts = if current_only { &s.current } else { &s.events };
        let events: Vec<Value> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"text": t, "x": 0, "y": (i % 4) * 16, "w": 128, "h": 14, "clear": false}))
            .collect();
        json!({ "events": events })
    }

    /// `DELETE /events`.
    pub fn clear(&self) {
        self.lock().events.clear();
    }
}
