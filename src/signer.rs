//! A policy-gated signer for Rust programs: `alloy_signer::Signer` whose only way to produce a
//! transaction signature is an approving `check` against the approved manifest.
//!
//! `sign_transaction` encodes the transaction's signing payload, decodes it exactly, checks it
//! (the clock, the manifest, the device account as executor), and signs those very bytes on the
//! device, then verifies the signature recovers to the executor. `sign_hash` and
//! `sign_message` are refused: a bare hash or message cannot be held against a release manifest.
//! alloy's `TxSigner` trait lives in `alloy-network`, which would bring RPC types into this
//! binary; the same operation is offered here as [`PolicySigner::sign_transaction`].

use std::sync::Mutex;

use alloy_consensus::SignableTransaction;
use alloy_primitives::{Address, B256, ChainId, Signature};
use alloy_signer::{Error, Result, Signer, UnsupportedSignerOperation};
use firmware_policy::{DecodedTx, LoadedManifest, ManifestHash, Proposal, check};

use crate::device::{DerivationPath, DeviceError, EthApp, Exchange};

/// Signs only what the approved manifest allows, on a Ledger (or the emulator).
pub struct PolicySigner<T: Exchange + Send> {
    manifest: LoadedManifest,
    approved: ManifestHash,
    path: DerivationPath,
    app: Mutex<EthApp<T>>,
    address: Address,
    chain_id: Option<ChainId>,
    clock: fn() -> u64,
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
}

fn other(e: PolicySignerError) -> Error {
    Error::other(e)
}

impl<T: Exchange + Send> PolicySigner<T> {
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
        })
    }

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
        let executor = self.manifest.manifest().executor;
        let verdict = check(&self.manifest, self.approved, &proposal, (self.clock)())
            .with_signer(self.address, executor);
        let Some(approval) = verdict.approval() else {
            return Err(PolicySignerError::Refused(verdict.reasons().iter().map(|r| r.code()).collect()));
        };
        let mut app = self.app.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        app.preflight(approval.has_calldata())?;
        let signature = app.sign_approved(&self.path, approval).map_err(|f| f.error)?;
        let recovered = signature.recover_address_from_prehash(&approval.signing_hash()).ok();
        if recovered != Some(executor) {
            return Err(DeviceError::WrongSignature {
                expected: executor.to_checksum(None),
                recovered: recovered.map_or("nothing".into(), |a| a.to_checksum(None)),
            }
            .into());
        }
        Ok(signature)
    }
}

#[async_trait::async_trait]
impl<T: Exchange + Send> Signer for PolicySigner<T> {
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
impl<T: Exchange + Send> PolicySigner<T> {
    /// `sign_transaction` as an alloy `Result`.
    pub async fn sign_transaction_async(&self, tx: &dyn SignableTransaction<Signature>) -> Result<Signature> {
        self.sign_transaction(tx).map_err(other)
    }
}
