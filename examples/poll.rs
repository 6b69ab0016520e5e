//! Drive a certificate request step by step while the server delays its answer (polling, RFC 9810
//! section 5.3.22): the library hands back the server's checkAfter, the caller decides how to
//! wait. The mock CA makes the client poll, asking to check again after one second, and then
//! delays its answer to certConf too (that last wait happens inside the final step, as in
//! OpenSSL). Run with `cargo run --example poll`.

mod common;

use std::time::Duration;

use rcmp::api::{CertRequest, Client, KeyAlgorithm, PrivateKey, Progress, RequestKind, Result};

fn main() -> Result<()> {
    let mock = common::mock()?.poll_count(2).check_after(1).start()?;
    let mut client = Client::builder()
        .server(mock.address())
        .pbm(b"ref", b"secret")
        .build()?;
    let key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let req = CertRequest::new().subject("/CN=poll-demo").key(key);

    let mut txn = client.start_certreq(RequestKind::Cr, &req)?;
    let mut steps = 0;
    let enrolled = loop {
        steps += 1;
        match txn.step()? {
            Progress::Pending(after) => {
                println!("step {steps}: pending, the server asks to check again after {after:?}");
                // A real caller would do other work or schedule a timer here.
                std::thread::sleep(after.min(Duration::from_secs(5)));
            }
            Progress::Done(e) => break e,
        }
    };
    println!(
        "step {steps}: done, got {} ({})",
        enrolled.cert.subject(),
        enrolled.status.summary
    );

    // Abort: a second request, given up after the first pending step; the server is told.
    let key = PrivateKey::generate(KeyAlgorithm::EcP256)?;
    let mut txn = client.start_certreq(RequestKind::Cr, &req.clone().key(key))?;
    if let Progress::Pending(_) = txn.step()? {
        // The server is told; it may confirm or answer with an error of its own.
        match txn.abort() {
            Ok(()) => println!("second request: pending, aborted; the server confirmed"),
            Err(e) => println!("second request: pending, aborted; the server answered: {e}"),
        }
    }
    Ok(())
}
