//! Golden tests: CMP messages captured from real OpenSSL runs (see fixtures/golden/capture.sh for the
//! exact commands) decode into our types with the expected contents and re-encode byte for byte.

use std::path::PathBuf;

use rcmp::asn1::*;

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
