//! Revoke certificates with revocation requests (rr): one given as a certificate, one named by
//! issuer and serial number only (with `Client::execute`). The certificates are enrolled first (ir
//! with PBM). Run with `cargo run --example revoke`.

mod common;

use rcmp::api::{CertRequest, Client, KeyAlgorithm, PrivateKey, Request, Result};

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

    // Without the certificate at hand: its issuer and serial number name it.
    let key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let other = client
        .ir(&CertRequest::new().subject("/CN=revoke-demo-2").key(key))?
        .cert;
    let by_name = CertRequest::new()
        .issuer(other.issuer())
        .serial(other.serial().to_vec())
        .revocation_reason(4); // superseded
    let rev = client.execute(&Request::Revoke(by_name))?;
    if let Some(status) = rev.status {
        println!("rr by issuer and serial: {}", status.summary);
    }
    Ok(())
}
