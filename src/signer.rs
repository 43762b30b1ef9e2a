//! A policy-gated signer for Rust programs: `alloy_signer::Signer` whose only way to produce a
//! transaction signature is an approving `check` against the approved manifest.
//!
//! `sign_transaction` encodes the transaction's signing payload, decodes it exactly, checks it
//! against the manifest at the clock, and hands the verdict to the one signing pipeline the CLI
//! uses too (`signing`): the device account is bound as executor, the very bytes checked are
//! signed, and the signature must recover to the executor. Whether it journals is in its type:
//! `PolicySigner<T>` (no journal: only the manifest's nonce binding stops a second signature)
//! or `PolicySigner<T, Journaled>` after [`PolicySigner::journaled`]. `sign_hash` and
//! `sign_message` are refused: a bare hash or message cannot be held against a release manifest.
//! alloy's `TxSigner` trait lives in `alloy-network`, which would bring RPC types into this
//! binary; the same operation is offered here as [`PolicySigner::sign_transaction`].

use std::sync::Mutex;

use alloy_consensus::SignableTransaction;
use alloy_primitives::{Address, B256, ChainId, Signature};
use alloy_signer::{Error, Result, Signer, UnsupportedSignerOperation};
use firmware_policy::{DecodedTx, LoadedManifest, ManifestHash, Proposal, check};

use crate::device::{DerivationPath, DeviceError, EthApp, Exchange};
use crate::signing::{self, JournalMode, Journaled, Outcome, SigningError, Unjournaled};

/// Signs only what the approved manifest allows, on a Ledger (or the emulator).
pub struct PolicySigner<T: Exchange + Send, J: JournalMode = Unjournaled> {
    manifest: LoadedManifest,
    approved: ManifestHash,
    path: DerivationPath,
    app: Mutex<EthApp<T>>,
    address: Address,
    chain_id: Option<ChainId>,
    clock: fn() -> u64,
    journal: J,
}

/// Why a transaction was not signed.
#[derive(Debug, thiserror::Error)]
pub enum PolicySignerError {
    /// The policy refused it; the reason codes of `cli.md`.
    #[error("refused by the release manifest: {}", .0.join(", "))]
    Refused(Vec<&'static str>),
    /// The payload does not decode exactly.
    #[error("the transaction does not decode: {0}")]
    Decode(String),
    /// The device refused or failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The journal refused (already signed) or cannot be used.
    #[error(transparent)]
    Journal(SigningError),
}

impl From<SigningError> for PolicySignerError {
    fn from(e: SigningError) -> Self {
        match e {
            SigningError::Device(e) => PolicySignerError::Device(e),
            other => PolicySignerError::Journal(other),
        }
    }
}

fn other(e: PolicySignerError) -> Error {
    Error::other(e)
}

impl<T: Exchange + Send> PolicySigner<T, Unjournaled> {
    /// Opens the app on `transport` and reads the account at `path`.
    pub fn new(
        manifest: LoadedManifest,
        approved: ManifestHash,
        transport: T,
        path: DerivationPath,
    ) -> std::result::Result<Self, DeviceError> {
        let mut app = EthApp::new(transport);
        app.app_configuration()?;
        let address = app.address(&path, false)?.address;
        let chain_id = Some(manifest.manifest().chain_id);
        Ok(PolicySigner {
            manifest,
            approved,
            path,
            app: Mutex::new(app),
            address,
            chain_id,
            clock: crate::timefmt::now,
            journal: Unjournaled,
        })
    }

    /// Journals every signature in the state home `home`, with the CLI's one-time-use rules.
    pub fn journaled(self, home: std::path::PathBuf) -> PolicySigner<T, Journaled> {
        let PolicySigner { manifest, approved, path, app, address, chain_id, clock, journal: _ } = self;
        PolicySigner { manifest, approved, path, app, address, chain_id, clock, journal: Journaled(home) }
    }
}

impl<T: Exchange + Send, J: JournalMode> PolicySigner<T, J> {
    /// Evaluates at a fixed instant instead of the system clock (tests, rehearsals).
    pub fn with_clock(mut self, clock: fn() -> u64) -> Self {
        self.clock = clock;
        self
    }

    /// Checks `tx` against the manifest and, if approved, signs its exact signing payload.
    pub fn sign_transaction(
        &self,
        tx: &dyn SignableTransaction<Signature>,
    ) -> std::result::Result<Signature, PolicySignerError> {
        let mut payload = zeroize::Zeroizing::new(Vec::with_capacity(tx.payload_len_for_signature()));
        tx.encode_for_signing(&mut *payload);
        let decoded = DecodedTx::decode(&payload).map_err(|e| PolicySignerError::Decode(e.to_string()))?;
        let proposal = Proposal::new(decoded).map_err(|e| PolicySignerError::Decode(e.to_string()))?;
        let verdict = check(&self.manifest, self.approved, &proposal, (self.clock)());
        let clock = || (self.clock)();
        let request = signing::Request {
            verdict,
            subject: signing::Subject::Transaction(&proposal),
            path: &self.path,
            journal: self.journal.home(),
            clock: &clock,
            progress: &mut |_| {},
        };
        let open = || Ok(self.app.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let signature = match signing::sign(request, open)? {
            Outcome::Signed(signed) => signed.signature,
            Outcome::Refused(verdict) => {
                return Err(PolicySignerError::Refused(verdict.reasons().iter().map(|r| r.code()).collect()));
            }
        };
        Ok(signature)
    }
}

#[async_trait::async_trait]
impl<T: Exchange + Send, J: JournalMode + Send + Sync> Signer for PolicySigner<T, J> {
    async fn sign_hash(&self, _hash: &B256) -> Result<Signature> {
        Err(Error::UnsupportedOperation(UnsupportedSignerOperation::SignHash))
    }

    async fn sign_message(&self, _message: &[u8]) -> Result<Signature> {
        Err(Error::UnsupportedOperation(UnsupportedSignerOperation::SignMessage))
    }

    fn address(&self) -> Address {
        self.address
    }

    fn chain_id(&self) -> Option<ChainId> {
        self.chain_id
    }

    /// The manifest fixes the chain; another chain id is kept for alloy's bookkeeping but every
    /// transaction is still checked against the manifest's chain.
    fn set_chain_id(&mut self, chain_id: Option<ChainId>) {
        self.chain_id = chain_id;
    }
}

/// The async form alloy programs call.
impl<T: Exchange + Send, J: JournalMode> PolicySigner<T, J> {
    /// `sign_transaction` as an alloy `Result`.
    pub async fn sign_transaction_async(&self, tx: &dyn SignableTransaction<Signature>) -> Result<Signature> {
        self.sign_transaction(tx).map_err(other)
    }
}
