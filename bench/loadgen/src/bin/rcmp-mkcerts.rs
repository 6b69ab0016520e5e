//! Makes many distinct, properly signed self-signed certificates fast, for the trust-store scaling runs
//! of `bench/run`: a template certificate made by `openssl req -x509` with the subject
//! `CN=bench trust 0000000` is re-numbered (subject, issuer and serial) and re-signed with its own key.
//!
//! Usage: rcmp-mkcerts <template.der> <key.pem> <count> <out.pem>

use std::io::Write;

fn die(msg: &str) -> ! {
    eprintln!("rcmp-mkcerts: {msg}");
    std::process::exit(1)
}

/// DER length octets.
fn der_len(n: usize, out: &mut Vec<u8>) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let b = n.to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count();
        out.push(0x80 | (b.len() - skip) as u8);
        out.extend_from_slice(&b[skip..]);
    }
}

/// Element at `pos`: (header length, content length).
fn tlv(d: &[u8], pos: usize) -> (usize, usize) {
    let l0 = d[pos + 1] as usize;
    if l0 < 0x80 {
        return (2, l0);
    }
    let n = l0 & 0x7f;
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | d[pos + 2 + i] as usize;
    }
    (2 + n, len)
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let v = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 5 {
        die("usage: rcmp-mkcerts <template.der> <key.pem> <count> <out.pem>");
    }
    let tpl = std::fs::read(&a[1]).unwrap_or_else(|e| die(&format!("{}: {e}", a[1])));
    let key =
        rcmp::bench::creds::load_key(&a[2], None, "key").unwrap_or_else(|_| die("cannot load key"));
    let count: usize = a[3].parse().unwrap_or_else(|_| die("bad count"));
    // Certificate ::= SEQUENCE { tbs, sigAlg, sig }
    let (h, _) = tlv(&tpl, 0);
    let tbs_pos = h;
    let (th, tl) = tlv(&tpl, tbs_pos);
    let tbs = &tpl[tbs_pos..tbs_pos + th + tl];
    let alg_pos = tbs_pos + th + tl;
    let (ah, al) = tlv(&tpl, alg_pos);
    let alg = &tpl[alg_pos..alg_pos + ah + al];
    let marker = b"bench trust 0000000";
    // serial: first INTEGER inside TBS after the [0] version
    let mut p = th;
    if tbs[p] == 0xa0 {
        let (vh, vl) = tlv(tbs, p);
        p += vh + vl;
    }
    let (sh, sl) = tlv(tbs, p);
    let serial_at = p + sh;
    if sl < 4 {
        die("template serial too short");
    }
    let mut out = std::fs::File::create(&a[4]).unwrap_or_else(|e| die(&format!("{}: {e}", a[4])));
    let mut pem = String::new();
    for i in 0..count {
        let mut t = tbs.to_vec();
        let digits = format!("{:07}", i % 10_000_000);
        let mut k = 0;
        while let Some(off) = t[k..].windows(marker.len()).position(|w| w == marker) {
            let at = k + off + marker.len() - 7;
            t[at..at + 7].copy_from_slice(digits.as_bytes());
            k = at + 7;
        }
        let s = serial_at + sl - 4;
        t[s..s + 4].copy_from_slice(&(i as u32 | 0x1000_0000).to_be_bytes());
        let sig = key
            .sign(rcmp::bench::creds::Digest::Sha256, &t)
            .unwrap_or_else(|_| die("signing failed"));
        let mut body = t;
        body.extend_from_slice(alg);
        body.push(0x03);
        der_len(sig.len() + 1, &mut body);
        body.push(0);
        body.extend_from_slice(&sig);
        let mut cert = vec![0x30];
        der_len(body.len(), &mut cert);
        cert.extend_from_slice(&body);
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64(&cert).as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    out.write_all(pem.as_bytes())
        .unwrap_or_else(|e| die(&format!("{}: {e}", a[4])));
}
