//! Renew a certificate with a key update request (kur): a new key for the same subject. The
//! certificate to renew is enrolled first (ir). Both requests are protected with the shared secret
//! (PBM), as the mock CA's own certificate is for issuing only (its key usage does not cover
//! signing CMP messages). Run with `cargo run --example renew`.

mod common;

use rcmp::api::{CertRequest, Client, KeyAlgorithm, PrivateKey, Result};

fn main() -> Result<()> {
    let mock = common::mock()?.start()?;
    let mut client = Client::builder()
        .server(mock.address())
        .pbm(b"ref", b"secret")
        .build()?;

    let old_key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let old = client
        .ir(&CertRequest::new().subject("/CN=renew-demo").key(old_key))?
        .cert;
    println!("enrolled: {} (serial {})", old.subject(), hex(old.serial()));

    let new_key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let new = client.kur(&CertRequest::new().old_cert(old).key(new_key.clone()))?;
    println!(
        "kur: {}; renewed: {} (serial {}), new key certified: {}",
        new.status.summary,
        new.cert.subject(),
        hex(new.cert.serial()),
        new_key.matches(&new.cert)
    );
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}
