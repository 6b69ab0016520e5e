//! PKCS#12 (PFX) files: the private key and certificates inside, as OpenSSL's store loader sees them.

use zeroize::Zeroizing;

use super::pass::Secret;
use crate::error::{Error, Result};

/// What a PKCS#12 file holds: PKCS#8 keys (DER) and certificates (DER), in file order.
pub(crate) struct Contents {
    pub keys: Vec<Zeroizing<Vec<u8>>>,
    pub certs: Vec<Vec<u8>>,
}

/// Whether `data` parses as a PFX structure (so errors can say "wrong pass phrase" rather than
/// "unknown format").
pub(crate) fn is_pkcs12(data: &[u8]) -> bool {
    // A PFX is SEQUENCE { INTEGER 3, ContentInfo, ... }: check the version without decrypting anything.
    let Some(content) = super::tlv_content(data) else {
        return false;
    };
    data.first() == Some(&0x30) && content.starts_with(&[0x02, 0x01, 0x03, 0x30])
}

/// Decrypt and read a PKCS#12 file. With no pass phrase, the empty one is tried (OpenSSL does the same
/// before prompting, and `-batch` stops there).
pub(crate) fn parse(
    data: &[u8],
    pass: Option<&Secret>,
    file: &str,
    desc: &str,
) -> Result<Contents> {
    let pw = match pass {
        Some(p) => p
            .as_str()
            .map_err(|e| e.context(format!("cannot load {desc} from '{file}'")))?,
        None => "",
    };
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(data, pw).map_err(|e| {
        let mac = matches!(e, p12_keystore::error::Error::MacError(_));
        if mac || matches!(e, p12_keystore::error::Error::UnpadError) {
            if pass.is_none() {
                Error::cmp(format!(
                    "cannot load {desc} from '{file}': PKCS#12 file needs a pass phrase"
                ))
            } else {
                Error::cmp(format!(
                    "cannot decrypt {desc} from '{file}': wrong pass phrase?"
                ))
            }
        } else {
            Error::cmp(format!(
                "cannot load {desc} from '{file}': cannot parse PKCS#12 file: {e}"
            ))
        }
    })?;
    Ok(Contents {
        keys: archive
            .keys
            .iter()
            .map(|k| Zeroizing::new(k.key.as_der().to_vec()))
            .collect(),
        certs: archive
            .certs
            .iter()
            .map(|c| c.cert.as_der().to_vec())
            .collect(),
    })
}
