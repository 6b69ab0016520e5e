//! `-reqin`, `-reqout`, `-rspin`, `-rspout`: message files around the transfer, one file per message in
//! the order the transaction produces them (OpenSSL's semantics: responses from `-rspin` are used as long
//! as there are enough files; only then is the server contacted).

use std::path::Path;
use std::time::Instant;

use super::ctx::Ctx;
use super::session::Transfer;
use crate::cmp_err;
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

fn write_msg(path: &Path, der_bytes: &[u8], what: &str) -> Result<()> {
    std::fs::write(path, der_bytes)
        .map_err(|e| cmp_err!("cannot write {what} file '{}': {e}", path.display()))
}

/// What one exchange did: the response, and the request actually sent if it came from `-reqin`.
pub struct Exchanged {
    pub response: Vec<u8>,
    pub sent_instead: Option<Vec<u8>>,
}

/// Exchange message number `idx` of the transaction, honouring the message file options.
pub fn exchange(
    ctx: &Ctx,
    transfer: &mut dyn Transfer,
    idx: usize,
    req: &[u8],
    keep_alive: bool,
    deadline: Option<Instant>,
) -> Result<Exchanged> {
    let f = &ctx.files;
    if let Some(p) = f.reqout.get(idx) {
        write_msg(p, req, "request")?;
    }
    let (response, sent_instead) = if let Some(p) = f.rspin.get(idx) {
        (read_msg(p, "response")?, None)
    } else if let Some(p) = f.reqin.get(idx) {
        if f.reqin_new_tid {
            return Err(cmp_err!("-reqin_new_tid is not supported yet"));
        }
        let r = read_msg(p, "request")?;
        (transfer.exchange(&r, keep_alive, deadline)?, Some(r))
    } else {
        (transfer.exchange(req, keep_alive, deadline)?, None)
    };
    if let Some(p) = f.rspout.get(idx) {
        write_msg(p, &response, "response")?;
    }
    Ok(Exchanged {
        response,
        sent_instead,
    })
}
