//! Enroll a first certificate with an initialization request (ir) protected by a shared secret
//! (PBM), against the in-process mock CA. Run with `cargo run --example enroll`.

mod common;

use rcmp::api::{CertRequest, Client, KeyAlgorithm, PrivateKey, Result};

fn main() -> Result<()> {
    let mock = common::mock()?.start()?;
    println!("mock CA listening on {}", mock.address());

    let mut client = Client::builder()
        .server(mock.address())
        .pbm(b"ref", b"secret")
        .build()?;
    let key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let req = CertRequest::new()
        .subject("/O=Example/CN=enroll-demo")
        .key(key.clone())
        .dns_names(vec!["demo.example".into()]);
    let new = client.ir(&req)?;

    println!("ir: {}", new.status.summary);
    println!(
        "new certificate: subject {}, issuer {}",
        new.cert.subject(),
        new.cert.issuer()
    );
    println!("it certifies our key: {}", key.matches(&new.cert));
    println!("chain: {} certificate(s)", new.chain.len());
    Ok(())
}
