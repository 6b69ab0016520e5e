//! Chain building as OpenSSL's X509_verify_cert does it (trusted first, no backtracking): from the
//! target, take an issuer from the trust store if there is one, else from the untrusted certificates,
//! until a trust anchor is reached or no issuer is found.

use std::sync::Arc;

use super::info::{likely_issued, Info};
use super::{code, Cert, VerifyFailure};

/// One certificate of the chain (or a candidate): the caller's value and its decoded view.
#[derive(Clone)]
pub(crate) struct Node {
    pub cert: Cert,
    pub info: Arc<Info>,
}

impl Node {
    pub(crate) fn new(cert: &Cert) -> Result<Node, String> {
        Ok(Node {
            cert: cert.clone(),
            info: Arc::new(Info::parse(cert)?),
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Trust {
    Trusted,
    Untrusted,
}

/// The state of one chain build.
pub(crate) struct Builder<'a> {
    pub trusted: &'a [Node],
    pub untrusted: Vec<Node>,
    pub time: Option<i64>,
    pub partial_chain: bool,
    pub max_depth: usize,
    pub chain: Vec<Node>,
    /// How many certificates at the start of `chain` did not come from the trust store.
    pub num_untrusted: usize,
}

pub(crate) fn time_ok(info: &Info, time: Option<i64>) -> bool {
    match time {
        None => true,
        Some(t) => info.not_before <= t && info.not_after > t,
    }
}

/// Among `list`, the issuer of `x` OpenSSL would pick: the first one currently valid, else the one that
/// expires last. With `no_dup`, certificates already in the chain are skipped (loops).
fn best_issuer<'n>(
    list: &'n [Node],
    x: &Info,
    chain: Option<&[Node]>,
    time: Option<i64>,
) -> Option<&'n Node> {
    let mut best: Option<&Node> = None;
    for cand in list {
        if let Some(chain) = chain {
            let allow_self = x.self_issued && chain.len() == 1;
            if !allow_self && chain.iter().any(|c| c.info.der() == cand.info.der()) {
                continue;
            }
        }
        if likely_issued(&cand.info, x) {
            if time_ok(&cand.info, time) {
                return Some(cand);
            }
            if best.is_none_or(|b| cand.info.not_after > b.info.not_after) {
                best = Some(cand);
            }
        }
    }
    best
}

impl<'a> Builder<'a> {
    pub(crate) fn new(
        target: Node,
        trusted: &'a [Node],
        untrusted: Vec<Node>,
        time: Option<i64>,
        partial_chain: bool,
        depth: usize,
    ) -> Self {
        Builder {
            trusted,
            untrusted,
            time,
            partial_chain,
            max_depth: depth.saturating_add(1),
            chain: vec![target],
            num_untrusted: 1,
        }
    }

    /// OpenSSL's check_trust: does the chain end in a trust anchor?
    fn check_trust(&mut self, num_untrusted: usize) -> Trust {
        let num = self.chain.len();
        if self.chain[num_untrusted.min(num)..]
            .iter()
            .any(|n| n.info.self_signed)
        {
            return Trust::Trusted;
        }
        if num_untrusted < num {
            return if self.partial_chain {
                Trust::Trusted
            } else {
                Trust::Untrusted
            };
        }
        if num_untrusted == num && self.partial_chain {
            // Last resort: the target itself is in the trust store.
            let leaf = &self.chain[0].info;
            if let Some(m) = self.trusted.iter().find(|t| t.info.der() == leaf.der()) {
                self.chain[0] = m.clone();
                self.num_untrusted = 0;
                return Trust::Trusted;
            }
        }
        Trust::Untrusted
    }

    /// Build the chain. Errors are OpenSSL's: depth and certificate of the last one reached.
    pub(crate) fn build(&mut self) -> Result<(), VerifyFailure> {
        let mut do_untrusted = !self.untrusted.is_empty();
        let mut do_trusted = true;
        let mut trust = Trust::Untrusted;
        // Each step adds a certificate or clears a search flag, and the chain is bounded by max_depth,
        // so this terminates; the counter is a second guard.
        let mut guard = 0usize;
        while do_trusted || do_untrusted {
            guard += 1;
            if guard > 4 * (self.max_depth + self.trusted.len() + self.untrusted.len() + 4) {
                break;
            }
            let num = self.chain.len();
            if do_trusted {
                let curr = self.chain[num - 1].info.clone();
                let found = if num > self.max_depth {
                    None
                } else {
                    best_issuer(self.trusted, &curr, None, self.time).cloned()
                };
                if let Some(issuer) = found {
                    let mut ok = true;
                    let self_signed;
                    if !curr.self_signed {
                        self_signed = issuer.info.self_signed;
                        self.chain.push(issuer);
                    } else {
                        self_signed = true;
                        if curr.der() != issuer.info.der() {
                            // A self-signed untrusted certificate mimicking a trusted one.
                            ok = false;
                        } else {
                            self.num_untrusted = num - 1;
                            self.chain[num - 1] = issuer;
                        }
                    }
                    if ok {
                        do_untrusted = false;
                        trust = self.check_trust(self.num_untrusted);
                        if trust != Trust::Untrusted {
                            break;
                        }
                        if !self_signed {
                            continue;
                        }
                    }
                }
                if !do_untrusted {
                    break;
                }
            }
            if do_untrusted {
                let num = self.chain.len();
                let curr = self.chain[num - 1].info.clone();
                let pick = if curr.self_signed || num > self.max_depth {
                    None
                } else {
                    best_issuer(&self.untrusted, &curr, Some(&self.chain), self.time)
                        .map(|n| n.info.der().to_vec())
                };
                match pick {
                    None => {
                        do_untrusted = false;
                        do_trusted = true;
                    }
                    Some(der) => {
                        if let Some(pos) = self.untrusted.iter().position(|n| n.info.der() == der) {
                            let issuer = self.untrusted.remove(pos);
                            self.chain.push(issuer);
                            self.num_untrusted += 1;
                        }
                    }
                }
            }
        }
        let num = self.chain.len();
        if num <= self.max_depth && trust == Trust::Untrusted && num == self.num_untrusted {
            trust = self.check_trust(num);
        }
        if trust == Trust::Trusted {
            return Ok(());
        }
        let last = &self.chain[num - 1];
        let err = if num > self.max_depth {
            code::CERT_CHAIN_TOO_LONG
        } else if last.info.self_signed {
            if num == 1 {
                code::DEPTH_ZERO_SELF_SIGNED_CERT
            } else {
                code::SELF_SIGNED_CERT_IN_CHAIN
            }
        } else if self.num_untrusted < num {
            code::UNABLE_TO_GET_ISSUER_CERT
        } else {
            code::UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        };
        Err(VerifyFailure::at(err, num - 1, &last.info))
    }
}
