//! The random state options: `-rand` (seed files read before anything else is done) and
//! `-writerand` (random bytes saved at the very end, whatever the outcome).
//!
//! OpenSSL mixes the `-rand` files into its generator. rcmp's generator (AWS-LC's) takes no outside
//! seed and is always seeded from the operating system, so the files are read exactly as OpenSSL
//! reads them, with the same failure when one cannot be read, but their content adds nothing
//! (docs/DEVIATIONS.md, D9). `-writerand` is what OpenSSL does: 1024 fresh random bytes, owner-only,
//! and exit status 1 if they cannot be written.

use std::io::Read;

use crate::error::{Error, Result};
use crate::opts::{Opt, RawOpts};
use crate::output::Outputs;

/// Bytes written by `-writerand`, as OpenSSL writes.
const WRITE_LEN: usize = 1024;
/// How much of a `-rand` file is read: all of a regular file up to this bound; of a device or pipe
/// (`/dev/urandom`), 32 bytes, as OpenSSL takes the generator's strength from such files.
const MAX_REGULAR: u64 = 1024 * 1024;
const FROM_DEVICE: u64 = 32;

/// Read every `-rand` file (each option value is a `:`-separated list; all values count, as in
/// OpenSSL). The first one that cannot be read ends the run like OpenSSL's `Can't load FILE into RNG`.
pub fn load(raw: &RawOpts) -> Result<()> {
    for list in raw.all(Opt::Rand) {
        for file in list.split(':').filter(|f| !f.is_empty()) {
            let n = read_seed(file).map_err(|e| {
                Error::Plain(format!(
                    "Can't load {file} into RNG\nrand: cannot read '{file}': {e}"
                ))
            })?;
            crate::debug!(
                "{}: read {n} bytes from '{file}' (the generator is seeded from the OS)",
                Opt::Rand
            );
        }
    }
    Ok(())
}

fn read_seed(file: &str) -> std::io::Result<usize> {
    let f = std::fs::File::open(file)?;
    let limit = if f.metadata()?.is_file() {
        MAX_REGULAR
    } else {
        FROM_DEVICE
    };
    let mut seed = zeroize::Zeroizing::new(Vec::new());
    f.take(limit).read_to_end(&mut seed)?;
    Ok(seed.len())
}

/// Save fresh random bytes to `file` (owner-only). A failure is reported as OpenSSL reports it and,
/// as there, makes the exit status 1 even when everything else succeeded; returns whether it worked.
pub fn write(file: &str) -> bool {
    let mut bytes = zeroize::Zeroizing::new(vec![0u8; WRITE_LEN]);
    let result = aws_lc_rs::rand::fill(&mut bytes[..])
        .map_err(|_| crate::cmp_err!("no random bytes available"))
        .and_then(|()| {
            let mut out = Outputs::new();
            out.private_key(file, std::mem::take(&mut *bytes));
            out.commit()
        });
    match result {
        Ok(()) => true,
        Err(e) => {
            crate::log::raw_stderr(&format!("Cannot write random bytes:\n{e}\n"));
            false
        }
    }
}
