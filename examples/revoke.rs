//! Revoke a certificate with a revocation request (rr). The certificate is enrolled first (ir with
//! PBM). Run with `cargo run --example revoke`.

mod common;

use rcmp::api::{CertRequest, Client, KeyAlgorithm, PrivateKey, Result};

fn main() -> Result<()> {
    let mock = common::mock()?.start()?;
    let mut client = Client::builder()
        .server(mock.address())
        .pbm(b"ref", b"secret")
        .build()?;
    let key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let cert = client
        .ir(&CertRequest::new().subject("/CN=revoke-demo").key(key))?
        .cert;
    println!("enrolled: {}", cert.subject());

    // CRL reason 1 = keyCompromise (RFC 5280 section 5.3.1).
    let rev = client.rr(&cert, Some(1))?;
    println!("rr: {}", rev.status.summary);
    Ok(())
}
