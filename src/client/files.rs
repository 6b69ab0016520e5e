//! `-reqin`, `-reqout`, `-rspin`, `-rspout`: message files around the transfer, one file per message in
//! the order the transaction produces them (OpenSSL's semantics: responses from `-rspin` are used as long
//! as there are enough files; only then is the server contacted).

use std::path::Path;
use std::time::Instant;

use super::ctx::Ctx;
use super::session::Transfer;
use crate::error::Result;

/// Largest message file read; CMP messages are far smaller.
const MAX_MSG_FILE: u64 = 16 * 1024 * 1024;

fn read_msg(path: &Path, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path)
        .map_err(|e| cmp_err!("cannot open {what} file '{}': {e}", path.display()))?;
    let mut v = Vec::new();
    f.take(MAX_MSG_FILE + 1)
        .read_to_end(&mut v)
        .map_err(|e| cmp_err!("cannot read {what} file '{}': {e}", path.display()))?;
    if v.len() as u64 > MAX_MSG_FILE {
        return Err(cmp_err!("{what} file '{}' is too large", path.display()));
    }
    Ok(v)
}

/// Save a message. On failure, as OpenSSL: the app's line at once on stderr, the system's reason as
/// the error (the library's, on stdout).
pub(crate) fn write_msg(path: &Path, der_bytes: &[u8], what: &str) -> Result<()> {
    std::fs::write(path, der_bytes).map_err(|e| {
        crate::log::app_error(format_args!(
            "cannot write {what} file '{}'",
            path.display()
        ));
        cmp_err!("{e}")
    })
}

/// What one exchange did.
pub struct Exchanged {
    pub response: Vec<u8>,
    /// The request came from `-reqin` or the response from `-rspin`: the response cannot answer the
    /// request built here, so (as OpenSSL's app does) its transactionID and recipNonce are adopted
    /// instead of checked.
    pub adopt_ids: bool,
}

/// Exchange message number `idx` of the transaction, honouring the message file options.
/// `rewrite` adapts a request read from `-reqin` to this transaction (fresh transactionID with
/// `-reqin_new_tid`, our recipNonce, new protection).
pub fn exchange(
    ctx: &Ctx,
    transfer: &mut dyn Transfer,
    idx: usize,
    req: &[u8],
    keep_alive: bool,
    deadline: Option<Instant>,
    rewrite: &dyn Fn(Vec<u8>) -> Result<Vec<u8>>,
) -> Result<Exchanged> {
    let f = &ctx.files;
    if let Some(p) = f.reqout.get(idx) {
        write_msg(p, req, "request")?;
    }
    let (response, adopt_ids) = if let Some(p) = f.rspin.get(idx) {
        crate::info!("actually using {}", p.display());
        (read_msg(p, "response")?, true)
    } else {
        if let (Some(warning), true) = (
            f.rspin_fallback.as_deref(),
            !f.rspin.is_empty() && idx == f.rspin.len(),
        ) {
            crate::warn!("{warning}");
        }
        if let Some(p) = f.reqin.get(idx) {
            crate::info!("actually sending {}", p.display());
            let r = rewrite(read_msg(p, "request")?)?;
            (transfer.exchange(&r, keep_alive, deadline)?, true)
        } else {
            (transfer.exchange(req, keep_alive, deadline)?, false)
        }
    };
    if let Some(p) = f.rspout.get(idx) {
        write_msg(p, &response, "response")?;
    }
    Ok(Exchanged {
        response,
        adopt_ids,
    })
}
