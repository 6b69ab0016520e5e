// Shared by the examples: the test CA of the repository's fixtures, served by the in-process mock.
// (Not an example itself: each example includes it with `mod common;`.)

use rcmp::api::{Certificate, MockServerBuilder, PrivateKey, Result};

/// The fixtures directory of the repository (examples run from a clone).
fn fixture(name: &str) -> String {
    format!("{}/fixtures/verify/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The root certificate the test CA chains to.
pub fn root() -> Result<Certificate> {
    Ok(Certificate::load(fixture("root.pem"))?.remove(0))
}

/// The issuing CA (an intermediate under the root): its certificate and key.
pub fn ca() -> Result<(Certificate, PrivateKey)> {
    let cert = Certificate::load(fixture("int.pem"))?.remove(0);
    let key = PrivateKey::load(fixture("int.key.pem"), None)?;
    Ok((cert, key))
}

/// A mock server issuing with the test CA, accepting PBM under `ref`/`secret` and signatures
/// chaining to the root.
pub fn mock() -> Result<MockServerBuilder> {
    let (cert, key) = ca()?;
    Ok(rcmp::api::MockServer::builder()
        .srv_cert(&cert, &key)?
        .srv_secret(b"ref", b"secret")
        .srv_trusted(&[root()?])
        .srv_untrusted(&[cert]))
}
