//! The CMP-facing helpers: signer search (as cmp_vfy.c does it), the approximate chain for -chainout /
//! extraCerts, and the CMP test PKI scenarios the conformance tables rely on.

use crate::testutil as common;

use std::path::Path;

use crate::log::Side;
use crate::verify::{self, Cert, SignerQuery, TrustStore, VerifyParams};
use der::Encode;

fn load(path: &Path) -> Vec<Cert> {
    let data =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    x509_cert::Certificate::load_pem_chain(&data)
        .unwrap()
        .into_iter()
        .map(|c| Cert::from_der(&c.to_der().unwrap()).unwrap())
        .collect()
}
fn fx(name: &str) -> Vec<Cert> {
    load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/verify")
            .join(name),
    )
}
fn mock(name: &str) -> Vec<Cert> {
    load(&common::corpus_mock_dir("30").join(name))
}
fn subject(c: &Cert) -> String {
    verify::oneline(c.cert().tbs_certificate().subject())
}

#[test]
fn signer_found_in_extra_certs_and_validated() {
    let leaf = fx("leaf.pem").remove(0);
    let int = fx("int.pem").remove(0);
    let store = TrustStore::new(fx("root.pem"), VerifyParams::default());
    let sender = leaf.cert().tbs_certificate().subject().clone();
    let q = SignerQuery {
        sender: &sender,
        sender_kid: None,
        ignore_keyusage: false,
        side: Side::Client,
        no_trust_store: false,
        ta_in_ip: None,
        previous: None,
    };
    let mut tried = Vec::new();
    let mut sig_ok = |c: &Cert| {
        tried.push(subject(c));
        *c == leaf
    };
    let extra = [int.clone(), leaf.clone()];
    let found = verify::find_and_validate_signer(&q, &extra, &[], &store, &mut sig_ok).unwrap();
    assert_eq!(found, leaf);
    // int's subject is not the sender: the signature is never tried with it.
    assert_eq!(tried, vec!["/CN=leaf".to_string()]);
}

#[test]
fn signer_needs_matching_sender_kid_and_valid_path() {
    let leaf = fx("leaf.pem").remove(0);
    let int = fx("int.pem").remove(0);
    let sender = leaf.cert().tbs_certificate().subject().clone();
    let store = TrustStore::new(fx("root.pem"), VerifyParams::default());
    let q = SignerQuery {
        sender: &sender,
        sender_kid: Some(&[1, 2, 3]),
        ignore_keyusage: false,
        side: Side::Client,
        no_trust_store: false,
        ta_in_ip: None,
        previous: None,
    };
    let err = verify::find_and_validate_signer(
        &q,
        &[leaf.clone(), int.clone()],
        &[],
        &store,
        &mut |_| true,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("no suitable sender cert") && err.contains("senderKID = 01:02:03"),
        "{err}"
    );

    // Right name, signature fine, but no path: the intermediate is missing.
    let q = SignerQuery {
        sender: &sender,
        sender_kid: None,
        ignore_keyusage: false,
        side: Side::Client,
        no_trust_store: false,
        ta_in_ip: None,
        previous: None,
    };
    let err =
        verify::find_and_validate_signer(&q, std::slice::from_ref(&leaf), &[], &store, &mut |_| {
            true
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("for msg sender name = /CN=leaf"),
        "{err}"
    );
    // The intermediate given as -untrusted completes the path.
    let found = verify::find_and_validate_signer(
        &q,
        std::slice::from_ref(&leaf),
        &[int],
        &store,
        &mut |_| true,
    )
    .unwrap();
    assert_eq!(found, leaf);
}

#[test]
fn signer_key_usage_must_allow_signing_unless_ignored() {
    // int has keyUsage keyCertSign,cRLSign only: not acceptable as message signer.
    let int = fx("int.pem").remove(0);
    let sender = int.cert().tbs_certificate().subject().clone();
    let store = TrustStore::new(fx("root.pem"), VerifyParams::default());
    let q = SignerQuery {
        sender: &sender,
        sender_kid: None,
        ignore_keyusage: false,
        side: Side::Client,
        no_trust_store: false,
        ta_in_ip: None,
        previous: None,
    };
    assert!(verify::find_and_validate_signer(
        &q,
        std::slice::from_ref(&int),
        &[],
        &store,
        &mut |_| true
    )
    .is_err());
    let q = SignerQuery {
        ignore_keyusage: true,
        ..q
    };
    assert_eq!(
        verify::find_and_validate_signer(&q, std::slice::from_ref(&int), &[], &store, &mut |_| {
            true
        })
        .unwrap(),
        int
    );
}

#[test]
fn expired_signer_rejected_unless_no_check_time() {
    let leaf = fx("leaf_expired.pem").remove(0);
    let sender = leaf.cert().tbs_certificate().subject().clone();
    let extra = [leaf.clone(), fx("int.pem").remove(0)];
    let q = SignerQuery {
        sender: &sender,
        sender_kid: None,
        ignore_keyusage: false,
        side: Side::Client,
        no_trust_store: false,
        ta_in_ip: None,
        previous: None,
    };
    let store = TrustStore::new(fx("root.pem"), VerifyParams::default());
    assert!(verify::find_and_validate_signer(&q, &extra, &[], &store, &mut |_| true).is_err());
    let params = VerifyParams {
        no_check_time: true,
        ..Default::default()
    };
    let store = TrustStore::new(fx("root.pem"), params);
    assert_eq!(
        verify::find_and_validate_signer(&q, &extra, &[], &store, &mut |_| true).unwrap(),
        leaf
    );
}

#[test]
fn approx_chain_from_untrusted_only() {
    let leaf = fx("leaf.pem").remove(0);
    let pool = [
        fx("root.pem").remove(0),
        fx("int.pem").remove(0),
        fx("otherroot.pem").remove(0),
    ];
    let with: Vec<String> = verify::build_approx_chain(&leaf, &pool, true)
        .unwrap()
        .iter()
        .map(subject)
        .collect();
    assert_eq!(with, ["/CN=leaf", "/CN=int", "/CN=root"]);
    let without: Vec<String> = verify::build_approx_chain(&leaf, &pool, false)
        .unwrap()
        .iter()
        .map(subject)
        .collect();
    assert_eq!(without, ["/CN=leaf", "/CN=int"]);
    // Nothing reaches a root: the chain is as far as it goes.
    let partial: Vec<String> = verify::build_approx_chain(&leaf, &pool[1..], true)
        .unwrap()
        .iter()
        .map(subject)
        .collect();
    assert_eq!(partial, ["/CN=leaf", "/CN=int"]);
}

#[test]
fn cmp_test_pki_scenarios() {
    let signer = mock("signer.crt");
    let root = mock("signer_root.crt");
    let issuing = mock("signer_issuing.crt");
    let p = VerifyParams::default();
    // signer.crt chains to signer_root.crt via signer_issuing.crt (which holds interCA as well).
    let chain = verify::verify_chain(&signer[0], &root, &issuing, &p).unwrap();
    assert_eq!(chain.len(), 4, "{:?}", chain);
    // signer.crt carries its own chain in the same file.
    assert!(verify::verify_chain(&signer[0], &root, &signer[1..], &p).is_ok());
    // An expired root as trust anchor.
    let err = verify::verify_chain(&signer[0], &mock("root_expired.crt"), &issuing, &p)
        .unwrap_err()
        .to_string();
    assert!(err.contains("certificate has expired"), "{err}");
    // (issuing_expired.crt with -partial_chain is compared with openssl verify in verify_openssl.rs.)
    // The mock server's certificate against trusted.crt (the client's default -trusted in the tables).
    assert!(verify::verify_chain(&mock("server.crt")[0], &mock("trusted.crt"), &[], &p).is_ok());
}

#[test]
fn unsupported_options_fail_clearly() {
    let leaf = fx("leaf.pem").remove(0);
    let mut p = VerifyParams::default();
    p.set_option("policy", Some("1.2.3.4")).unwrap();
    let err = verify::verify_chain(&leaf, &fx("root.pem"), &fx("int.pem"), &p)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("-policy") && err.contains("not supported yet"),
        "{err}"
    );
    let mut p = VerifyParams::default();
    assert!(!p.set_option("server", Some("x")).unwrap());
    assert!(p.set_option("purpose", Some("nonsense")).is_err());
}
