//! Per-transaction state of the mock server, keyed by transactionID.
//!
//! OpenSSL's mock keeps a single transaction in its context; here every open transaction has its own
//! entry, so concurrent clients do not disturb each other. A request takes its transaction out of the
//! map while it is processed (no lock is held during crypto) and puts it back if the transaction
//! continues. The map is bounded: idle transactions expire, and when it is full the least recently
//! used one is dropped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Most open transactions kept at once.
pub const MAX_TRANSACTIONS: usize = 4096;
/// An open transaction not continued for this long is dropped.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// What the server remembers between the messages of one transaction.
#[derive(Default)]
pub struct Txn {
    /// The senderNonce of our last response; the next request's recipNonce must equal it.
    pub sender_nonce: Vec<u8>,
    /// certReqId of the ir/cr/kur (-1 for p10cr) being answered.
    pub cert_req_id: Option<i64>,
    /// Whether the client is expected to poll.
    pub polling: bool,
    /// The delayed request (DER) while polling.
    pub delayed_req: Option<Vec<u8>>,
    /// Polls so far for the current request.
    pub curr_poll_count: u32,
    /// The certificate sent, for checking certConf's certHash.
    pub cert_out: Option<Vec<u8>>,
    /// A certificate response was sent and awaits certConf.
    pub awaiting_conf: bool,
    /// The client's signer certificate validated earlier in this transaction.
    pub signer_cert: Option<Vec<u8>>,
    /// A protection error the request was accepted in spite of (`-accept_unprotected`), to be
    /// logged with the answer.
    pub excused: Option<super::process::Fail>,
    last_used: Option<Instant>,
}

#[derive(Default)]
pub struct Transactions {
    map: HashMap<Vec<u8>, Txn>,
}

impl Transactions {
    /// Take the transaction out of the map for processing.
    pub fn take(&mut self, id: &[u8]) -> Option<Txn> {
        let t = self.map.remove(id)?;
        if t.last_used.is_some_and(|u| u.elapsed() > IDLE_TIMEOUT) {
            return None;
        }
        Some(t)
    }

    /// Whether a transaction with this ID is open and polling (a new request reusing its ID is refused).
    pub fn is_polling(&self, id: &[u8]) -> bool {
        self.map.get(id).is_some_and(|t| t.polling)
    }

    /// Store a continuing transaction, evicting expired ones and, if still full, the least recently used.
    pub fn put(&mut self, id: Vec<u8>, mut t: Txn) {
        t.last_used = Some(Instant::now());
        if self.map.len() >= MAX_TRANSACTIONS && !self.map.contains_key(&id) {
            self.map
                .retain(|_, v| v.last_used.is_some_and(|u| u.elapsed() <= IDLE_TIMEOUT));
            if self.map.len() >= MAX_TRANSACTIONS {
                let oldest = self.map.iter().min_by_key(|(_, v)| v.last_used);
                if let Some(k) = oldest.map(|(k, _)| k.clone()) {
                    self.map.remove(&k);
                }
            }
        }
        self.map.insert(id, t);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded() {
        let mut ts = Transactions::default();
        for i in 0..(MAX_TRANSACTIONS + 10) {
            ts.put((i as u32).to_be_bytes().to_vec(), Txn::default());
        }
        assert_eq!(ts.len(), MAX_TRANSACTIONS);
        // The newest survives, the first ones were evicted.
        assert!(ts
            .take(&((MAX_TRANSACTIONS + 9) as u32).to_be_bytes())
            .is_some());
        assert!(ts.take(&0u32.to_be_bytes()).is_none());
    }

    #[test]
    fn take_removes() {
        let mut ts = Transactions::default();
        ts.put(
            b"a".to_vec(),
            Txn {
                polling: true,
                ..Txn::default()
            },
        );
        assert!(ts.is_polling(b"a"));
        assert!(ts.take(b"a").is_some());
        assert!(ts.take(b"a").is_none());
    }
}
