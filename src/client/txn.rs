//! The state of one transaction, kept in one place: the identifiers and nonces that go into every
//! request header and are checked in every response, and the certificates learnt on the way.
//!
//! Before, the header builder and the response checks each held their own copy of the
//! transactionID and had to be kept in step by hand (e.g. when `-rspin` makes the client adopt the
//! server's IDs); now both read and write this one struct.

use super::ctx::Ctx;
use super::request::own_chain;
use crate::creds::Cert;

/// What one transaction keeps from message to message (OpenSSL keeps the same in its `OSSL_CMP_CTX`).
#[derive(Clone, Debug, Default)]
pub struct TxnState {
    /// The transactionID of every message of the transaction (RFC 9810 section 5.1.1).
    pub transaction_id: Vec<u8>,
    /// The senderNonce of our last request: the response must echo it as its recipNonce.
    pub sender_nonce: Option<Vec<u8>>,
    /// The peer's last senderNonce, echoed as our recipNonce.
    pub recip_nonce: Option<Vec<u8>>,
    /// The senderNonce of the request that started polling (the final response answers that one).
    pub first_sender_nonce: Option<Vec<u8>>,
    /// The chain of `-cert` sent in extraCerts with signature protection; built once per transaction.
    pub own_chain: Vec<Cert>,
    /// Received extraCerts (most recent first), unless `-no_cache_extracerts`.
    pub cached_certs: Vec<Cert>,
    /// The server certificate that validated an earlier message of this transaction.
    pub validated_srv_cert: Option<Cert>,
    /// caPubs of PBM-protected certificate responses: RFC 9810 section 5.3.2 lets the client trust them
    /// directly, and OpenSSL adds them to the trust store (when there is one).
    pub trusted_ca_pubs: Vec<Cert>,
}

impl TxnState {
    /// State for a new transaction: the chain of `-cert` is built now when requests will be signed.
    pub fn new(ctx: &Ctx, transaction_id: Vec<u8>) -> TxnState {
        let signing = !ctx.unprotected_requests && ctx.secret.is_none() && ctx.key.is_some();
        let own_chain = match (&ctx.cert, signing) {
            (Some(c), true) => own_chain(ctx, c),
            _ => Vec::new(),
        };
        TxnState {
            transaction_id,
            own_chain,
            ..TxnState::default()
        }
    }

    /// Take over the IDs of a response that does not answer a request built here (`-reqin`,
    /// `-rspin`): its transactionID, and its recipNonce as the nonce it answers.
    pub fn adopt_ids(&mut self, transaction_id: Option<&[u8]>, recip_nonce: Option<&[u8]>) {
        if let Some(t) = transaction_id {
            self.transaction_id = t.to_vec();
        }
        self.sender_nonce = recip_nonce.map(<[u8]>::to_vec);
    }
}

#[cfg(test)]
mod tests {
    use super::TxnState;

    #[test]
    fn adopting_ids_changes_the_one_transaction_id_and_expected_nonce() {
        let mut st = TxnState {
            transaction_id: vec![1; 16],
            sender_nonce: Some(vec![2; 16]),
            recip_nonce: Some(vec![3; 16]),
            ..TxnState::default()
        };
        st.adopt_ids(Some(&[9; 16]), Some(&[8; 16]));
        assert_eq!(st.transaction_id, vec![9; 16]);
        assert_eq!(st.sender_nonce, Some(vec![8; 16]));
        // The peer's nonce we echo is not touched by adopting.
        assert_eq!(st.recip_nonce, Some(vec![3; 16]));
        // A response without transactionID keeps ours; one without recipNonce clears the expected one.
        st.adopt_ids(None, None);
        assert_eq!(st.transaction_id, vec![9; 16]);
        assert_eq!(st.sender_nonce, None);
    }
}
