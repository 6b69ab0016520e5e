//! Decode-level checks of the requests the client builds (no server needed).

use crate::testutil as common;

use crate::asn1::InfoTypeAndValue;
use crate::client::request::{self, HeaderState};
use crate::client::wire::{oids, BodyType, PkiBody, ProofOfPossession, Received};
use crate::client::{Cmd, Ctx};
use crate::creds::{self, KeyOrPub};
use crate::protect::pbm;
use der::Encode;
use x509_cert::ext::pkix::name::GeneralName;
use zeroize::Zeroizing;

/// A file of OpenSSL's CMP test PKI (corpus 30).
fn mock(name: &str) -> String {
    common::corpus_mock_dir("30")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn ctx() -> Ctx {
    Ctx {
        cmd: Cmd::Ir,
        secret: Some(Zeroizing::new(b"test".to_vec())),
        reference: Some(b"myref".to_vec()),
        subject: Some(creds::parse_dn("/CN=foo", "subject").unwrap()),
        newkey: Some(KeyOrPub::Private(
            creds::load_key(&mock("new.key"), None, "key").unwrap(),
        )),
        days: 10,
        policy_oids: vec![der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4")],
        ..Ctx::default()
    }
}

#[test]
fn ir_with_pbm_is_built_as_openssl_builds_it() {
    let c = ctx();
    let st = HeaderState::new(&c, vec![7; 16]);
    let body = request::first_body(&c).unwrap();
    let (msg, nonce) = request::message(&c, &st, body, 2).unwrap();
    let der_bytes = msg.to_der_vec().unwrap();
    let r = Received::decode(&der_bytes, "test").unwrap();
    let h = &r.msg.header;
    assert_eq!(h.pvno, 2);
    assert_eq!(
        h.sender,
        GeneralName::DirectoryName(creds::parse_dn("/CN=foo", "s").unwrap())
    );
    assert_eq!(
        h.recipient,
        GeneralName::DirectoryName(Default::default()),
        "NULL-DN recipient"
    );
    assert_eq!(h.transaction_id.as_ref().unwrap().as_bytes(), &[7; 16]);
    assert_eq!(
        h.sender_nonce.as_ref().unwrap().as_bytes(),
        nonce.as_slice()
    );
    assert_eq!(nonce.len(), 16);
    assert!(h.recip_nonce.is_none());
    assert_eq!(h.sender_kid.as_ref().unwrap().as_bytes(), b"myref");
    let alg = h.protection_alg.as_ref().unwrap();
    assert_eq!(alg.oid, oids::PASSWORD_BASED_MAC);
    let params = pbm::params_from_alg(alg).unwrap();
    assert_eq!(params.salt.as_bytes().len(), 16);
    assert_eq!(params.owf.oid.to_string(), "2.16.840.1.101.3.4.2.1");
    assert_eq!(params.mac.oid.to_string(), "1.3.6.1.5.5.8.1.2");
    let mac = pbm::protect(b"test", &params, &r.protected_part).unwrap();
    assert_eq!(
        r.msg.protection.as_ref().unwrap().raw_bytes(),
        mac.as_slice()
    );
    assert!(r.msg.extra_certs.is_none());

    let PkiBody::Ir(reqs) = &r.msg.body else {
        panic!("not an ir")
    };
    assert_eq!(BodyType::of(&r.msg.body), BodyType::Ir);
    assert_eq!(reqs.len(), 1);
    let cr = &reqs[0].cert_req;
    assert_eq!(cr.cert_req_id, 0);
    let t = &cr.cert_template;
    assert_eq!(creds::oneline(t.subject.as_ref().unwrap()), "/CN=foo");
    assert!(t.issuer.is_none());
    let v = t.validity.as_ref().unwrap();
    let nb = v.not_before.unwrap().to_unix_duration().as_secs();
    let na = v.not_after.unwrap().to_unix_duration().as_secs();
    assert_eq!(na - nb, 10 * 86400);
    let exts = t.extensions.as_ref().unwrap();
    assert_eq!(exts.len(), 1);
    assert_eq!(exts[0].extn_id, oids::CE_CERTIFICATE_POLICIES);
    // POPO: signature by the new key over the DER of CertRequest.
    let Some(ProofOfPossession::Signature(s)) = &reqs[0].popo else {
        panic!("no signature POPO")
    };
    let spki = t.public_key.as_ref().unwrap().to_der().unwrap();
    creds::verify_signature(
        &spki,
        &s.algorithm_identifier,
        &cr.to_der().unwrap(),
        s.signature.raw_bytes(),
    )
    .unwrap();
}

#[test]
fn signature_popo_needs_a_private_key() {
    let mut c = ctx();
    c.newkey = Some(KeyOrPub::Public(
        creds::load_pubkey(&mock("new_pub.key"), "pub").unwrap(),
    ));
    assert_eq!(
        request::first_body(&c).unwrap_err().to_string(),
        "missing private key for popo"
    );
    c.popo = 0;
    let PkiBody::Ir(r) = request::first_body(&c).unwrap() else {
        panic!()
    };
    assert!(matches!(r[0].popo, Some(ProofOfPossession::RaVerified(_))));
}

#[test]
fn rr_names_the_certificate_and_reason() {
    let mut c = ctx();
    c.cmd = Cmd::Rr;
    let old = creds::load_cert(&mock("signer_only.crt"), None, "old").unwrap();
    c.oldcert = Some(old.clone());
    c.revreason = 5;
    let PkiBody::Rr(rd) = request::first_body(&c).unwrap() else {
        panic!()
    };
    let t = &rd[0].cert_details;
    assert_eq!(t.serial_number.as_ref().unwrap().as_bytes(), old.serial());
    assert!(creds::names_equal(t.issuer.as_ref().unwrap(), old.issuer()));
    let e = &rd[0].crl_entry_details.as_ref().unwrap()[0];
    assert_eq!(e.extn_id, oids::CE_CRL_REASONS);
    assert_eq!(e.extn_value.as_bytes(), &[0x0a, 0x01, 0x05]);
}

#[test]
fn sans_parse() {
    let (crit, names) =
        crate::extconf::sans_option("example.com 10.0.0.1, a@b.c critical http://x/").unwrap();
    assert!(crit);
    assert_eq!(names.len(), 4);
    assert!(matches!(names[0], GeneralName::DnsName(_)));
    assert!(matches!(names[1], GeneralName::IpAddress(_)));
    assert!(matches!(names[2], GeneralName::Rfc822Name(_)));
    assert!(matches!(
        names[3],
        GeneralName::UniformResourceIdentifier(_)
    ));
}

#[test]
fn reference_capture_decodes_and_reencodes() {
    // OpenSSL 3.0's IP and PKIConf from an `openssl cmp -rspout` capture, kept with the tests.
    for f in ["ip.der", "pkiconf.der", "ir.der", "certconf.der"] {
        let bytes = std::fs::read(format!(
            "{}/tests/client_data/{f}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let r = Received::decode(&bytes, f).unwrap();
        assert_eq!(
            r.msg.to_der_vec().unwrap(),
            bytes,
            "{f} re-encodes byte for byte"
        );
    }
}

#[test]
fn keyenc_popo_is_encoded_as_openssl_does() {
    let mut c = ctx();
    c.popo = 2;
    let PkiBody::Ir(r) = request::first_body(&c).unwrap() else {
        panic!()
    };
    let popo = r[0].popo.as_ref().unwrap().to_der().unwrap();
    // [2] { [1] subsequentMessage encrCert (0) }, as `openssl cmp -popo 2 -reqout` shows.
    assert_eq!(popo, vec![0xa2, 0x03, 0x81, 0x01, 0x00]);
}

#[test]
fn certconf_hash_follows_the_signature_algorithm() {
    // RSA with SHA-256: certHash is SHA-256 of the certificate, pvno 2, no hashAlg.
    let rsa = creds::load_cert(&mock("signer_only.crt"), None, "c").unwrap();
    let (body, pvno) = request::cert_conf(&rsa, 0, 0, None).unwrap();
    let PkiBody::CertConf(cs) = body else {
        panic!()
    };
    assert_eq!(pvno, 2);
    assert!(cs[0].hash_alg.is_none());
    assert_eq!(
        cs[0].cert_hash.as_bytes(),
        creds::Digest::Sha256.hash(rsa.der()).unwrap()
    );
    assert_eq!(
        cs[0].status_info.as_ref().unwrap().to_text(),
        "PKIStatus: accepted"
    );

    // Ed25519 names no digest: OpenSSL 3.5 hashes with SHA-512, says so in hashAlg, and uses pvno 3.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("ed.key");
    let crt = dir.path().join("ed.crt");
    let ok = common::openssl()
        .args([
            "req", "-x509", "-newkey", "ed25519", "-nodes", "-subj", "/CN=ed", "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .expect("openssl must be installed for this test");
    assert!(ok.status.success());
    let ed = creds::load_cert(crt.to_str().unwrap(), None, "c").unwrap();
    let (body, pvno) = request::cert_conf(&ed, 0, 0, None).unwrap();
    let PkiBody::CertConf(cs) = body else {
        panic!()
    };
    assert_eq!(pvno, 3);
    assert_eq!(
        cs[0].hash_alg.as_ref().unwrap().oid.to_string(),
        "2.16.840.1.101.3.4.2.3"
    );
    assert_eq!(
        cs[0].cert_hash.as_bytes(),
        creds::Digest::Sha512.hash(ed.der()).unwrap()
    );
}

/// Our kur next to the one OpenSSL 3.0 sent in the asn1 area's golden capture (fixtures/golden/capture.sh:
/// `-section "Mock enrollment" -cmd kur -newkey new.key` with test.cnf's subject, recipient and policies):
/// everything but times, nonces, IDs and signatures must be the same bytes.
#[test]
fn kur_matches_openssl_golden_capture() {
    let golden_der = std::fs::read(format!(
        "{}/fixtures/golden/kur.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let golden = Received::decode(&golden_der, "golden").unwrap().msg;
    let pass = creds::get_passwd("pass:12345", "keypass").unwrap();
    let p12 = mock("signer.p12");
    let c = Ctx {
        cmd: Cmd::Kur,
        cert: Some(creds::load_cert(&mock("signer.crt"), None, "cert").unwrap()),
        key: Some(creds::load_key(&p12, Some(&pass), "key").unwrap()),
        untrusted: creds::load_certs(&p12, Some(&pass), "chain").unwrap(),
        recipient: Some(creds::parse_dn("/CN=Root CA", "recipient").unwrap()),
        subject: Some(
            creds::parse_dn(
                "/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf",
                "subject",
            )
            .unwrap(),
        ),
        newkey: Some(KeyOrPub::Private(
            creds::load_key(&mock("new.key"), None, "key").unwrap(),
        )),
        policy_oids: vec![der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4")],
        policy_oids_critical: true,
        ..Ctx::default()
    };
    let st = HeaderState::new(&c, vec![1; 16]);
    let (ours, _) = request::message(&c, &st, request::first_body(&c).unwrap(), 2).unwrap();
    let (g, o) = (&golden.header, &ours.header);
    assert_eq!(g.pvno, o.pvno);
    assert_eq!(g.sender.to_der().unwrap(), o.sender.to_der().unwrap());
    assert_eq!(g.recipient.to_der().unwrap(), o.recipient.to_der().unwrap());
    assert_eq!(g.protection_alg, o.protection_alg);
    assert_eq!(g.sender_kid, o.sender_kid);
    assert_eq!(g.general_info, o.general_info);
    let (PkiBody::Kur(gm), PkiBody::Kur(om)) = (&golden.body, &ours.body) else {
        panic!("not kur")
    };
    assert_eq!(
        gm[0].cert_req.to_der().unwrap(),
        om[0].cert_req.to_der().unwrap(),
        "CertRequest bytes"
    );
    let Some(ProofOfPossession::Signature(gs)) = &gm[0].popo else {
        panic!()
    };
    let Some(ProofOfPossession::Signature(os)) = &om[0].popo else {
        panic!()
    };
    assert_eq!(gs.algorithm_identifier, os.algorithm_identifier);
    // RSA PKCS#1 v1.5 is deterministic: same key, same CertRequest, same signature.
    assert_eq!(gs.signature, os.signature);
    let subjects = |m: &crate::client::wire::PkiMessage| -> Vec<Vec<u8>> {
        crate::client::wire::extra_certs(m)
            .iter()
            .map(|c| c.tbs_certificate().subject().to_der().unwrap())
            .collect()
    };
    assert_eq!(
        subjects(&golden),
        subjects(&ours),
        "extraCerts: -cert and its chain"
    );
}

fn golden(name: &str) -> crate::client::wire::PkiMessage {
    let der_bytes = std::fs::read(format!(
        "{}/fixtures/golden/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    Received::decode(&der_bytes, name).unwrap().msg
}

fn signer_ctx(cmd: Cmd) -> Ctx {
    let pass = creds::get_passwd("pass:12345", "keypass").unwrap();
    let p12 = mock("signer.p12");
    Ctx {
        cmd,
        cert: Some(creds::load_cert(&mock("signer.crt"), None, "cert").unwrap()),
        key: Some(creds::load_key(&p12, Some(&pass), "key").unwrap()),
        untrusted: creds::load_certs(&p12, Some(&pass), "chain").unwrap(),
        recipient: Some(creds::parse_dn("/CN=Root CA", "recipient").unwrap()),
        ..Ctx::default()
    }
}

fn pbm_golden_ctx(cmd: Cmd) -> Ctx {
    Ctx {
        cmd,
        secret: Some(Zeroizing::new(b"test".to_vec())),
        reference: Some(b"1234".to_vec()),
        recipient: Some(creds::parse_dn("/CN=Root CA", "recipient").unwrap()),
        ..Ctx::default()
    }
}

/// Compare what does not depend on time, randomness or signatures with randomness.
fn assert_same_request(g: &crate::client::wire::PkiMessage, c: &Ctx) {
    let st = HeaderState::new(c, vec![1; 16]);
    let (o, _) = request::message(c, &st, request::first_body(c).unwrap(), 2).unwrap();
    let (gh, oh) = (&g.header, &o.header);
    assert_eq!(gh.pvno, oh.pvno);
    assert_eq!(
        gh.sender.to_der().unwrap(),
        oh.sender.to_der().unwrap(),
        "sender"
    );
    assert_eq!(
        gh.recipient.to_der().unwrap(),
        oh.recipient.to_der().unwrap(),
        "recipient"
    );
    assert_eq!(gh.sender_kid, oh.sender_kid, "senderKID");
    assert_eq!(gh.general_info, oh.general_info, "generalInfo");
    let (ga, oa) = (
        gh.protection_alg.as_ref().unwrap(),
        oh.protection_alg.as_ref().unwrap(),
    );
    assert_eq!(ga.oid, oa.oid);
    if ga.oid == oids::PASSWORD_BASED_MAC {
        let (gp, op) = (
            pbm::params_from_alg(ga).unwrap(),
            pbm::params_from_alg(oa).unwrap(),
        );
        assert_eq!(
            (gp.owf, gp.iteration_count, gp.mac),
            (op.owf, op.iteration_count, op.mac)
        );
        assert_eq!(gp.salt.as_bytes().len(), op.salt.as_bytes().len());
    } else {
        assert_eq!(ga, oa);
    }
    match (&g.body, &o.body) {
        (PkiBody::Ir(gm), PkiBody::Ir(om))
        | (PkiBody::Cr(gm), PkiBody::Cr(om))
        | (PkiBody::Kur(gm), PkiBody::Kur(om)) => {
            assert_eq!(
                gm[0].cert_req.to_der().unwrap(),
                om[0].cert_req.to_der().unwrap(),
                "CertRequest"
            );
            assert_eq!(
                gm[0].popo.to_der().unwrap(),
                om[0].popo.to_der().unwrap(),
                "POPO"
            );
        }
        (gb, ob) => assert_eq!(gb.to_der().unwrap(), ob.to_der().unwrap(), "body"),
    }
    let subjects = |m: &crate::client::wire::PkiMessage| -> Vec<Vec<u8>> {
        crate::client::wire::extra_certs(m)
            .iter()
            .map(|c| c.tbs_certificate().subject().to_der().unwrap())
            .collect()
    };
    assert_eq!(subjects(g), subjects(&o), "extraCerts");
}

#[test]
fn requests_match_openssl_golden_captures() {
    // pbm_ir: -section "Mock credentials enrollment" -cmd ir -ref 1234 -secret pass:test -newkey new.key
    //         -subject /CN=pbm (test.cnf adds recipient /CN=Root CA and policies 1.2.3.4 critical)
    let mut c = pbm_golden_ctx(Cmd::Ir);
    c.subject = Some(creds::parse_dn("/CN=pbm", "subject").unwrap());
    c.newkey = Some(KeyOrPub::Private(
        creds::load_key(&mock("new.key"), None, "key").unwrap(),
    ));
    c.policy_oids = vec![der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4")];
    c.policy_oids_critical = true;
    assert_same_request(&golden("pbm_ir.der"), &c);

    // pbm384_genm: -cmd genm -ref 1234 -secret pass:test -digest sha384 -mac hmacWithSHA512
    let mut c = pbm_golden_ctx(Cmd::Genm);
    c.digest = creds::Digest::from_name("sha384").unwrap();
    c.mac = creds::MacAlg::from_name("hmacWithSHA512").unwrap();
    assert_same_request(&golden("pbm384_genm.der"), &c);

    // genm: -section Mock -cmd genm -infotype signKeyPairTypes
    let mut c = signer_ctx(Cmd::Genm);
    c.genm_itavs = vec![InfoTypeAndValue {
        info_type: crate::asn1::oid::IT_SIGN_KEY_PAIR_TYPES,
        info_value: None,
    }];
    assert_same_request(&golden("genm.der"), &c);

    // rr: -section Mock -cmd rr -oldcert signer_only.crt -revreason 1
    let mut c = signer_ctx(Cmd::Rr);
    c.oldcert = Some(creds::load_cert(&mock("signer_only.crt"), None, "old").unwrap());
    c.revreason = 1;
    assert_same_request(&golden("rr.der"), &c);

    // p10cr: -section "Mock enrollment" -cmd p10cr -csr csr.pem
    let mut c = signer_ctx(Cmd::P10cr);
    c.csr = Some(creds::load_csr(&mock("csr.pem"), "csr").unwrap());
    assert_same_request(&golden("p10cr.der"), &c);
}
