//! Credentials in files, loaded as the `rcmp` command loads them: a certificate is enrolled with
//! the shared secret (PBM) and saved with its key encrypted under a pass phrase; then both are
//! loaded back, the chain of the certificate is built and checked against the root (as
//! `-own_trusted` does), and the certificate is renewed (kur). Run with
//! `cargo run --example files`.

mod common;

use rcmp::api::{
    CertRequest, Certificate, Client, Error, ErrorKind, KeyAlgorithm, LoadOptions, PrivateKey,
    Result, VerifyOptions,
};

fn main() -> Result<()> {
    let mock = common::mock()?.start()?;
    let dir = tempfile::tempdir().map_err(|e| Error::new(ErrorKind::Config, e.to_string()))?;
    let cert_file = dir.path().join("client.pem");
    let key_file = dir.path().join("client.key.pem");
    let (cert_file, key_file) = (path_text(&cert_file)?, path_text(&key_file)?);

    // A first certificate, saved as files (the key encrypted, as `-newkeypass` would).
    let mut pbm = Client::builder()
        .server(mock.address())
        .pbm(b"ref", b"secret")
        .build()?;
    let key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let first = pbm.ir(&CertRequest::new()
        .subject("/CN=files-demo")
        .key(key.clone()))?;
    write(&cert_file, first.cert.to_pem().as_bytes())?;
    write(
        &key_file,
        key.to_encrypted_pkcs8_pem(b"demo pass")?.as_bytes(),
    )?;

    // Loaded back; a mistake would be reported naming the file and what it is for.
    let opts = LoadOptions::new().passphrase(b"demo pass");
    let (cert, _) = Certificate::load_with_chain(
        &cert_file,
        &opts.clone().description("CMP client certificate"),
    )?;
    let key = PrivateKey::load_with(&key_file, &opts.description("CMP client key"))?;
    println!(
        "loaded {} (its key matches: {})",
        cert.subject(),
        key.matches(&cert)
    );
    let wrong = PrivateKey::load_with(
        &key_file,
        &LoadOptions::new()
            .passphrase(b"guess")
            .description("CMP client key"),
    );
    if let Err(e) = wrong {
        println!("with a wrong pass phrase: {e}");
    }

    // The chain to send with the certificate, checked against the root (as `-own_trusted`).
    let (ca, _) = common::ca()?;
    let chain = VerifyOptions::new().build_chain(&[common::root()?], &cert, &[ca])?;
    println!("chain: {}", subjects(&chain));

    // The loaded certificate renewed (kur), the new key saved the same way.
    let new_key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let new = pbm.kur(&CertRequest::new().old_cert(cert).key(new_key.clone()))?;
    write(
        &key_file,
        new_key.to_encrypted_pkcs8_pem(b"demo pass")?.as_bytes(),
    )?;
    write(&cert_file, new.cert.to_pem().as_bytes())?;
    println!(
        "kur: {}; renewed {}",
        new.status.summary,
        new.cert.subject()
    );
    Ok(())
}

fn path_text(p: &std::path::Path) -> Result<String> {
    p.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::new(ErrorKind::Config, "temporary path is not UTF-8"))
}

fn write(file: &str, data: &[u8]) -> Result<()> {
    std::fs::write(file, data).map_err(|e| Error::new(ErrorKind::Config, e.to_string()))
}

fn subjects(certs: &[Certificate]) -> String {
    let names: Vec<String> = certs.iter().map(Certificate::subject).collect();
    names.join(" <- ")
}
