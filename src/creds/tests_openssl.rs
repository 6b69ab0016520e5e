//! Credentials layer against OpenSSL's own test PKI and against files and signatures made by the real
//! `openssl` command (fixtures/creds/make.sh and at test time).

use crate::testutil as common;
use common::openssl;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::creds::{self, Digest, KeyOrPub, KeySpec, KeyType, Secret};

fn mock_dirs() -> Vec<PathBuf> {
    ["30", "latest"]
        .iter()
        .map(|v| common::corpus_mock_dir(v))
        .collect()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn pass12345() -> Secret {
    Secret::new("12345")
}

/// What a successful command printed: the harness runs it with its time limit and checks the status.
fn run_ok(cmd: &mut Command) -> Vec<u8> {
    common::run_ok(cmd).stdout
}

#[test]
fn mock_certs_load() {
    let dirs = mock_dirs();
    assert!(!dirs.is_empty(), "conformance data missing");
    for d in dirs {
        for f in [
            "root.crt",
            "issuing.crt",
            "server.crt",
            "signer_only.crt",
            "trusted.crt",
            "big_root.crt",
        ] {
            let c = creds::load_cert(&s(&d.join(f)), None, "test cert");
            assert!(c.is_ok(), "{f}: {:?}", c.err());
        }
        // signer.crt holds a chain: the first is the signer, the rest are chain certificates.
        let (leaf, chain) =
            creds::load_cert_with_chain(&s(&d.join("signer.crt")), None, "CMP client certificate")
                .expect("signer chain");
        assert!(!chain.is_empty());
        assert!(
            leaf.verify_issued_by(&chain[0]).is_ok(),
            "signer cert must verify with its issuer"
        );
        let only =
            creds::load_cert(&s(&d.join("signer_only.crt")), None, "x").expect("signer_only");
        assert_eq!(only, leaf);
        // A list of sources, separated by commas and spaces.
        let list = format!(
            "{}, {} {}",
            s(&d.join("root.crt")),
            s(&d.join("issuing.crt")),
            s(&d.join("signer.crt"))
        );
        let all = creds::load_certs(&list, None, "trusted certs").expect("list");
        let count = |f: &str| {
            creds::load_certs(&s(&d.join(f)), None, "c")
                .map(|v| v.len())
                .unwrap_or(0)
        };
        assert_eq!(
            all.len(),
            count("root.crt") + count("issuing.crt") + 1 + chain.len()
        );
        assert_eq!(
            all.len(),
            creds::load_certs(&list.replace(',', " "), None, "c")
                .map(|v| v.len())
                .unwrap_or(0)
        );
        // root is self-issued and self-signed
        let root = creds::load_cert(&s(&d.join("root.crt")), None, "root").expect("root");
        assert!(root.is_self_issued());
        assert!(root.verify_issued_by(&root).is_ok());
        // PKCS#12 with pass phrase: certs and key inside, key matching the signer cert.
        let p12 = s(&d.join("signer.p12"));
        let certs = creds::load_certs(&p12, Some(&pass12345()), "p12 certs").expect("p12 certs");
        assert!(certs.contains(&leaf));
        let key = creds::load_key(&p12, Some(&pass12345()), "p12 key").expect("p12 key");
        assert!(key.matches_cert(&leaf));
        let e = creds::load_key(
            &p12,
            Some(&Secret::new("123456")),
            "private key for CMP client certificate",
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(&*format!("cannot decrypt private key for CMP client certificate from '{p12}': wrong pass phrase?"))
        );
        // plain keys
        let k = creds::load_key(&s(&d.join("signer.key")), None, "k").expect("signer.key");
        assert!(k.matches_cert(&leaf));
        assert!(creds::load_key(&s(&d.join("server.key")), None, "k").is_ok());
        assert!(creds::load_key(&s(&d.join("new.key")), None, "k").is_ok());
        // encrypted key
        let enc = s(&d.join("new_pass_12345.key"));
        assert!(creds::load_key(&enc, Some(&pass12345()), "k").is_ok());
        let e = creds::load_key(&enc, Some(&Secret::new("x")), "new key")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(&*format!(
                "cannot decrypt new key from '{enc}': wrong pass phrase?"
            ))
        );
        assert!(creds::load_key(&enc, None, "k").is_err());
        // public key file for -newkey
        let np = creds::load_key_or_pubkey(&s(&d.join("new_pub.key")), None, "new key")
            .expect("new_pub");
        assert!(matches!(np, KeyOrPub::Public(_)));
        let nk = creds::load_key(&s(&d.join("new.key")), None, "k").expect("new.key");
        assert_eq!(np.public_key_der().ok(), nk.public_key_der().ok());
        // CSRs
        let csr = creds::load_csr(&s(&d.join("csr.pem")), "CSR").expect("csr");
        assert!(csr.verify_signature().is_ok());
        // wrong_csr.pem is validly self-signed, but not with new.key (the conformance row's point).
        let wrong = creds::load_csr(&s(&d.join("wrong_csr.pem")), "CSR").expect("wrong csr parses");
        assert!(wrong.verify_signature().is_ok());
        assert_ne!(wrong.public_key_der().ok(), nk.public_key_der().ok());
        // a CSR whose signature is broken is detected
        let mut bad = csr.der().to_vec();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(creds::Csr::from_der(&bad)
            .expect("parses")
            .verify_signature()
            .is_err());
    }
}

#[test]
fn bad_files_are_errors() {
    for d in mock_dirs() {
        for f in ["empty.txt", "random.bin"] {
            let p = s(&d.join(f));
            let e = creds::load_certs(&p, None, "trusted certs")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                e.starts_with(&format!("cannot load trusted certs from '{p}': ")),
                "{e}"
            );
            assert!(creds::load_key(&p, None, "key").is_err());
            assert!(creds::load_csr(&p, "csr").is_err());
            assert!(creds::load_crls(&p, "crls").is_err());
        }
        // a key file holds no certificate
        assert!(creds::load_certs(&s(&d.join("signer.key")), None, "extra certificates").is_err());
    }
    let e = creds::load_cert("idontexist", None, "CMP signer certificate")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("cannot load CMP signer certificate: cannot open 'idontexist': No such file or directory")
    );
}

#[test]
fn mock_crls_load() {
    let d = common::corpus_mock_dir("latest");
    let crls = creds::load_crls(
        &format!("{},{}", s(&d.join("oldcrl.pem")), s(&d.join("newcrl.pem"))),
        "CRLs",
    )
    .expect("crls");
    assert_eq!(crls.len(), 2);
    for c in &crls {
        assert!(c.next_update().is_none_or(|n| n >= c.this_update()));
        let again = creds::Crl::from_der(c.der()).expect("der");
        assert_eq!(again.to_pem(), c.to_pem());
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/creds")
}

const KEY_KINDS: [&str; 7] = [
    "rsa1024", "rsa2048", "rsa4096", "p256", "p384", "p521", "ed25519",
];

#[test]
fn fixture_keys_every_format() {
    let dir = fixtures();
    for k in KEY_KINDS {
        let cert = creds::load_cert(&s(&dir.join(format!("{k}.crt"))), None, "cert")
            .expect("fixture cert");
        assert!(
            cert.verify_issued_by(&cert).is_ok(),
            "{k}: openssl-made self-signed cert must verify"
        );
        let mut formats = vec![
            "pkcs8.pem",
            "pkcs8.der",
            "pkcs8enc.pem",
            "pkcs8enc.der",
            "p12",
        ];
        if k.starts_with("rsa") || k.starts_with('p') {
            formats.extend(["trad.pem", "trad.der", "tradenc.pem"]);
        }
        for f in formats {
            let p = s(&dir.join(format!("{k}.{f}")));
            let key = creds::load_key(&p, Some(&pass12345()), "key")
                .unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(key.matches_cert(&cert), "{p} does not match {k}.crt");
            if f.contains("enc") || f == "p12" {
                assert!(
                    creds::load_key(&p, Some(&Secret::new("wrong")), "key").is_err(),
                    "{p} with wrong pass"
                );
            }
        }
        let pubk = creds::load_pubkey(&s(&dir.join(format!("{k}.pub.pem"))), "pub").expect("pub");
        assert_eq!(Some(pubk.spki_der().to_vec()), cert.spki_der().ok());
        let pubd =
            creds::load_pubkey(&s(&dir.join(format!("{k}.pub.der"))), "pub").expect("pub der");
        assert_eq!(pubd.spki_der(), pubk.spki_der());
    }
}

/// Sign with our keys, verify with `openssl dgst -verify` (or `pkeyutl` for Ed25519).
#[test]
fn our_signatures_verify_with_openssl() {
    let dir = fixtures();
    let tmp = tempfile::tempdir().expect("tmp");
    let data = b"data to be signed by rcmp";
    let datafile = tmp.path().join("data");
    std::fs::write(&datafile, data).expect("write");
    for k in KEY_KINDS {
        let key =
            creds::load_key(&s(&dir.join(format!("{k}.pkcs8.pem"))), None, "key").expect("key");
        let pubf = s(&dir.join(format!("{k}.pub.pem")));
        let sigfile = tmp.path().join(format!("{k}.sig"));
        if k == "ed25519" {
            let sig = key.sign(Digest::Sha256, data).expect("sign");
            std::fs::write(&sigfile, &sig).expect("write");
            run_ok(
                openssl()
                    .args([
                        "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", &pubf, "-in",
                    ])
                    .arg(&datafile)
                    .arg("-sigfile")
                    .arg(&sigfile),
            );
            let alg = key.signature_algorithm(Digest::Sha256).expect("alg");
            assert_eq!(alg.oid.to_string(), "1.3.101.112");
            assert!(alg.parameters.is_none());
            continue;
        }
        for d in [
            Digest::Sha1,
            Digest::Sha224,
            Digest::Sha256,
            Digest::Sha384,
            Digest::Sha512,
        ] {
            let sig = key.sign(d, data).expect("sign");
            std::fs::write(&sigfile, &sig).expect("write");
            run_ok(
                openssl()
                    .args([
                        "dgst",
                        &format!("-{}", d.name()),
                        "-verify",
                        &pubf,
                        "-signature",
                    ])
                    .arg(&sigfile)
                    .arg(&datafile),
            );
            // and our own verifier agrees
            let alg = key.signature_algorithm(d).expect("alg");
            assert!(creds::verify_signature(
                &key.public_key_der().expect("spki"),
                &alg,
                data,
                &sig
            )
            .is_ok());
            assert!(creds::verify_signature(
                &key.public_key_der().expect("spki"),
                &alg,
                b"other data",
                &sig
            )
            .is_err());
            // PSS with SHA-512 and a 64-byte salt does not fit a 1024-bit modulus.
            if k.starts_with("rsa") && d != Digest::Sha1 && !(k == "rsa1024" && d == Digest::Sha512)
            {
                let sig = key.sign_pss(d, data).expect("pss");
                std::fs::write(&sigfile, &sig).expect("write");
                run_ok(
                    openssl()
                        .args([
                            "dgst",
                            &format!("-{}", d.name()),
                            "-sigopt",
                            "rsa_padding_mode:pss",
                            "-sigopt",
                        ])
                        .arg("rsa_pss_saltlen:digest")
                        .args(["-verify", &pubf, "-signature"])
                        .arg(&sigfile)
                        .arg(&datafile),
                );
                let alg = key.signature_algorithm_pss(d).expect("alg");
                assert!(creds::verify_signature(
                    &key.public_key_der().expect("spki"),
                    &alg,
                    data,
                    &sig
                )
                .is_ok());
            }
        }
    }
}

/// Signatures made by `openssl dgst -sign` verify with our verifier, with OpenSSL's AlgorithmIdentifiers.
#[test]
fn openssl_signatures_verify_with_ours() {
    let dir = fixtures();
    let tmp = tempfile::tempdir().expect("tmp");
    let datafile = tmp.path().join("data");
    std::fs::write(&datafile, b"signed by openssl").expect("write");
    for k in KEY_KINDS.iter().filter(|k| **k != "ed25519") {
        let keyf = s(&dir.join(format!("{k}.pkcs8.pem")));
        let key = creds::load_key(&keyf, None, "key").expect("key");
        for d in [
            Digest::Sha256,
            Digest::Sha384,
            Digest::Sha512,
            Digest::Sha3_256,
        ] {
            let sig = run_ok(
                openssl()
                    .args(["dgst", &format!("-{}", d.name()), "-sign", &keyf])
                    .arg(&datafile),
            );
            let alg = key.signature_algorithm(d).expect("alg");
            let r = creds::verify_signature(
                &key.public_key_der().expect("spki"),
                &alg,
                b"signed by openssl",
                &sig,
            );
            assert!(r.is_ok(), "{k} {}: {:?}", d.name(), r.err());
        }
    }
    // RSA-PSS certificate made by openssl (explicit PSS parameters in the signature algorithm).
    let pss =
        creds::load_cert(&s(&dir.join("rsa2048-pss.crt")), None, "pss cert").expect("pss cert");
    assert_eq!(
        pss.signature_algorithm().oid.to_string(),
        "1.2.840.113549.1.1.10"
    );
    assert!(pss.verify_issued_by(&pss).is_ok());
}

#[test]
fn generated_keys_work() {
    for spec in [
        KeySpec::Rsa(2048),
        KeySpec::Ec(creds::key::Curve::P256),
        KeySpec::Ed25519,
    ] {
        let k = creds::generate_key(spec).expect("gen");
        let sig = k.sign(Digest::Sha256, b"x").expect("sign");
        let alg = k.signature_algorithm(Digest::Sha256).expect("alg");
        assert!(
            creds::verify_signature(&k.public_key_der().expect("spki"), &alg, b"x", &sig).is_ok()
        );
        let again = creds::key::PrivateKey::from_pkcs8_der(&k.to_pkcs8_der().expect("der"))
            .expect("reparse");
        assert_eq!(again.public_key_der().ok(), k.public_key_der().ok());
    }
    assert!(matches!(
        creds::generate_key(KeySpec::Rsa(2048)).map(|k| k.key_type()),
        Ok(KeyType::Rsa { bits: 2048 })
    ));
}

#[test]
fn signature_algorithm_identifiers() {
    use der::Encode;
    let dir = fixtures();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let rsa = creds::load_key(&s(&dir.join("rsa2048.pkcs8.pem")), None, "k").expect("k");
    let a = rsa
        .signature_algorithm(Digest::Sha256)
        .expect("alg")
        .to_der()
        .expect("der");
    assert_eq!(hex(&a), "300d06092a864886f70d01010b0500");
    let ec = creds::load_key(&s(&dir.join("p256.pkcs8.pem")), None, "k").expect("k");
    let a = ec
        .signature_algorithm(Digest::Sha256)
        .expect("alg")
        .to_der()
        .expect("der");
    assert_eq!(hex(&a), "300a06082a8648ce3d040302");
    // PSS parameters as OpenSSL writes them into the fixture certificate
    let pss = creds::load_cert(&s(&dir.join("rsa2048-pss.crt")), None, "pss").expect("pss");
    let ours = rsa
        .signature_algorithm_pss(Digest::Sha256)
        .expect("alg")
        .to_der()
        .expect("der");
    assert_eq!(
        hex(&ours),
        hex(&pss.signature_algorithm().to_der().expect("der"))
    );
}

/// Subjects of certificates made with `openssl req -subj` print as `openssl x509 -subject` prints them,
/// and our parse of the same string gives the same DER name.
#[test]
fn dn_round_trips_with_openssl() {
    use der::Encode;
    let dir = fixtures();
    let key = s(&dir.join("p256.pkcs8.pem"));
    let tmp = tempfile::tempdir().expect("tmp");
    let subjects = [
        "/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf",
        "/CN=a/O=b+UID=c",
        "/DC=org/DC=example/emailAddress=a@example.org/serialNumber=42/CN=x y",
        "/CN=a\\/b\\+c/O=d",
        "/GN=g/SN=s/title=t/street=st/L=l/OU=u/pseudonym=p/dnQualifier=q/initials=i/generationQualifier=III/name=n",
        "/",
    ];
    for (i, subj) in subjects.iter().enumerate() {
        let out = tmp.path().join(format!("{i}.pem"));
        run_ok(
            openssl()
                .args(["req", "-new", "-x509", "-key", &key, "-subj", subj, "-out"])
                .arg(&out),
        );
        let cert = creds::load_cert(&s(&out), None, "c").expect("cert");
        let ours = creds::parse_dn(subj, "subject").expect("parse");
        assert_eq!(ours.to_der().ok(), cert.subject().to_der().ok(), "{subj}");
        let printed = run_ok(
            openssl()
                .args(["x509", "-noout", "-subject", "-nameopt", "oneline", "-in"])
                .arg(&out),
        );
        let printed = String::from_utf8_lossy(&printed);
        let printed = printed
            .trim_end()
            .strip_prefix("subject=")
            .unwrap_or("")
            .trim_start();
        assert_eq!(creds::dn::to_text(&ours, true), printed, "{subj}");
        // oneline form reparses to the same name when there are no special characters
        if *subj == "/" {
            // X509_NAME_oneline() of the empty name is the empty string
            assert_eq!(creds::oneline(&ours), "");
        } else if !subj.contains('\\') {
            assert_eq!(creds::oneline(&ours), *subj, "{subj}");
        }
    }
}

#[test]
fn pass_phrase_sources() {
    use std::io::Write;
    std::env::set_var("RCMP_TEST_PASS", "from-env");
    assert_eq!(
        creds::get_passwd("env:RCMP_TEST_PASS", "t")
            .expect("env")
            .as_bytes(),
        b"from-env"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let f = tmp.path().join("p.txt");
    std::fs::write(&f, "first line\nsecond\n").expect("write");
    assert_eq!(
        creds::get_passwd(&format!("file:{}", s(&f)), "t")
            .expect("file")
            .as_bytes(),
        b"first line"
    );
    // fd: via a pipe
    let mut fds = [0i32; 2];
    // SAFETY: pipe fills two descriptors, closed below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    {
        use std::os::fd::FromRawFd;
        // SAFETY: fds[1] is the write end we own; File closes it on drop.
        let mut w = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        w.write_all(b"piped secret\nrest").expect("write");
    }
    let got = creds::get_passwd(&format!("fd:{}", fds[0]), "t").expect("fd");
    assert_eq!(got.as_bytes(), b"piped secret");
    // SAFETY: closing the read end we own.
    unsafe { libc::close(fds[0]) };
    // Conformance table: plain `12345` works, `pass::12345` and `fp:4` give wrong pass phrases.
    let p12 = s(&common::corpus_mock_dir("latest").join("signer.p12"));
    for (arg, ok) in [
        ("12345", true),
        ("pass:12345", true),
        ("pass::12345", false),
        ("fp:4", false),
        ("pass", false),
    ] {
        let pw = creds::get_passwd(arg, "private key").expect("pass");
        assert_eq!(creds::load_key(&p12, Some(&pw), "k").is_ok(), ok, "{arg}");
    }
}

#[test]
fn other_encryptions_and_layouts() {
    let dir = fixtures();
    let p256 = creds::load_cert(&s(&dir.join("p256.crt")), None, "c").expect("cert");
    for f in ["p256.pbes1.pem", "p256.pbes2sha512.pem", "p256.combo.pem"] {
        let k = creds::load_key(&s(&dir.join(f)), Some(&pass12345()), "key")
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(k.matches_cert(&p256), "{f}");
    }
    let des3 = creds::load_key(&s(&dir.join("rsa2048.des3.pem")), Some(&pass12345()), "key")
        .expect("des3");
    assert!(des3
        .matches_cert(&creds::load_cert(&s(&dir.join("rsa2048.crt")), None, "c").expect("cert")));
    let e = creds::load_key(
        &s(&dir.join("rsa2048.des3.pem")),
        Some(&Secret::new("no")),
        "key",
    );
    assert!(e.is_err());
    // certs and key from the same file, text around them skipped
    let certs = creds::load_certs(&s(&dir.join("p256.combo.pem")), None, "c").expect("combo certs");
    assert_eq!(certs, vec![p256.clone()]);
    // an empty PKCS#12 pass phrase is what OpenSSL tries when none is given
    let k = creds::load_key(&s(&dir.join("p256.nopass.p12")), None, "key").expect("nopass p12");
    assert!(k.matches_cert(&p256));
    // wrong key for a cert
    let rsa = creds::load_key(&s(&dir.join("rsa2048.pkcs8.pem")), None, "k").expect("k");
    assert!(!rsa.matches_cert(&p256));
}

#[test]
fn ml_dsa_keys() {
    let dir = fixtures();
    let key = creds::load_key(&s(&dir.join("mldsa44.pkcs8.pem")), None, "key").expect("ML-DSA key");
    assert!(matches!(key.key_type(), KeyType::MlDsa(_)));
    let cert = creds::load_cert(&s(&dir.join("mldsa44.crt")), None, "c").expect("cert");
    assert!(key.matches_cert(&cert));
    assert!(
        cert.verify_issued_by(&cert).is_ok(),
        "OpenSSL 3.5's ML-DSA self-signature"
    );
    let sig = key.sign(Digest::Sha256, b"msg").expect("sign");
    let alg = key.signature_algorithm(Digest::Sha256).expect("alg");
    assert_eq!(alg.oid, cert.signature_algorithm().oid);
    assert!(
        creds::verify_signature(&key.public_key_der().expect("spki"), &alg, b"msg", &sig).is_ok()
    );
    assert!(
        creds::verify_signature(&key.public_key_der().expect("spki"), &alg, b"other", &sig)
            .is_err()
    );
}

/// Keys we write encrypted (central key generation's `-newkeyout` with `-newkeypass`) are read by openssl.
#[test]
fn encrypted_key_output_reads_with_openssl() {
    let tmp = tempfile::tempdir().expect("tmp");
    for spec in [
        KeySpec::Rsa(2048),
        KeySpec::Ec(creds::key::Curve::P384),
        KeySpec::Ed25519,
    ] {
        let k = creds::generate_key(spec).expect("gen");
        let f = tmp.path().join("k.pem");
        std::fs::write(&f, k.to_encrypted_pkcs8_pem(&pass12345()).expect("enc")).expect("write");
        let pubout = run_ok(
            openssl()
                .args([
                    "pkey",
                    "-passin",
                    "pass:12345",
                    "-pubout",
                    "-outform",
                    "DER",
                    "-in",
                ])
                .arg(&f),
        );
        assert_eq!(Some(pubout), k.public_key_der().ok());
        assert!(openssl()
            .args(["pkey", "-passin", "pass:wrong", "-noout", "-in"])
            .arg(&f)
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(false));
        let back = creds::load_key(&s(&f), Some(&pass12345()), "k").expect("reload");
        assert_eq!(back.public_key_der().ok(), k.public_key_der().ok());
        let plain = tmp.path().join("p.pem");
        std::fs::write(&plain, k.to_pkcs8_pem().expect("pem").as_bytes()).expect("write");
        run_ok(openssl().args(["pkey", "-noout", "-in"]).arg(&plain));
    }
}
