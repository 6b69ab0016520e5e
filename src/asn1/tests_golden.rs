//! Golden tests: CMP messages captured from real OpenSSL runs (see fixtures/golden/capture.sh for the
//! exact commands) decode into our types with the expected contents and re-encode byte for byte.

use crate::testutil as common;

use std::path::PathBuf;

use crate::asn1::*;
use der::{Decode, DecodePem, Tagged};

fn golden(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/golden")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("missing golden file {}: {e}", p.display()))
}

/// Decodes, checks the byte-exact re-encoding, and returns the message.
fn decode(name: &str) -> PkiMessage {
    let der = golden(name);
    let msg = PkiMessage::from_der_bounded(&der, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = msg.to_der_vec().unwrap();
    assert!(
        again == der,
        "{name}: re-encoding differs from the captured DER"
    );
    msg
}

#[test]
fn every_golden_message_round_trips() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".der") {
            decode(&name);
            n += 1;
        }
    }
    assert!(n >= 40, "expected the captured set of messages, found {n}");
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(golden(name)).unwrap()
}

fn tid(m: &PkiMessage) -> &[u8] {
    m.header
        .transaction_id
        .as_ref()
        .expect("transactionID")
        .as_bytes()
}

fn nonce(o: &Option<der::asn1::OctetString>) -> &[u8] {
    o.as_ref().expect("nonce").as_bytes()
}

/// A request/response pair belongs together: same transactionID, response recipNonce = request senderNonce.
fn assert_pair(req: &PkiMessage, rsp: &PkiMessage) {
    assert_eq!(tid(req).len(), 16);
    assert_eq!(tid(req), tid(rsp));
    assert_eq!(nonce(&req.header.sender_nonce).len(), 16);
    assert_eq!(
        nonce(&rsp.header.recip_nonce),
        nonce(&req.header.sender_nonce)
    );
}

fn sha(alg: &'static aws_lc_rs::digest::Algorithm, data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
}

#[test]
fn signature_protected_enrollment_ir_ip_certconf_pkiconf() {
    let ir = decode("ir.der");
    assert_eq!(ir.header.pvno, PVNO_CMP2000);
    assert_eq!(ir.body.type_name(), "IR");
    let t = ir.header.message_time.as_ref().unwrap();
    assert_eq!(
        t.as_str().len(),
        15,
        "OpenSSL sends whole seconds: {}",
        t.as_str()
    );
    assert!(t.unix_secs() > 1_700_000_000);
    let alg = ir.header.protection_alg.as_ref().unwrap();
    assert_eq!(
        alg.oid.to_string(),
        "1.2.840.113549.1.1.11",
        "sha256WithRSAEncryption"
    );
    assert!(ir.protection.is_some());
    assert!(
        !ir.extra_certs.as_ref().unwrap().is_empty(),
        "the signer's chain travels in extraCerts"
    );
    let reqs = ir.body.cert_req_messages().unwrap();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.cert_req.cert_req_id, 0);
    let t = &req.cert_req.cert_template;
    assert!(t
        .subject
        .as_ref()
        .unwrap()
        .to_string()
        .contains("CN=golden"));
    assert!(t.public_key.is_some());
    match req.popo.as_ref().unwrap() {
        ProofOfPossession::Signature(sk) => {
            assert!(
                sk.poposk_input.is_none(),
                "subject and key are in the template"
            );
            assert_eq!(
                sk.algorithm_identifier.oid.to_string(),
                "1.2.840.113549.1.1.11"
            );
        }
        other => panic!("unexpected POPO {other:?}"),
    }

    let ip = decode("ip.der");
    assert_eq!(ip.body.type_name(), "IP");
    assert_pair(&ir, &ip);
    let rep = ip.body.cert_rep_message().unwrap();
    assert!(
        !rep.ca_pubs.as_ref().unwrap().is_empty(),
        "mock sends -rsp_capubs"
    );
    let r = rep.response_for(0).unwrap();
    assert_eq!(r.status.status, PkiStatus::ACCEPTED);
    assert!(r.status.fail_info.is_none());
    let cert = r.certificate().unwrap();

    let cc = decode("certconf.der");
    assert_eq!(cc.body.type_name(), "CERTCONF");
    assert_eq!(tid(&cc), tid(&ir));
    assert_eq!(
        nonce(&cc.header.recip_nonce),
        nonce(&ip.header.sender_nonce)
    );
    let PkiBody::CertConf(statuses) = &cc.body else {
        panic!("not certConf")
    };
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].cert_req_id, 0);
    assert!(
        statuses[0].hash_alg.is_none(),
        "pvno 2 certConf has no hashAlg"
    );
    // certHash is the certificate's hash with its signature's digest (SHA-256 here).
    let cert_der = der::Encode::to_der(cert).unwrap();
    assert_eq!(
        statuses[0].cert_hash.as_bytes(),
        sha(&aws_lc_rs::digest::SHA256, &cert_der)
    );

    let conf = decode("pkiconf.der");
    assert_eq!(conf.body, PkiBody::pkiconf());
    assert_eq!(conf.body.type_name(), "PKICONF");
    assert_pair(&cc, &conf);
}

#[test]
fn cr_template_carries_validity_extensions_and_names() {
    let cr = decode("cr.der");
    assert_eq!(cr.body.type_name(), "CR");
    let t = &cr.body.cert_req_messages().unwrap()[0]
        .cert_req
        .cert_template;
    let subject = t.subject.as_ref().unwrap().to_string();
    assert!(
        subject.contains("CN=cr") && subject.contains("O=Golden"),
        "{subject}"
    );
    assert!(t.issuer.is_some());
    let v = t.validity.as_ref().unwrap();
    let (nb, na) = (
        v.not_before.unwrap().to_unix_duration(),
        v.not_after.unwrap().to_unix_duration(),
    );
    assert_eq!((na - nb).as_secs(), 30 * 86400, "-days 30");
    let exts: Vec<String> = t
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.extn_id.to_string())
        .collect();
    for want in [
        "2.5.29.19",
        "2.5.29.15",
        "2.5.29.37",
        "2.5.29.17",
        "2.5.29.32",
    ] {
        assert!(
            exts.iter().any(|e| e == want),
            "extension {want} missing from {exts:?}"
        );
    }
    assert_pair(&cr, &decode("cp.der"));
    assert_eq!(decode("cp.der").body.type_name(), "CP");
}

#[test]
fn kur_has_old_cert_id_control() {
    let kur = decode("kur.der");
    assert_eq!(kur.body.type_name(), "KUR");
    let req = &kur.body.cert_req_messages().unwrap()[0].cert_req;
    let id = req.old_cert_id().expect("oldCertID control").unwrap();
    // The old certificate is the signer certificate the request is signed with (first extraCert).
    let old = &kur.extra_certs.as_ref().unwrap()[0];
    assert_eq!(&id.serial_number, old.tbs_certificate().serial_number());
    match &id.issuer {
        x509_cert::ext::pkix::name::GeneralName::DirectoryName(n) => {
            assert_eq!(n, old.tbs_certificate().issuer())
        }
        other => panic!("unexpected issuer form {other:?}"),
    }
    let kup = decode("kup.der");
    assert_eq!(kup.body.type_name(), "KUP");
    assert_pair(&kur, &kup);
}

#[test]
fn p10cr_keeps_the_csr() {
    let m = decode("p10cr.der");
    assert_eq!(m.body.type_name(), "P10CR");
    let csr_der = m.body.p10cr_der().unwrap().unwrap();
    let csr: x509_cert::request::CertReq = der::Decode::from_der(&csr_der).unwrap();
    assert!(csr.info.subject.to_string().contains("CN="));
    let rsp = decode("p10cp.der");
    assert_eq!(rsp.body.type_name(), "CP");
    assert_pair(&m, &rsp);
}

#[test]
fn rr_and_rp() {
    let rr = decode("rr.der");
    assert_eq!(rr.body.type_name(), "RR");
    let PkiBody::Rr(details) = &rr.body else {
        panic!()
    };
    assert_eq!(details.len(), 1);
    let t = &details[0].cert_details;
    assert!(t.serial_number.is_some() && t.issuer.is_some());
    let exts = details[0].crl_entry_details.as_ref().unwrap();
    let reason = exts
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.21")
        .expect("reasonCode");
    // ENUMERATED keyCompromise (1), from -revreason 1
    assert_eq!(reason.extn_value.as_bytes(), [0x0a, 0x01, 0x01]);
    let rp = decode("rp.der");
    assert_eq!(rp.body.type_name(), "RP");
    assert_pair(&rr, &rp);
    let PkiBody::Rp(c) = &rp.body else { panic!() };
    assert_eq!(c.status[0].status, PkiStatus::ACCEPTED);
}

#[test]
fn genm_and_genp() {
    let genm = decode("genm.der");
    let PkiBody::Genm(itavs) = &genm.body else {
        panic!("not genm")
    };
    assert_eq!(itavs.len(), 1);
    assert_eq!(itavs[0].info_type, oid::IT_SIGN_KEY_PAIR_TYPES);
    assert!(itavs[0].info_value.is_none());
    assert_eq!(itavs[0].type_name(), "id-it-signKeyPairTypes");
    let genp = decode("genp.der");
    assert_eq!(genp.body.type_name(), "GENP");
    assert_pair(&genm, &genp);

    let m = decode("cacerts_genm.der");
    let PkiBody::Genm(itavs) = &m.body else {
        panic!()
    };
    assert_eq!(itavs[0].info_type, oid::IT_CA_CERTS);
    let p = decode("cacerts_genp.der");
    let PkiBody::Genp(itavs) = &p.body else {
        panic!()
    };
    assert_eq!(itavs[0].type_name(), "id-it-caCerts");
    let certs: Vec<x509_cert::Certificate> =
        itavs[0].info_value.as_ref().unwrap().decode_as().unwrap();
    assert_eq!(certs.len(), 1, "the mock's one -rsp_capubs certificate");
}

#[test]
fn rejection_with_high_failure_bits_and_openssl_status_text() {
    let ip = decode("rej_ip.der");
    let r = &ip.body.cert_rep_message().unwrap().response[0];
    assert_eq!(r.status.status, PkiStatus::REJECTION);
    assert_eq!(r.status.fail_bits(), (1 << 2) | (1 << 19) | (1 << 26));
    assert_eq!(
        failure_names(r.status.fail_bits()),
        ["badRequest", "badCertTemplate", "duplicateCertReq"]
    );
    assert!(r.certified_key_pair.is_none());
    // OpenSSL's client printed: "request rejected by server:<status text>; cannot extract certificate ..."
    let log = fixture_text("rej_client.txt");
    let want = format!(
        "CMP error: request rejected by server:{}; cannot extract certificate from response",
        r.status.to_text()
    );
    assert!(
        log.lines().any(|l| l == want),
        "expected line\n{want}\nin OpenSSL's log\n{log}"
    );

    let rp = decode("v3_rej_rp.der");
    let PkiBody::Rp(c) = &rp.body else { panic!() };
    assert_eq!(c.status[0].fail_bits(), (1 << 20) | (1 << 24));
    let log = fixture_text("v3_rej_rp_client.txt");
    let want = format!(
        "CMP error: request rejected by server:{}",
        c.status[0].to_text()
    );
    assert!(
        log.lines().any(|l| l == want),
        "expected line\n{want}\nin OpenSSL 3.5's log\n{log}"
    );
}

#[test]
fn error_messages_and_their_text() {
    for (msg, log) in [
        ("error.der", "error_client.txt"),
        ("v3_error.der", "v3_error_client.txt"),
    ] {
        let m = decode(msg);
        assert_eq!(m.body.type_name(), "ERROR");
        let PkiBody::Error(e) = &m.body else { panic!() };
        assert_eq!(e.pki_status_info.status, PkiStatus::REJECTION);
        assert!(e.error_code.is_some() && e.error_details.is_some());
        let log = fixture_text(log);
        let want = format!("CMP error: received error:{}", e.to_text());
        assert!(
            log.lines().any(|l| l == want),
            "{msg}: expected line\n{want}\nin OpenSSL's log\n{log}"
        );
    }
}

#[test]
fn polling_messages() {
    let waiting = decode("poll_ip_waiting.der");
    let r = &waiting.body.cert_rep_message().unwrap().response[0];
    assert_eq!(r.status.status, PkiStatus::WAITING);
    assert!(r.certified_key_pair.is_none());
    let preq = decode("pollreq.der");
    assert_eq!(preq.body.type_name(), "POLLREQ");
    assert_eq!(
        preq.body,
        PkiBody::PollReq(vec![PollReq { cert_req_id: 0 }])
    );
    let prep = decode("pollrep.der");
    assert_eq!(prep.body.type_name(), "POLLREP");
    let PkiBody::PollRep(p) = &prep.body else {
        panic!()
    };
    assert_eq!(
        (p[0].cert_req_id, p[0].check_after),
        (0, 0),
        "-check_after 0"
    );
    assert_pair(&preq, &prep);
    let ip = decode("poll_ip.der");
    assert_eq!(
        ip.body.cert_rep_message().unwrap().response[0]
            .status
            .status,
        PkiStatus::ACCEPTED
    );

    // 3.5 delays rr too: "waiting" comes as an error message, and the poll uses certReqId -1.
    let e = decode("v3_poll_error_waiting.der");
    let PkiBody::Error(c) = &e.body else {
        panic!("not error")
    };
    assert_eq!(c.pki_status_info.status, PkiStatus::WAITING);
    assert_eq!(
        decode("v3_pollreq.der").body,
        PkiBody::PollReq(vec![PollReq { cert_req_id: -1 }])
    );
    assert_eq!(decode("v3_poll_rp.der").body.type_name(), "RP");
}

#[test]
fn openssl_35_certconf_has_pvno_3_and_hash_alg_for_ed25519_cert() {
    let ip = decode("v3_ip.der");
    let cert = ip.body.cert_rep_message().unwrap().response[0]
        .certificate()
        .unwrap()
        .clone();
    assert_eq!(
        cert.signature_algorithm().oid.to_string(),
        "1.3.101.112",
        "Ed25519-signed"
    );
    let cc = decode("v3_certconf.der");
    assert_eq!(cc.header.pvno, PVNO_CMP2021);
    let PkiBody::CertConf(s) = &cc.body else {
        panic!()
    };
    assert_eq!(s[0].hash_alg.as_ref().unwrap().oid, oid::SHA512);
    assert_eq!(
        s[0].status_info.as_ref().unwrap().status,
        PkiStatus::ACCEPTED
    );
    let cert_der = der::Encode::to_der(&cert).unwrap();
    assert_eq!(
        s[0].cert_hash.as_bytes(),
        sha(&aws_lc_rs::digest::SHA512, &cert_der)
    );
    assert_eq!(
        decode("v3_ir.der").header.pvno,
        PVNO_CMP2000,
        "the request itself stays pvno 2"
    );
}

#[test]
fn protected_part_is_the_der_prefix_of_the_message() {
    // ProtectedPart's content is exactly header || body as they appear in the message.
    let der = golden("ir.der");
    let m = decode("ir.der");
    let pp = m.protected_part_der().unwrap();
    let h = der::Encode::to_der(&m.header).unwrap();
    let b = der::Encode::to_der(&m.body).unwrap();
    assert_eq!(
        &pp[pp.len() - h.len() - b.len()..],
        [h.as_slice(), b.as_slice()].concat()
    );
    let start = 4; // the message's own SEQUENCE header is 30 82 LL LL
    assert_eq!(
        &der[start..start + h.len() + b.len()],
        &pp[pp.len() - h.len() - b.len()..]
    );
}

#[test]
fn proof_of_possession_variants() {
    let popo = |name: &str| {
        decode(name).body.cert_req_messages().unwrap()[0]
            .popo
            .clone()
    };
    assert_eq!(
        popo("popo_raverified_cr.der"),
        Some(ProofOfPossession::RaVerified(der::asn1::Null))
    );
    assert_eq!(
        popo("popo_keyenc_cr.der"),
        Some(ProofOfPossession::KeyEncipherment(
            PopoPrivKey::SubsequentMessage(0)
        ))
    );
    assert_eq!(popo("popo_none_cr.der"), None);
    assert_eq!(popo("cr.der").map(|p| p.method()), Some(1));
    let cp = decode("popo_keyenc_cp.der");
    let st = &cp.body.cert_rep_message().unwrap().response[0].status;
    assert_eq!(failure_names(st.fail_bits()), ["badPOP"]);
    let cp = decode("popo_raverified_cp.der");
    assert_eq!(
        cp.body.cert_rep_message().unwrap().response[0]
            .status
            .status,
        PkiStatus::ACCEPTED
    );
}

fn nest(inner: PkiMessage, levels: usize) -> PkiMessage {
    let mut m = inner;
    for _ in 0..levels {
        let header = m.header.clone();
        m = PkiMessage {
            header,
            body: PkiBody::Nested(vec![m]),
            protection: None,
            extra_certs: None,
        };
    }
    m
}

#[test]
fn nested_messages_round_trip_and_depth_is_bounded() {
    let ir = decode("ir.der");
    for levels in 1..=MAX_NESTING {
        let der = nest(ir.clone(), levels).to_der_vec().unwrap();
        let back = PkiMessage::from_der_bounded(&der, "nested").unwrap();
        assert_eq!(back.nesting_depth(), levels);
        assert_eq!(back.body.type_name(), "NESTED");
        assert_eq!(back.to_der_vec().unwrap(), der);
    }
    let der = nest(ir, MAX_NESTING + 1).to_der_vec().unwrap();
    let e = PkiMessage::from_der_bounded(&der, "deep.der")
        .unwrap_err()
        .to_string();
    assert!(e.contains("deep.der") && e.contains("nests"), "{e}");
}

#[test]
fn oversized_and_malformed_input_is_an_error() {
    let big = vec![0u8; MAX_MESSAGE_SIZE + 1];
    let e = PkiMessage::from_der_bounded(&big, "big.der")
        .unwrap_err()
        .to_string();
    assert!(e.contains("too large"), "{e}");
    let der = golden("ir.der");
    assert!(PkiMessage::from_der_bounded(&der[..der.len() - 1], "cut").is_err());
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(PkiMessage::from_der_bounded(&trailing, "trailing").is_err());
    // A body tag outside [0]..[26] is not a PKIBody.
    let mut m = decode("pkiconf.der");
    m.body = PkiBody::pkiconf();
    let mut bytes = m.to_der_vec().unwrap();
    let pos = bytes
        .windows(4)
        .position(|w| w == [0xb3, 0x02, 0x05, 0x00])
        .unwrap();
    bytes[pos] = 0xbb; // [27]
    assert!(PkiMessage::from_der_bounded(&bytes, "bad body").is_err());
}

#[test]
fn bodies_kept_raw_round_trip() {
    let base = decode("genm.der");
    let any = der::Any::encode_from(&vec![der::asn1::Null]).unwrap();
    for body in [
        PkiBody::Popdecc(any.clone()),
        PkiBody::Popdecr(any.clone()),
        PkiBody::Krp(any.clone()),
        PkiBody::Ckuann(any.clone()),
        PkiBody::Cann(any.clone()),
        PkiBody::Rann(any.clone()),
        PkiBody::Crlann(any.clone()),
        PkiBody::Krr(decode("ir.der").body.cert_req_messages().unwrap().clone()),
        PkiBody::Ccr(decode("ir.der").body.cert_req_messages().unwrap().clone()),
        PkiBody::Ccp(decode("ip.der").body.cert_rep_message().unwrap().clone()),
    ] {
        let name = body.type_name();
        let m = PkiMessage {
            body,
            ..base.clone()
        };
        let der = m.to_der_vec().unwrap();
        let back = PkiMessage::from_der_bounded(&der, name).unwrap();
        assert_eq!(back, m, "{name}");
        assert_eq!(body_type_name(back.body.type_number()), Some(name));
    }
}

#[test]
fn body_names_are_openssls() {
    // As logged by OpenSSL ("sending IR", "received PKICONF", "sending CERTCONF", "received GENP").
    for (file, want) in [
        ("ir.der", "IR"),
        ("ip.der", "IP"),
        ("certconf.der", "CERTCONF"),
        ("pkiconf.der", "PKICONF"),
    ] {
        assert_eq!(decode(file).body.type_name(), want);
    }
    assert_eq!(BODY_TYPE_NAMES.len(), 27);
    assert_eq!(body_type_name(26), Some("POLLREP"));
    assert_eq!(body_type_name(27), None);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Corrupted messages never panic: they decode (and then re-encode) or give an error.
        #[test]
        fn mutated_messages_do_not_panic(
            file in prop::sample::select(vec!["ir.der", "ip.der", "rr.der", "error.der", "v3_certconf.der", "genp.der"]),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut der = golden(file);
            for (i, b) in edits {
                let at = i.index(der.len());
                der[at] = b;
            }
            if let Ok(m) = PkiMessage::from_der_bounded(&der, file) {
                let _ = m.to_der_vec();
            }
        }
    }
}

/// Runs the real OpenSSL client on a crafted, PBM-protected (secret "test") ip and returns its stderr.
fn openssl_client_on_ip(dir: &std::path::Path, ip: &PkiMessage) -> String {
    let bin = std::env::var("OPENSSL").unwrap_or_else(|_| "openssl".into());
    let mut ip = ip.clone();
    crate::protect::pbm_protect_message(&mut ip, b"test").unwrap();
    std::fs::write(dir.join("ip.der"), ip.to_der_vec().unwrap()).unwrap();
    if !dir.join("k.pem").exists() {
        let ok = std::process::Command::new(&bin)
            .args([
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "k.pem",
            ])
            .current_dir(dir)
            .status()
            .unwrap_or_else(|e| panic!("this test needs the real `{bin}`: {e}"));
        assert!(ok.success());
    }
    let out = std::process::Command::new(&bin)
        .args([
            "cmp",
            "-config",
            "",
            "-cmd",
            "ir",
            "-ref",
            "1234",
            "-secret",
            "pass:test",
        ])
        .args([
            "-recipient",
            "/CN=Root CA",
            "-newkey",
            "k.pem",
            "-subject",
            "/CN=x",
            "-certout",
            "x.pem",
        ])
        .args(["-rspin", "ip.der"])
        .current_dir(dir)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn status_text_of_every_status_matches_live_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let base = decode("pbm_ip.der");
    // waiting (3) is left out: OpenSSL starts polling instead of printing the status. 7 is no status:
    // OpenSSL reports "error parsing pkistatus:PKIStatus: invalid=7".
    for status in [1, 2, 4, 5, 6, 7] {
        for (bits, texts) in [
            (0u32, vec![]),
            (1 << 9 | 1 << 23, vec!["one".to_string(), "two".to_string()]),
        ] {
            let mut ip = base.clone();
            let PkiBody::Ip(rep) = &mut ip.body else {
                panic!()
            };
            let r = &mut rep.response[0];
            r.certified_key_pair = None;
            r.status = PkiStatusInfo::new(PkiStatus(status), bits, None);
            r.status.status_string = (!texts.is_empty()).then(|| texts.clone());
            let text = r.status.to_text();
            let log = openssl_client_on_ip(dir.path(), &ip);
            // e.g. "request rejected by server:<text>; cannot extract certificate from response" or the
            // final warning "received <text>"
            let found = log.lines().any(|l| {
                l.ends_with(&format!("received {text}"))
                    || l.contains(&format!(":{text}; cannot extract"))
                    || l.ends_with(&format!("error parsing pkistatus:{text}"))
            });
            assert!(
                found,
                "status {status}: `{text}` not in OpenSSL's output:\n{log}"
            );
        }
    }
}

/// The single ITAV of a genm/genp body.
fn only_itav(m: &PkiMessage) -> &InfoTypeAndValue {
    match &m.body {
        PkiBody::Genm(v) | PkiBody::Genp(v) => {
            assert_eq!(v.len(), 1, "one ITAV expected");
            &v[0]
        }
        other => panic!("not genm/genp: {}", other.type_name()),
    }
}

/// The CERTIFICATE blocks of a PEM file (the Mock's *With*.pem files also hold a private key).
fn pem_certs(path: &str) -> Vec<x509_cert::Certificate> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut certs = Vec::new();
    for part in text.split("-----BEGIN CERTIFICATE-----").skip(1) {
        let end = part.find("-----END CERTIFICATE-----").unwrap();
        let block = format!(
            "-----BEGIN CERTIFICATE-----{}-----END CERTIFICATE-----\n",
            &part[..end]
        );
        certs.push(x509_cert::Certificate::from_pem(block.as_bytes()).unwrap());
    }
    certs
}

/// A file of OpenSSL's CMP test PKI as of 3.5 (corpus latest).
fn mock35(name: &str) -> String {
    common::corpus_mock_dir("latest")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn root_ca_cert_and_key_update() {
    let genm = decode("rootcacert_genm.der");
    let itav = only_itav(&genm);
    assert_eq!(itav.info_type, oid::IT_ROOT_CA_CERT);
    let old: RootCaCertValue = itav.value_as().unwrap().unwrap();
    assert_eq!(
        *old,
        pem_certs(&mock35("oldWithOld.pem"))[0],
        "-oldwithold oldWithOld.pem"
    );
    let genp = decode("rootcacert_genp.der");
    let itav = only_itav(&genp);
    assert_eq!(itav.type_name(), "id-it-rootCaKeyUpdate");
    let upd: RootCaKeyUpdateContent = itav.value_as().unwrap().unwrap();
    assert_eq!(*upd.new_with_new, pem_certs(&mock35("newWithNew.pem"))[0]);
    assert_eq!(
        *upd.new_with_old.unwrap(),
        pem_certs(&mock35("newWithOld.pem"))[0]
    );
    assert_eq!(
        *upd.old_with_new.unwrap(),
        pem_certs(&mock35("oldWithNew.pem"))[0]
    );
}

#[test]
fn crl_status_list_and_crls() {
    let genm = decode("crlstatus_genm.der");
    let itav = only_itav(&genm);
    assert_eq!(itav.info_type, oid::IT_CRL_STATUS_LIST);
    let list: CrlStatusListValue = itav.value_as().unwrap().unwrap();
    assert_eq!(list.len(), 1);
    assert!(matches!(
        list[0].source,
        CrlSource::Dpn(_) | CrlSource::Issuer(_)
    ));
    let genp = decode("crlstatus_genp.der");
    let itav = only_itav(&genp);
    assert_eq!(itav.type_name(), "id-it-crls");
    let crls: CrlsValue = itav.value_as().unwrap().unwrap();
    let pem = std::fs::read_to_string(mock35("newcrl.pem")).unwrap();
    let (_, want) = der::pem::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(
        der::Encode::to_der(&crls[0]).unwrap(),
        want,
        "the mock's -rsp_crl newcrl.pem"
    );
}

#[test]
fn cert_req_template() {
    let genm = decode("template_genm.der");
    assert_eq!(only_itav(&genm).info_type, oid::IT_CERT_REQ_TEMPLATE);
    assert!(only_itav(&genm).info_value.is_none());
    let genp = decode("template_genp.der");
    let t: CertReqTemplateContent = only_itav(&genp).value_as().unwrap().unwrap();
    assert!(t.cert_template.issuer.is_some());
    let spec = t.key_spec.unwrap();
    // OpenSSL printed "Key algorithm: id-ecPublicKey" and "Key algorithm: RSA 4096".
    assert_eq!(spec[0].attr_type, oid::REG_CTRL_ALG_ID);
    let alg: spki::AlgorithmIdentifierOwned = spec[0].value.decode_as().unwrap();
    assert_eq!(alg.oid.to_string(), "1.2.840.10045.2.1");
    assert_eq!(spec[1].attr_type, oid::REG_CTRL_RSA_KEY_LEN);
    assert_eq!(spec[1].value.decode_as::<i64>().unwrap(), 4096);
}

#[test]
fn general_info_profile_and_geninfo() {
    let cr = decode("profile_cr.der");
    let gi = cr.header.general_info.as_ref().unwrap();
    // -geninfo "1.2.3.4:int:56789,1.2.3.5:str:golden", then -profile profile1
    assert_eq!(gi[0].info_type.to_string(), "1.2.3.4");
    assert_eq!(
        gi[0]
            .info_value
            .as_ref()
            .unwrap()
            .decode_as::<i64>()
            .unwrap(),
        56789
    );
    assert_eq!(
        gi[1]
            .info_value
            .as_ref()
            .unwrap()
            .decode_as::<String>()
            .unwrap(),
        "golden"
    );
    let profile = cr.header.general_info_of(&oid::IT_CERT_PROFILE).unwrap();
    assert_eq!(cert_profile_names(profile).unwrap(), ["profile1"]);
    assert!(!cr.header.implicit_confirm());
}

#[test]
fn central_key_generation_keeps_the_enveloped_key() {
    let ir = decode("ckg_ir.der");
    let t = &ir.body.cert_req_messages().unwrap()[0]
        .cert_req
        .cert_template;
    // -centralkeygen without -newkey: no public key in the template (OpenSSL leaves it out)
    let ip = decode("ckg_ip.der");
    let r = &ip.body.cert_rep_message().unwrap().response[0];
    let ckp = r.certified_key_pair.as_ref().unwrap();
    assert!(r.certificate().is_some());
    let key = ckp.private_key.as_ref().expect("privateKey [0]");
    // EncryptedKey's envelopedData [0] is IMPLICIT (CRMF module, RFC 9045): [0] replaces the SEQUENCE tag.
    assert_eq!(
        key.tag(),
        der::Tag::ContextSpecific {
            constructed: true,
            number: der::TagNumber(0)
        }
    );
    let EncryptedKey::EnvelopedData(env) = EncryptedKey::from_any(key).unwrap() else {
        panic!("not envelopedData")
    };
    // EnvelopedData ::= SEQUENCE { version CMSVersion, ... }: re-tagged as a SEQUENCE it parses, version 0
    let seq = der::Any::from_der(&env).unwrap();
    assert_eq!(seq.tag(), der::Tag::Sequence);
    assert_eq!(seq.value(), key.value());
    assert_eq!(&seq.value()[..3], [0x02, 0x01, 0x00]);
    // -centralkeygen: the template names a key type (here RSA) with an empty key
    // (RFC 9483 section 4.1.6), and there is no POPO to give
    let pk = t.public_key.as_ref().expect("publicKey");
    assert_eq!(pk.algorithm.oid.to_string(), "1.2.840.113549.1.1.1");
    assert!(pk.subject_public_key.raw_bytes().is_empty());
    assert!(ir.body.cert_req_messages().unwrap()[0].popo.is_none());
}
