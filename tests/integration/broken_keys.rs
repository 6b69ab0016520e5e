//! RSA private keys whose numbers do not belong together, as a client's `-newkey`.
//!
//! rcmp loads RSA keys without AWS-LC's full consistency check (docs/PERFORMANCE.md); OpenSSL 3.x
//! does not check keys on load either. What each then does with such a key when it signs the proof
//! of possession is pinned here, against OpenSSL 3.0's mock server:
//! - wrong CRT values (dmp1): OpenSSL notices that its CRT result fails the check against the public
//!   key and signs again with d, so it enrolls; AWS-LC refuses to release the signature, so rcmp fails
//!   before sending anything, and says why (rcmp refuses more than OpenSSL, never less);
//! - a wrong private exponent d with right CRT values: d is not used, both enroll.

use crate::common;
use common::*;

use std::process::Command;

/// `new.key` of the mock's folder (PKCS#1 PEM) with number `index` (0 = n, ... 7 = iqmp) lowered
/// by 2, written as `name`.
fn write_changed_key(srv: &MockServer, index: usize, name: &str) {
    let pem = std::fs::read_to_string(srv.dir().join("new.key")).expect("read new.key");
    let (label, der) = der::pem::decode_vec(pem.as_bytes()).expect("PEM");
    assert_eq!(label, "RSA PRIVATE KEY");
    // lower by 2: the numbers are far above 2 and stay below their moduli
    let changed = rsa_key_with(&der, |v| {
        let mut sub = 2i16;
        for byte in v[index].iter_mut().rev() {
            let x = i16::from(*byte) - sub;
            *byte = x.rem_euclid(256) as u8;
            if x >= 0 {
                break;
            }
            sub = 1;
        }
    });
    let out = der::pem::encode_string("RSA PRIVATE KEY", der::pem::LineEnding::LF, &changed)
        .expect("PEM");
    std::fs::write(srv.dir().join(name), out).expect("write key");
}

/// A PBM ir with `-newkey key`, writing `-certout certout`.
fn ir(srv: &MockServer, cmd: Command, key: &str, certout: &str) -> Command {
    let mut cmd = pbm_ir_with_key(srv, cmd, "/CN=broken key", key);
    cmd.args(["-certout", certout]);
    cmd
}

fn openssl_cmp(v35: bool) -> Command {
    let mut c = if v35 { openssl35() } else { openssl() };
    c.arg("cmp");
    c
}

#[test]
fn client_with_wrong_crt_values_fails_where_openssl_signs_with_d() {
    let srv = MockServer::start_openssl("30", &[]);
    write_changed_key(&srv, 5, "bad_dmp1.key");
    for v35 in [false, true] {
        let out = run(&mut ir(
            &srv,
            openssl_cmp(v35),
            "bad_dmp1.key",
            "theirs.pem",
        ));
        assert!(out.status.success(), "OpenSSL enrolls:\n{}", srv.logs());
    }
    let mut cmd = ir(&srv, rcmp(), "bad_dmp1.key", "ours.pem");
    let out = run(&mut cmd);
    let what = describe(&cmd, &out);
    // like openssl cmp, rcmp reports CMP errors on stdout
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{what}");
    assert!(
        text.contains("CMP error: signing with sha256 failed: the RSA private key is inconsistent"),
        "{what}"
    );
    assert!(!text.contains("panicked"), "{what}");
    assert!(!srv.dir().join("ours.pem").exists(), "{what}");
}

#[test]
fn client_with_wrong_d_but_right_crt_values_enrolls_like_openssl() {
    let srv = MockServer::start_openssl("30", &[]);
    write_changed_key(&srv, 2, "bad_d.key");
    let out = run(&mut ir(&srv, openssl_cmp(false), "bad_d.key", "theirs.pem"));
    assert!(out.status.success(), "OpenSSL enrolls:\n{}", srv.logs());
    let mut cmd = ir(&srv, rcmp(), "bad_d.key", "ours.pem");
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", describe(&cmd, &out));
    assert!(srv.dir().join("ours.pem").is_file());
}
