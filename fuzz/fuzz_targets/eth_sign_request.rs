//! Whatever CBOR a wallet sends as an `eth-sign-request`, the decoder takes it or names why not,
//! never panics, and reads no further than the input.
#![no_main]

use bounded_signer::airgap::eth_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = eth_request::decode(data) {
        assert!(request.sign_data.len() <= data.len());
        assert!(request.path.len() <= 10);
        let _ = eth_request::signature_cbor(request.request_id, &request.sign_data);
    }
});
