//! The library API (`rcmp::api`) against the in-process mock CA.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcmp::api::{
    CertRequest, Certificate, Client, ErrorKind, Exchange, GenmAnswer, GenmQuery, HttpTransport,
    InfoItem, KeyAlgorithm, MessageFiles, MockServer, MockServerBuilder, Name, PkiStatus, Popo,
    PrivateKey, Progress, PublicKey, Request, RequestKind, Transport,
};

fn fixture(name: &str) -> String {
    format!("{}/fixtures/verify/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A mock issuing with the fixtures' intermediate CA, accepting PBM under ref/secret.
fn mock() -> MockServerBuilder {
    let cert = Certificate::load(fixture("int.pem")).unwrap().remove(0);
    let key = PrivateKey::load(fixture("int.key.pem"), None).unwrap();
    MockServer::builder()
        .srv_cert(&cert, &key)
        .unwrap()
        .srv_secret(b"ref", b"secret")
}

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .server(mock.address())
        .pbm(b"ref", b"secret")
        .build()
        .unwrap()
}

fn request(cn: &str) -> (PrivateKey, CertRequest) {
    let key = PrivateKey::generate(KeyAlgorithm::EcP256).unwrap();
    let req = CertRequest::new()
        .subject(format!("/CN={cn}"))
        .key(key.clone());
    (key, req)
}

#[test]
fn ir_kur_rr_over_http() {
    let mock = mock().start().unwrap();
    let mut c = client(&mock);
    let (key, req) = request("api-ir");
    let e = c.ir(&req).unwrap();
    assert_eq!(e.cert.subject(), "/CN=api-ir");
    assert_eq!(e.cert.issuer(), "/CN=int");
    assert_eq!(e.status.status, PkiStatus::Accepted);
    assert!(key.matches(&e.cert));

    let new_key = PrivateKey::generate(KeyAlgorithm::EcP256).unwrap();
    let k = c
        .kur(
            &CertRequest::new()
                .old_cert(e.cert.clone())
                .key(new_key.clone()),
        )
        .unwrap();
    assert_eq!(k.cert.subject(), "/CN=api-ir");
    assert!(new_key.matches(&k.cert));
    assert_ne!(k.cert.serial(), e.cert.serial());

    let r = c.rr(&k.cert, Some(1)).unwrap();
    assert_eq!(r.status.status, PkiStatus::Accepted);
}

#[test]
fn pbmac1_and_genm() {
    let mock = mock().start().unwrap();
    let mut c = Client::builder()
        .server(format!("http://{}/pkix/", mock.address()))
        .pbmac1(b"ref", b"secret")
        .build()
        .unwrap();
    let (_, req) = request("api-pbmac1");
    assert_eq!(c.cr(&req).unwrap().cert.subject(), "/CN=api-pbmac1");
    // An empty genm is answered with a genp.
    assert!(c.genm(&[]).is_ok());
}

#[test]
fn rejection_carries_status_fail_info_and_text() {
    let mock = mock()
        .pkistatus(PkiStatus::Rejection)
        .failure_bits(1 << 2) // badRequest
        .status_string("not today")
        .start()
        .unwrap();
    let (_, req) = request("api-rejected");
    let err = client(&mock).ir(&req).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
    let st = err.status().expect("status");
    assert_eq!(st.status, PkiStatus::Rejection);
    assert!(st.has_failure(2));
    assert_eq!(st.texts, vec!["not today".to_string()]);
    assert!(err.to_string().contains("not today"), "{err}");
}

#[test]
fn caller_drives_polling_of_the_certificate_response() {
    // The 3.5 mock delays the certConf answer too; that one is polled within the last step, so
    // checkAfter stays short here.
    let mock = mock().poll_count(2).check_after(1).start().unwrap();
    let mut c = client(&mock);
    let (_, req) = request("api-poll");
    let mut txn = c.start_certreq(RequestKind::Ir, &req).unwrap();
    let mut pending = Vec::new();
    let e = loop {
        match txn.step().unwrap() {
            // The server's checkAfter is handed back instead of being slept.
            Progress::Pending(d) => pending.push(d),
            Progress::Done(e) => break e,
        }
    };
    assert_eq!(pending, vec![Duration::from_secs(1)]);
    assert_eq!(e.cert.subject(), "/CN=api-poll");
    assert!(
        txn.step().is_err(),
        "a finished transaction takes no more steps"
    );
}

/// A transport that records the requests it forwards.
struct Recorder<T> {
    inner: T,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl<T: Transport> Transport for Recorder<T> {
    fn exchange(&mut self, req: &[u8], ex: &Exchange) -> rcmp::api::Result<Vec<u8>> {
        self.sent.lock().unwrap().push(req.to_vec());
        self.inner.exchange(req, ex)
    }
}

#[test]
fn abort_tells_the_server() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mock = mock().poll_count(3).check_after(5).start().unwrap();
    let mut c = Client::builder()
        .transport(Recorder {
            inner: mock.transport(),
            sent: sent.clone(),
        })
        .pbm(b"ref", b"secret")
        .build()
        .unwrap();
    let (_, req) = request("api-abort");
    let mut txn = c.start_certreq(RequestKind::Cr, &req).unwrap();
    assert!(matches!(txn.step().unwrap(), Progress::Pending(_)));
    let _ = txn.abort(); // the mock may answer with an error of its own
    let sent = sent.lock().unwrap();
    // cr, pollReq, then the error message telling the server.
    assert_eq!(sent.len(), 3);
    assert!(contains(&sent[2], b"polling aborted"));
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn transport_errors_are_typed_and_mock_stops_on_drop() {
    let mock = mock().start().unwrap();
    let addr = mock.address();
    drop(mock);
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "still listening"
    );
    let mut c = Client::builder()
        .server(addr)
        .pbm(b"ref", b"secret")
        .build()
        .unwrap();
    let (_, req) = request("api-nobody");
    let err = c.ir(&req).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(err.status().is_none());
}

#[test]
fn configuration_errors_send_nothing() {
    let err = Client::builder()
        .server("127.0.0.1:1")
        .build()
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Client::builder().pbm(b"r", b"s").build().err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Config);
    let mut c = Client::builder()
        .transport(|_: &[u8]| -> rcmp::api::Result<Vec<u8>> { panic!("nothing may be sent") })
        .pbm(b"r", b"s")
        .build()
        .unwrap();
    let err = c.ir(&CertRequest::new().subject("/CN=x")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = c.ir(&CertRequest::new().subject("no-slash")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn log_lines_go_to_the_sink() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = lines.clone();
    rcmp::api::set_log_sink(move |r| l.lock().unwrap().push(r.message.to_string()));
    let mock = mock().start().unwrap();
    let mut c = Client::builder()
        .transport(mock.transport())
        .pbm(b"ref", b"secret")
        .build()
        .unwrap();
    let (_, req) = request("api-log");
    c.ir(&req).unwrap();
    rcmp::api::clear_log_sink();
    let lines = lines.lock().unwrap();
    assert!(lines.iter().any(|l| l == "sending IR"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "received IP"), "{lines:?}");
}

#[test]
fn outcomes_carry_extra_certs_and_server_cert() {
    let mock = mock().start().unwrap();
    let mut c = client(&mock);
    let (_, req) = request("api-outcome");
    let e = c.ir(&req).unwrap();
    // Responses under PBM are not validated with a server certificate.
    assert!(e.srv_cert.is_none());
    assert!(
        e.new_key.is_none(),
        "no central key generation was asked for"
    );
    let r = c.rr(&e.cert, None).unwrap();
    assert_eq!(r.status.status, PkiStatus::Accepted);
    assert!(r.srv_cert.is_none());
    let g = c.genm_response(&[]).unwrap();
    assert!(g.cert.is_none() && g.chain.is_empty());
    assert!(g.srv_cert.is_none());
}

#[test]
fn request_header_settings_reach_the_wire() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mock = mock().start().unwrap();
    let extra = Certificate::load(fixture("root.pem")).unwrap().remove(0);
    // An item under a private-enterprise OID, its value a DER NULL.
    let item = InfoItem {
        info_type: "1.3.6.1.4.1.99999.1".into(),
        value: Some(vec![0x05, 0x00]),
    };
    let mut c = Client::builder()
        .transport(Recorder {
            inner: mock.transport(),
            sent: sent.clone(),
        })
        .pbm(b"ref", b"secret")
        .extracerts(vec![extra.clone()])
        .general_info(std::slice::from_ref(&item))
        .unwrap()
        .ignore_keyusage(true)
        .no_cache_extracerts(true)
        .ta_in_ip_extracerts(false)
        .build()
        .unwrap();
    let (_, req) = request("api-header");
    c.cr(&req).unwrap();
    let sent = sent.lock().unwrap();
    assert!(contains(&sent[0], extra.der()), "extraCerts not sent");
    // The DER of 1.3.6.1.4.1.99999.1 (99999 in base 128 is 86 8d 1f).
    let oid = [
        0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01,
    ];
    assert!(contains(&sent[0], &oid), "generalInfo not sent");
    let bad = InfoItem {
        info_type: "not an oid".into(),
        value: None,
    };
    let err = Client::builder().general_info(&[bad]).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn keys_are_written_encrypted_and_read_back() {
    let key = PrivateKey::generate(KeyAlgorithm::EcP256).unwrap();
    let pem = key.to_encrypted_pkcs8_pem(b"pw").unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let back = PrivateKey::from_bytes(pem.as_bytes(), Some("pw")).unwrap();
    assert_eq!(
        back.to_pkcs8_der().unwrap().as_slice(),
        key.to_pkcs8_der().unwrap().as_slice()
    );
    assert!(PrivateKey::from_bytes(pem.as_bytes(), Some("wrong")).is_err());
}

#[test]
fn protection_set_piece_by_piece() {
    let mock = mock().start().unwrap();
    let mut c = Client::builder()
        .transport(mock.transport())
        .reference(b"ref")
        .secret(b"secret")
        .digest("sha256")
        .unwrap()
        .mac_algorithm("hmac-sha1")
        .unwrap()
        .mac_params(false, None, Some(16))
        .build()
        .unwrap();
    let (_, req) = request("api-pieces");
    assert_eq!(c.ir(&req).unwrap().cert.subject(), "/CN=api-pieces");

    // A key that does not match the certificate is reported at the first request.
    let cert = Certificate::load(fixture("leaf.pem")).unwrap().remove(0);
    let other = PrivateKey::load(fixture("leaf2.key.pem"), None).unwrap();
    let mut c = Client::builder()
        .transport(mock.transport())
        .client_cert(cert, Vec::new())
        .client_key(other)
        .build()
        .unwrap();
    let err = c.ir(&req).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(err.to_string().contains("key values mismatch"), "{err}");

    assert!(Client::builder().digest("no-such-digest").is_err());
    assert!(Client::builder().mac_algorithm("no-such-mac").is_err());
}

#[test]
fn verification_options_by_name() {
    use rcmp::api::VerifyOptions;
    let opts = VerifyOptions::new()
        .set("partial_chain", None)
        .unwrap()
        .set("verify_depth", Some("3"))
        .unwrap();
    assert_eq!(
        VerifyOptions::new()
            .set("no_such_option", None)
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
    assert!(VerifyOptions::new().set("attime", Some("soon")).is_err());
    // Anchors with options: the MAC-protected exchange still works, and the new certificate is
    // validated against the issuing CA's chain (partial chain: the intermediate is an anchor).
    let int = Certificate::load(fixture("int.pem")).unwrap().remove(0);
    let mock = mock().start().unwrap();
    let mut c = Client::builder()
        .transport(mock.transport())
        .pbm(b"ref", b"secret")
        .trusted_with(vec![int.clone()], &opts)
        .out_trusted_with(vec![int], &opts)
        .build()
        .unwrap();
    let (_, req) = request("api-vfy");
    let e = c.ir(&req).unwrap();
    assert_eq!(e.cert.issuer(), "/CN=int");
}

#[test]
fn ca_certs_are_asked_for_and_decoded() {
    let root = Certificate::load(fixture("root.pem")).unwrap().remove(0);
    let int = Certificate::load(fixture("int.pem")).unwrap().remove(0);
    let with_capubs = mock()
        .rsp_capubs(&[int.clone(), root.clone()])
        .start()
        .unwrap();
    let got = client(&with_capubs).ca_certs().unwrap();
    assert_eq!(got, vec![int, root]);
    // A server with nothing to offer answers with an empty item.
    let bare = mock().start().unwrap();
    assert!(client(&bare).ca_certs().unwrap().is_empty());
}

/// The DER SubjectPublicKeyInfo of a certificate.
fn spki_of(cert: &Certificate) -> Vec<u8> {
    use der::{Decode, Encode};
    let c = x509_cert::Certificate::from_der(cert.der()).unwrap();
    c.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap()
}

#[test]
fn execute_sends_all_request_contents() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mock = mock().start().unwrap();
    let mut c = Client::builder()
        .transport(Recorder {
            inner: mock.transport(),
            sent: sent.clone(),
        })
        .pbm(b"ref", b"secret")
        .build()
        .unwrap();
    // An IP address SAN (GeneralName [7] with 4 octets) besides a DNS name.
    let ip_san = vec![0x87, 0x04, 192, 0, 2, 1];
    // A private extension whose value is a DER NULL.
    let (_, req) = request("api-execute");
    let req = req
        .days(10)
        .dns_names(vec!["www.example.com".into()])
        .san_der(ip_san.clone())
        .extension("1.3.6.1.4.1.99999.7", false, vec![0x05, 0x00])
        .policy_oids(vec!["1.3.6.1.4.1.99999.9".into()]);
    let r = c.execute(&Request::Cert(RequestKind::Cr, req)).unwrap();
    assert_eq!(r.cert.as_ref().unwrap().subject(), "/CN=api-execute");
    assert_eq!(r.status.as_ref().unwrap().status, PkiStatus::Accepted);
    let first = sent.lock().unwrap()[0].clone();
    assert!(contains(&first, b"www.example.com"), "DNS SAN not sent");
    assert!(contains(&first, &ip_san), "IP SAN not sent");
    // 1.3.6.1.4.1.99999.7 and .9 as DER OID contents.
    let oid = |last: u8| [0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, last];
    assert!(contains(&first, &oid(7)), "extension not sent");
    assert!(contains(&first, &oid(9)), "policy not sent");

    // Revocation by issuer and serial number, with a reason.
    let cert = r.cert.unwrap();
    let rr = CertRequest::new()
        .issuer(cert.issuer())
        .serial(cert.serial().to_vec())
        .revocation_reason(1);
    let r = c.execute(&Request::Revoke(rr)).unwrap();
    assert_eq!(r.status.unwrap().status, PkiStatus::Accepted);
}

#[test]
fn execute_enrolls_a_public_key_without_proof_of_possession() {
    let mock = mock().accept_raverified(true).start().unwrap();
    let mut c = client(&mock);
    let (key, req) = request("api-pubkey");
    let first = c.ir(&req).unwrap().cert;
    // Only the public key of the first certificate, vouched for by the RA.
    let req = CertRequest::new()
        .subject("/CN=api-pubkey2")
        .public_key(PublicKey::from_der(&spki_of(&first)).unwrap())
        .popo(Popo::RaVerified);
    let r = c.execute(&Request::Cert(RequestKind::Cr, req)).unwrap();
    let cert = r.cert.unwrap();
    assert_eq!(cert.subject(), "/CN=api-pubkey2");
    assert!(key.matches(&cert));
    assert!(PublicKey::from_der(b"not a key").is_err());
}

#[test]
fn reqout_only_saves_the_first_request_and_sends_nothing() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mock = mock().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ir.der");
    let mut files = MessageFiles::default();
    files.reqout_only = Some(path.clone());
    let mut c = Client::builder()
        .transport(Recorder {
            inner: mock.transport(),
            sent: sent.clone(),
        })
        .pbm(b"ref", b"secret")
        .message_files(files)
        .build()
        .unwrap();
    let (_, req) = request("api-reqout");
    let r = c.execute(&Request::Cert(RequestKind::Ir, req)).unwrap();
    assert!(r.cert.is_none() && r.status.is_none());
    assert!(sent.lock().unwrap().is_empty(), "a request was sent");
    let saved = std::fs::read(&path).unwrap();
    assert!(contains(&saved, b"api-reqout"), "the ir was not saved");
}

#[test]
fn genm_answers_come_back_typed() {
    let root = Certificate::load(fixture("root.pem")).unwrap().remove(0);
    let mock = mock()
        .rsp_capubs(std::slice::from_ref(&root))
        .start()
        .unwrap();
    let mut c = client(&mock);
    let item = GenmQuery::CaCerts.item().unwrap();
    assert_eq!(item.info_type, "1.3.6.1.5.5.7.4.17");
    let r = c
        .execute(&Request::Genm(vec![item], CertRequest::new()))
        .unwrap();
    match c.genm_answer(&GenmQuery::CaCerts, &r.items).unwrap() {
        GenmAnswer::CaCerts(certs) => assert_eq!(certs, vec![root]),
        other => panic!("not caCerts: {other:?}"),
    }
    // A genp without the item asked for is an error, not an empty answer.
    let err = c
        .genm_answer(&GenmQuery::CertReqTemplate, &r.items)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    let ask = GenmQuery::RootCaCert(None).item().unwrap();
    assert_eq!(ask.info_type, "1.3.6.1.5.5.7.4.20");
}

#[test]
fn missing_protection_can_wait_for_the_first_request() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mock = mock().start().unwrap();
    let err = Client::builder()
        .transport(mock.transport())
        .build()
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Config);
    let mut c = Client::builder()
        .transport(Recorder {
            inner: mock.transport(),
            sent: sent.clone(),
        })
        .late_protection_check(true)
        .build()
        .unwrap();
    let (_, req) = request("api-late");
    let err = c.execute(&Request::Cert(RequestKind::Ir, req)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        sent.lock().unwrap().is_empty(),
        "an unprotected request was sent"
    );
}

fn creds_fixture(name: &str) -> String {
    format!("{}/fixtures/creds/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn loaders_use_the_pass_phrase_and_name_the_file_as_openssl_cmp_does() {
    use rcmp::api::LoadOptions;
    let file = creds_fixture("p256.pkcs8enc.pem");
    let opts = LoadOptions::new().description("private key for CMP client certificate");
    let e = PrivateKey::load_with(&file, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(
        e.reasons()[0],
        format!("cannot load private key for CMP client certificate from '{file}': the key is encrypted and no pass phrase was given")
    );
    let e = PrivateKey::load_with(&file, &opts.clone().passphrase(b"wrong")).unwrap_err();
    assert_eq!(
        e.reasons()[0],
        format!("cannot decrypt private key for CMP client certificate from '{file}': wrong pass phrase?")
    );
    let key = PrivateKey::load_with(&file, &opts.passphrase(b"12345")).unwrap();
    let cert = Certificate::load_first(&creds_fixture("p256.crt"), &LoadOptions::new()).unwrap();
    assert!(key.matches(&cert));
    // The pass phrase stays out of debug output.
    let shown = format!("{:?}", LoadOptions::new().passphrase(b"12345"));
    assert!(!shown.contains("12345"), "{shown}");
}

#[test]
fn certificate_lists_chains_and_crls_load_from_files() {
    use rcmp::api::{file_list, Crl, Csr, LoadOptions};
    let opts = LoadOptions::new().description("untrusted certificates");
    let list = format!("{}, {}", fixture("int.pem"), fixture("root.pem"));
    assert_eq!(file_list(&list).len(), 2);
    let certs = Certificate::load_list(&list, &opts).unwrap();
    let subjects: Vec<String> = certs.iter().map(Certificate::subject).collect();
    assert_eq!(subjects, ["/CN=int", "/CN=root"]);
    let e = Certificate::load_list(" ,", &opts).unwrap_err();
    assert_eq!(
        e.reasons()[0],
        "cannot load untrusted certificates: no file name given"
    );
    // A file with a certificate and a key: the certificate, no chain.
    let (cert, chain) =
        Certificate::load_with_chain(&creds_fixture("p256.combo.pem"), &opts).unwrap();
    assert!(chain.is_empty());
    assert_eq!(
        cert,
        Certificate::load(creds_fixture("p256.crt")).unwrap()[0]
    );
    let crls = Crl::load_list(&fixture("root_empty.crl"), &LoadOptions::new()).unwrap();
    assert_eq!(crls.len(), 1);
    let root = Certificate::load_first(&fixture("root.pem"), &opts).unwrap();
    assert!(crls[0].same_issuer_as(&root));
    let e = Csr::load_with(
        &fixture("leaf.pem"),
        &LoadOptions::new().description("PKCS#10 CSR"),
    )
    .unwrap_err();
    assert!(
        e.reasons()[0].starts_with(&format!(
            "cannot load PKCS#10 CSR from '{}'",
            fixture("leaf.pem")
        )),
        "{e}"
    );
}

#[test]
fn a_key_to_certify_may_be_a_public_key_but_not_a_certificate() {
    use rcmp::api::{KeyOrPublic, LoadOptions};
    let opts = LoadOptions::new().description("new private key for cert to be enrolled");
    let loaded = |name: &str| KeyOrPublic::load_with(&creds_fixture(name), &opts);
    assert!(matches!(
        loaded("p256.pkcs8.pem"),
        Ok(KeyOrPublic::Private(_))
    ));
    assert!(matches!(loaded("p256.pub.pem"), Ok(KeyOrPublic::Public(_))));
    assert!(matches!(loaded("p256.pub.der"), Ok(KeyOrPublic::Public(_))));
    let e = loaded("p256.crt").unwrap_err();
    assert!(
        e.reasons()[0].contains("no private or public key found"),
        "{e}"
    );
    // An encrypted key without its pass phrase is an error, not a public key.
    assert!(loaded("p256.pkcs8enc.pem").is_err());
}

#[test]
fn build_chain_validates_and_returns_the_chain_up_to_the_anchor() {
    use rcmp::api::{LoadOptions, VerifyOptions};
    let load = |name: &str| Certificate::load_first(&fixture(name), &LoadOptions::new()).unwrap();
    let (leaf, int, root) = (load("leaf.pem"), load("int.pem"), load("root.pem"));
    let chain = VerifyOptions::new()
        .build_chain(
            std::slice::from_ref(&root),
            &leaf,
            std::slice::from_ref(&int),
        )
        .unwrap();
    assert_eq!(chain, [leaf.clone(), int.clone(), root.clone()]);
    // Without the intermediate there is no chain.
    assert!(VerifyOptions::new()
        .build_chain(std::slice::from_ref(&root), &leaf, &[])
        .is_err());
    // With partial_chain the intermediate may be the anchor.
    let partial = VerifyOptions::new().set("partial_chain", None).unwrap();
    assert_eq!(
        partial
            .build_chain(std::slice::from_ref(&int), &leaf, &[])
            .unwrap(),
        [leaf, int]
    );
}

#[test]
fn check_time_is_attime_none_without_time_checks_or_now() {
    use rcmp::api::VerifyOptions;
    use std::time::{SystemTime, UNIX_EPOCH};
    let at = VerifyOptions::new().set("attime", Some("1000")).unwrap();
    assert_eq!(
        at.check_time(),
        Some(UNIX_EPOCH + Duration::from_secs(1000))
    );
    let none = VerifyOptions::new().set("no_check_time", None).unwrap();
    assert_eq!(none.check_time(), None);
    let now = VerifyOptions::new().check_time().unwrap();
    assert!(now > UNIX_EPOCH && now <= SystemTime::now());
}

#[test]
fn load_warnings_name_expired_and_non_ca_certificates() {
    use rcmp::api::LoadOptions;
    let file = fixture("leaf_expired.pem");
    let cert = Certificate::load_first(&file, &LoadOptions::new()).unwrap();
    let now = Some(std::time::SystemTime::now());
    let lines = cert.load_warnings(&file, now, false);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&file), "{lines:?}");
    assert!(cert.load_warnings(&file, None, false).is_empty());
    // As a CA certificate (e.g. in -trusted), an end-entity certificate is also named.
    let leaf = Certificate::load_first(&fixture("leaf.pem"), &LoadOptions::new()).unwrap();
    assert!(leaf
        .load_warnings(&fixture("leaf.pem"), now, false)
        .is_empty());
    assert_eq!(leaf.load_warnings(&fixture("leaf.pem"), now, true).len(), 1);
}

#[test]
fn mock_in_process_answers_without_a_listener() {
    let mut c = Client::builder()
        .transport(mock().in_process().unwrap())
        .pbm(b"ref", b"secret")
        .build()
        .unwrap();
    let (key, req) = request("api-in-process");
    let e = c.ir(&req).unwrap();
    assert_eq!(e.cert.subject(), "/CN=api-in-process");
    assert!(key.matches(&e.cert));
}

#[test]
fn names_parse_in_openssls_form_and_say_what_is_wrong() {
    let multi = Name::parse("/CN=a+O=b/C=DE", "subject").unwrap();
    assert!(!multi.to_der().unwrap().is_empty());
    assert_ne!(multi, Name::parse("/CN=a/O=b/C=DE", "subject").unwrap());
    let e = Name::parse("CN=a", "recipient").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(
        e.reasons()[0].starts_with("recipient name is expected to be in the format /type0=value0"),
        "{e}"
    );
}

#[test]
fn server_syntax_and_https_are_told_before_connecting() {
    assert!(!HttpTransport::server_uses_tls("ca.example:8080/pkix").unwrap());
    assert!(HttpTransport::server_uses_tls("https://ca.example").unwrap());
    let e = HttpTransport::server_uses_tls("ftp://ca.example").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}

/// The error of a builder step that must fail (the builder has no `Debug` for `unwrap_err`).
fn failure<T>(r: rcmp::api::Result<T>) -> rcmp::api::Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn mac_settings_are_checked_with_the_options_wording() {
    let legacy = failure(Client::builder().digest("md4"));
    assert_eq!(
        legacy.reasons()[0],
        "digest algorithm name not supported: 'md4'"
    );
    let low = failure(Client::builder().checked_mac_params(true, Some(5), None));
    assert_eq!(
        low.reasons()[0],
        "-pbm_iterations argument must be from 1000 to 1000000 for PBMAC1"
    );
    let pbm = Client::builder()
        .checked_mac_params(false, Some(500), Some(16))
        .unwrap();
    pbm.check_pbmac1().unwrap();
    let sha1 = Client::builder()
        .digest("sha1")
        .unwrap()
        .checked_mac_params(true, None, None)
        .unwrap();
    let e = sha1.check_pbmac1().unwrap_err();
    assert!(e.reasons()[0].contains("PBKDF2 PRF of PBMAC1"), "{e}");
}
