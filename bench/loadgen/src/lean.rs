//! The lean load generator: the wire traffic of `rcmp -cmd ir -ref R -secret S -newkey PUB -popo 0`
//! (ir, ip, certConf, pkiconf; PBM-protected, one connection per enrollment kept alive for the
//! certConf), at a small fraction of the real client's CPU, so that the server is what is measured.
//!
//! How it stays equivalent: each thread builds its ir (and, after the first ip, its certConf) once
//! with the rcmp client's own code (`client::request::message`, from a `client::Ctx` filled as
//! `rcmp`'s option handling fills it). Per enrollment only what a real client changes is patched in
//! place: transactionID, senderNonce, recipNonce, messageTime (to the second) and certHash, then the
//! PBM value is recomputed. The PBM key is derived once per thread and message kind: the salt is
//! chosen once (a client may reuse its salt; the server still derives the key from the salt it finds
//! in every message, so its work is the same as for a real client). HTTP heads come from
//! `transfer::http::request_head` and responses are read with `transfer::http::read_response`.
//!
//! What it leaves out on purpose: checking the protection and the certificates of the responses (the
//! point is to load the server, not to re-test the client) and writing `-certout`. Responses are still
//! checked enough to notice a server that does not enroll: HTTP 200, ip with status accepted or
//! grantedWithMods and a certificate, matching transactionID and recipNonce, then pkiconf.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hmac};
use rcmp::bench::asn1::{CmpTime, PkiBody, PkiMessage};
use rcmp::bench::client::request::{self, HeaderState};
use rcmp::bench::client::{Cmd, Ctx};
use rcmp::bench::creds::{self, Cert, Digest};
use rcmp::bench::protect::{self, pbm};
use rcmp::bench::transfer::http::{self, MsgReader, MAX_RESPONSE_LEN};
use rcmp::bench::transfer::url;
use zeroize::Zeroizing;

use crate::tlv;

/// Body tags as they appear on the wire (context-specific, constructed).
const TAG_IP: u8 = 0xa1;
const TAG_PKICONF: u8 = 0xb3;
const TAG_ERROR: u8 = 0xb7;

/// What every thread shares: the resolved client options and where the server is.
pub struct Config {
    ctx: Ctx,
    addr: SocketAddr,
    /// `Host:` header value and request target, as the rcmp client sends them.
    host: String,
    target: String,
}

/// The rcmp client options the lean mode understands: exactly what `bench/run` passes, plus a few
/// harmless extras. Anything else is refused with its name, so a benchmark cannot silently measure
/// something other than what its command line says.
pub fn parse(args: &[String]) -> Result<Config, String> {
    let mut ctx = Ctx::default();
    let mut server = None;
    let mut path = None;
    let mut i = 0;
    while i < args.len() {
        let opt = args[i].as_str();
        let val = |i: usize| -> Result<&str, String> {
            args.get(i + 1)
                .map(String::as_str)
                .ok_or_else(|| format!("option {opt} needs a value"))
        };
        match opt.trim_start_matches('-') {
            "config" => {
                if !val(i)?.is_empty() {
                    return Err(
                        "lean mode reads no config file; give -config \"\" or use --full".into(),
                    );
                }
            }
            // Logging and the certificate file are the client's business, not on the wire.
            "verbosity" | "certout" => {}
            "server" => server = Some(val(i)?.to_string()),
            "path" => path = Some(val(i)?.to_string()),
            "cmd" => {
                ctx.cmd = match val(i)? {
                    "ir" => Cmd::Ir,
                    "cr" => Cmd::Cr,
                    other => return Err(format!("lean mode supports -cmd ir and cr, not {other}")),
                }
            }
            "ref" => ctx.reference = Some(val(i)?.as_bytes().to_vec()),
            "secret" => {
                let s =
                    creds::pass::resolve_source(val(i)?).map_err(|e| format!("-secret: {e}"))?;
                ctx.secret = Some(Zeroizing::new(s.as_bytes().to_vec()));
            }
            "subject" => {
                ctx.subject = Some(creds::dn::parse_dn(val(i)?, "subject").map_err(|e| e.to_string())?)
            }
            "recipient" => {
                ctx.recipient =
                    Some(creds::dn::parse_dn(val(i)?, "recipient").map_err(|e| e.to_string())?)
            }
            "newkey" => {
                ctx.newkey = Some(
                    creds::load_key_or_pubkey(val(i)?, None, "new key")
                        .map_err(|e| format!("-newkey: {e}"))?,
                )
            }
            "popo" => {
                ctx.popo = val(i)?
                    .parse()
                    .ok()
                    .filter(|p| (0..=1).contains(p))
                    .ok_or("lean mode supports -popo 0 and 1")?
            }
            _ => {
                return Err(format!(
                    "option {opt} is not supported by the lean load generator (use --full)"
                ))
            }
        }
        i += 2;
    }
    if ctx.secret.is_none() {
        return Err("lean mode needs -secret (PBM protection)".into());
    }
    if ctx.newkey.is_none() {
        return Err("lean mode needs -newkey".into());
    }
    let server = server.ok_or("missing -server")?;
    let u = url::parse_server(&server)
        .map_err(|e| e.to_string())?
        .with_path(path.as_deref());
    if u.tls {
        return Err("lean mode speaks plain HTTP only".into());
    }
    let addr = (u.bare_host(), u.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", u.host))?
        .next()
        .ok_or_else(|| format!("no address for {}", u.host))?;
    Ok(Config {
        target: u.request_path(),
        host: u.host.clone(),
        addr,
        ctx,
    })
}

/// A protected request as bytes, with where the per-enrollment fields sit and the MAC key.
struct Template {
    der: Vec<u8>,
    /// SEQUENCE header of ProtectedPart (its length never changes: only fixed-size fields do).
    pp_prefix: Vec<u8>,
    /// Header and body, the rest of ProtectedPart.
    hb: Range<usize>,
    tid: usize,
    nonce: usize,
    recip: Option<Range<usize>>,
    hash: Option<Range<usize>>,
    time: usize,
    mac: Range<usize>,
    key: hmac::Key,
}

/// Where `needle` occurs in `hay`, which must be exactly once.
fn find_once(hay: &[u8], needle: &[u8], what: &str) -> Result<usize, String> {
    let mut hits = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle);
    let first = hits
        .next()
        .ok_or_else(|| format!("template: {what} not found"))?
        .0;
    if hits.next().is_some() {
        return Err(format!("template: {what} found more than once"));
    }
    Ok(first)
}

/// The PBM key K = OWF^n(secret || salt) and the MAC algorithm, for the message's own parameters.
fn pbm_key(msg: &PkiMessage, secret: &[u8]) -> Result<hmac::Key, String> {
    let alg = msg
        .header
        .protection_alg
        .as_ref()
        .ok_or("template is not protected")?;
    let p = pbm::params_from_alg(alg).map_err(|e| e.to_string())?;
    let owf = match pbm::Owf::from_oid(&p.owf.oid) {
        Some(pbm::Owf::Sha1) => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        Some(pbm::Owf::Sha224) => &digest::SHA224,
        Some(pbm::Owf::Sha256) => &digest::SHA256,
        Some(pbm::Owf::Sha384) => &digest::SHA384,
        Some(pbm::Owf::Sha512) => &digest::SHA512,
        // Owf and Mac are restrictions of the registry's digests: other values cannot occur here.
        Some(_) | None => return Err(format!("unsupported PBM OWF {}", p.owf.oid)),
    };
    let mac = match pbm::Mac::from_oid(&p.mac.oid) {
        Some(pbm::Mac::HmacSha1 | pbm::Mac::HmacWithSha1) => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        Some(pbm::Mac::HmacSha224) => hmac::HMAC_SHA224,
        Some(pbm::Mac::HmacSha256) => hmac::HMAC_SHA256,
        Some(pbm::Mac::HmacSha384) => hmac::HMAC_SHA384,
        Some(pbm::Mac::HmacSha512) => hmac::HMAC_SHA512,
        Some(_) | None => return Err(format!("unsupported PBM MAC {}", p.mac.oid)),
    };
    if !(pbm::MIN_ITERATIONS..=pbm::MAX_ITERATIONS).contains(&p.iteration_count) {
        return Err("PBM iteration count out of range".into());
    }
    let mut ctx = digest::Context::new(owf);
    ctx.update(secret);
    ctx.update(p.salt.as_bytes());
    let mut k = Zeroizing::new(ctx.finish().as_ref().to_vec());
    for _ in 1..p.iteration_count {
        let next = digest::digest(owf, &k);
        k.copy_from_slice(next.as_ref());
    }
    Ok(hmac::Key::new(mac, &k))
}

impl Template {
    /// From a message built by the client code with the given (random, hence unique) field values.
    fn new(
        msg: &PkiMessage,
        secret: &[u8],
        tid: &[u8],
        nonce: &[u8],
        recip: Option<&[u8]>,
        hash: Option<&[u8]>,
    ) -> Result<Template, String> {
        let der = msg.to_der_vec().map_err(|e| e.to_string())?;
        let (outer, _) = tlv::read(&der)?;
        let start = outer.whole.len() - outer.value.len();
        let (header, rest) = tlv::read(outer.value)?;
        let (body, _) = tlv::read(rest)?;
        let hb = start..start + header.whole.len() + body.whole.len();
        let hdr = start..start + header.whole.len();
        let in_hdr = |needle: &[u8], what: &str| -> Result<usize, String> {
            Ok(hdr.start + find_once(&der[hdr.clone()], needle, what)?)
        };
        let time = msg
            .header
            .message_time
            .as_ref()
            .ok_or("template without messageTime")?;
        let mut time_tlv = vec![0x18, time.as_str().len() as u8];
        time_tlv.extend_from_slice(time.as_str().as_bytes());
        if time_tlv.len() != 17 {
            return Err("template messageTime is not YYYYMMDDHHMMSSZ".into());
        }
        let value = msg
            .protection
            .as_ref()
            .and_then(|p| p.as_bytes())
            .ok_or("template without protection")?;
        let mac_at = hb.end + find_once(&der[hb.end..], value, "protection value")?;
        let t = Template {
            pp_prefix: tlv::seq_header(hb.len()),
            tid: in_hdr(tid, "transactionID")?,
            nonce: in_hdr(nonce, "senderNonce")?,
            recip: match recip {
                Some(r) => Some(in_hdr(r, "recipNonce").map(|at| at..at + r.len())?),
                None => None,
            },
            hash: match hash {
                Some(h) => {
                    let at = hdr.end + find_once(&der[hdr.end..hb.end], h, "certHash")?;
                    Some(at..at + h.len())
                }
                None => None,
            },
            time: in_hdr(&time_tlv, "messageTime")? + 2,
            mac: mac_at..mac_at + value.len(),
            key: pbm_key(msg, secret)?,
            hb,
            der,
        };
        Ok(t)
    }

    /// Sets this enrollment's values and recomputes the PBM value.
    fn fill(
        &mut self,
        tid: &[u8],
        nonce: &[u8],
        recip: Option<&[u8]>,
        hash: Option<&[u8]>,
        time: &[u8; 15],
    ) {
        self.der[self.tid..self.tid + 16].copy_from_slice(tid);
        self.der[self.nonce..self.nonce + 16].copy_from_slice(nonce);
        if let (Some(r), Some(v)) = (&self.recip, recip) {
            self.der[r.clone()].copy_from_slice(v);
        }
        if let (Some(r), Some(v)) = (&self.hash, hash) {
            self.der[r.clone()].copy_from_slice(v);
        }
        self.der[self.time..self.time + 15].copy_from_slice(time);
        let mut c = hmac::Context::with_key(&self.key);
        c.update(&self.pp_prefix);
        c.update(&self.der[self.hb.clone()]);
        let tag = c.sign();
        self.der[self.mac.clone()].copy_from_slice(tag.as_ref());
    }

    /// Checks, with rcmp's own decoder and PBM verifier, that patching produced a well-formed message
    /// carrying the new values under a valid protection. Run once per template.
    fn self_check(
        &mut self,
        secret: &[u8],
        recip: Option<&[u8]>,
        hash: Option<&[u8]>,
    ) -> Result<(), String> {
        let r = random(32)?;
        let time = *b"20300101000000Z";
        self.fill(&r[..16], &r[16..], recip, hash, &time);
        let m = PkiMessage::from_der_bounded(&self.der, "template").map_err(|e| e.to_string())?;
        protect::pbm_verify_received(&self.der, &m, secret)
            .map_err(|e| format!("template self-check: {e}"))?;
        let h = &m.header;
        let ok = h.transaction_id.as_ref().map(|o| o.as_bytes()) == Some(&r[..16])
            && h.sender_nonce.as_ref().map(|o| o.as_bytes()) == Some(&r[16..])
            && h.message_time.as_ref().map(|t| t.as_str().as_bytes()) == Some(&time[..])
            && recip.is_none_or(|v| h.recip_nonce.as_ref().map(|o| o.as_bytes()) == Some(v));
        if !ok {
            return Err("template self-check: patched fields did not land where expected".into());
        }
        Ok(())
    }
}

fn random(n: usize) -> Result<Vec<u8>, String> {
    creds::random_bytes(n).map_err(|e| e.to_string())
}

/// messageTime text for the current second, recomputed only when the second changes.
struct Clock {
    secs: u64,
    text: [u8; 15],
}

impl Clock {
    fn now(&mut self) -> Result<&[u8; 15], String> {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        if secs != self.secs {
            let t = CmpTime::from_system_time(UNIX_EPOCH + Duration::from_secs(secs))
                .map_err(|e| e.to_string())?;
            self.text
                .copy_from_slice(t.as_str().as_bytes().get(..15).ok_or("bad time text")?);
            self.secs = secs;
        }
        Ok(&self.text)
    }
}

/// The certConf template depends on what the ip carried.
#[derive(PartialEq, Eq)]
struct ConfKey {
    recip_len: usize,
    cert_req_id: i64,
    sig_alg: Vec<u8>,
}

/// One client thread's state.
pub struct Worker<'a> {
    cfg: &'a Config,
    ir: Template,
    conf: Option<(ConfKey, Template, Option<Digest>)>,
    clock: Clock,
    out: Vec<u8>,
    /// Where to write the next enrollment's messages (`--dump`).
    dump: Option<PathBuf>,
}

/// What the lean client needs from an ip.
struct Ip<'b> {
    sender_nonce: &'b [u8],
    cert: &'b [u8],
    cert_req_id: i64,
}

impl<'a> Worker<'a> {
    pub fn new(cfg: &'a Config) -> Result<Worker<'a>, String> {
        let ctx = &cfg.ctx;
        let tid = random(16)?;
        let st = HeaderState::new(ctx, tid.clone());
        let body = request::first_body(ctx).map_err(|e| e.to_string())?;
        let (msg, nonce) = request::message(ctx, &st, body, 2).map_err(|e| e.to_string())?;
        let secret = secret(cfg);
        let mut ir = Template::new(&msg, secret, &tid, &nonce, None, None)?;
        ir.self_check(secret, None, None)?;
        Ok(Worker {
            cfg,
            ir,
            conf: None,
            clock: Clock {
                secs: 0,
                text: [0; 15],
            },
            out: Vec::with_capacity(4096),
            dump: None,
        })
    }

    /// Save the messages of the next enrollment in `dir` (ir.der, ip.der, certconf.der, pkiconf.der).
    pub fn dump_next(&mut self, dir: PathBuf) {
        self.dump = Some(dir);
    }

    fn save(&mut self, msgs: [(&str, &[u8]); 4]) -> Result<(), String> {
        if let Some(dir) = self.dump.take() {
            for (name, der) in msgs {
                let p = dir.join(name);
                std::fs::write(&p, der).map_err(|e| format!("--dump {}: {e}", p.display()))?;
            }
        }
        Ok(())
    }

    /// One complete enrollment.
    pub fn enroll(&mut self) -> Result<(), String> {
        let r = random(48)?;
        let (tid, ir_nonce, conf_nonce) = (&r[..16], &r[16..32], &r[32..]);
        let time = *self.clock.now()?;
        self.ir.fill(tid, ir_nonce, None, None, &time);

        let mut conn = self.connect()?;
        let (ip_der, kept) = self.round_trip(&mut conn, true, true)?;
        let ip = parse_ip(&ip_der, tid, ir_nonce)?;

        self.conf_template(&ip)?;
        let Some((_, conf, digest)) = self.conf.as_mut() else {
            return Err("no certConf template".into());
        };
        let hash = match digest {
            Some(d) => d.hash(ip.cert).map_err(|e| e.to_string())?,
            None => {
                let c = Cert::from_der(ip.cert).map_err(|e| e.to_string())?;
                protect::sig::cert_hash(&c).map_err(|e| e.to_string())?.0
            }
        };
        conf.fill(tid, conf_nonce, Some(ip.sender_nonce), Some(&hash), &time);
        if !kept {
            conn = self.connect()?;
        }
        let (conf_rsp, _) = self.round_trip(&mut conn, false, false)?;
        check_pkiconf(&conf_rsp, tid, conf_nonce)?;
        if self.dump.is_some() {
            let ir = self.ir.der.clone();
            let conf = self
                .conf
                .as_ref()
                .map(|(_, t, _)| t.der.clone())
                .unwrap_or_default();
            self.save([
                ("ir.der", &ir),
                ("ip.der", &ip_der),
                ("certconf.der", &conf),
                ("pkiconf.der", &conf_rsp),
            ])?;
        }
        Ok(())
    }

    fn connect(&self) -> Result<MsgReader<TcpStream>, String> {
        let s = TcpStream::connect(self.cfg.addr)
            .map_err(|e| format!("connect to {}: {e}", self.cfg.addr))?;
        let _ = s.set_nodelay(true);
        Ok(MsgReader::new(s))
    }

    /// POST the ir (`first`) or the certConf; returns the response body and whether the
    /// connection may be used again.
    fn round_trip(
        &mut self,
        conn: &mut MsgReader<TcpStream>,
        first: bool,
        keep_alive: bool,
    ) -> Result<(Vec<u8>, bool), String> {
        let der = if first {
            &self.ir.der
        } else {
            match &self.conf {
                Some((_, t, _)) => &t.der,
                None => return Err("no certConf template".into()),
            }
        };
        self.out.clear();
        self.out.extend_from_slice(&http::request_head(
            &self.cfg.target,
            &self.cfg.host,
            keep_alive,
            der.len(),
        ));
        self.out.extend_from_slice(der);
        let what = if first { "IR" } else { "CERTCONF" };
        conn.get_mut()
            .write_all(&self.out)
            .map_err(|e| format!("sending {what}: {e}"))?;
        let rsp = http::read_response(conn, MAX_RESPONSE_LEN)
            .map_err(|e| format!("response to {what}: {e:?}"))?;
        Ok((rsp.body, keep_alive && rsp.keep_alive))
    }

    /// Builds (first time, or when the ip's shape changed) the certConf template with the client
    /// code, for this ip's certificate, certReqId and senderNonce length.
    fn conf_template(&mut self, ip: &Ip<'_>) -> Result<(), String> {
        let (c, _) = tlv::read(ip.cert)?;
        let parts = tlv::children(c.value)?;
        let sig_alg = parts
            .get(1)
            .ok_or("certificate without signatureAlgorithm")?
            .whole
            .to_vec();
        let key = ConfKey {
            recip_len: ip.sender_nonce.len(),
            cert_req_id: ip.cert_req_id,
            sig_alg,
        };
        if self.conf.as_ref().is_some_and(|(k, _, _)| *k == key) {
            return Ok(());
        }
        let cert = Cert::from_der(ip.cert).map_err(|e| format!("certificate in ip: {e}"))?;
        let (body, pvno) =
            request::cert_conf(&cert, ip.cert_req_id, 0, None).map_err(|e| e.to_string())?;
        let PkiBody::CertConf(statuses) = &body else {
            return Err("cert_conf built no certConf".into());
        };
        let hash = statuses
            .first()
            .ok_or("empty certConf")?
            .cert_hash
            .as_bytes()
            .to_vec();
        let tid = random(16)?;
        let recip = random(ip.sender_nonce.len())?;
        let st = HeaderState {
            transaction_id: tid.clone(),
            recip_nonce: Some(recip.clone()),
            ..HeaderState::default()
        };
        let (msg, nonce) =
            request::message(&self.cfg.ctx, &st, body, pvno).map_err(|e| e.to_string())?;
        let secret = secret(self.cfg);
        let mut t = Template::new(&msg, secret, &tid, &nonce, Some(&recip), Some(&hash))?;
        t.self_check(secret, Some(&recip), Some(&hash))?;
        let digest = protect::sig::sig_alg_digest(&cert.signature_algorithm().oid);
        self.conf = Some((key, t, digest));
        Ok(())
    }
}

fn secret(cfg: &Config) -> &[u8] {
    cfg.ctx.secret.as_ref().map_or(&[][..], |s| s.as_slice())
}

/// The header fields of a response the lean client checks, and its body.
struct Rsp<'b> {
    tid: Option<&'b [u8]>,
    sender_nonce: Option<&'b [u8]>,
    recip_nonce: Option<&'b [u8]>,
    body: tlv::Tlv<'b>,
}

fn split(der: &[u8]) -> Result<Rsp<'_>, String> {
    let msg = tlv::expect(der, 0x30, "PKIMessage")?;
    let (header, rest) = tlv::read(msg.value)?;
    let (body, _) = tlv::read(rest)?;
    let mut r = Rsp {
        tid: None,
        sender_nonce: None,
        recip_nonce: None,
        body,
    };
    // pvno, sender and recipient first (sender and recipient, as directoryName, are [4] too).
    for f in tlv::children(header.value)?.into_iter().skip(3) {
        let slot = match f.tag {
            0xa4 => &mut r.tid,
            0xa5 => &mut r.sender_nonce,
            0xa6 => &mut r.recip_nonce,
            _ => continue,
        };
        *slot = Some(tlv::expect(f.value, 0x04, "header OCTET STRING")?.value);
    }
    Ok(r)
}

fn check_ids(r: &Rsp<'_>, tid: &[u8], nonce: &[u8], what: &str) -> Result<(), String> {
    if r.tid != Some(tid) {
        return Err(format!(
            "{what}: transactionID does not match the request's"
        ));
    }
    if r.recip_nonce != Some(nonce) {
        return Err(format!(
            "{what}: recipNonce does not match the request's senderNonce"
        ));
    }
    Ok(())
}

/// Why a response is not what was expected, in the words rcmp's client would use.
fn unexpected(der: &[u8], body_tag: u8, expected: &str) -> String {
    if body_tag == TAG_ERROR {
        if let Ok(m) = PkiMessage::from_der_bounded(der, "response") {
            if let PkiBody::Error(e) = &m.body {
                return format!("expected {expected}, received error:{}", e.to_text());
            }
        }
    }
    let name = rcmp::bench::asn1::body_type_name(u32::from(body_tag & 0x1f)).unwrap_or("?");
    format!("expected {expected}, received body {name} (tag 0x{body_tag:02x})")
}

fn parse_ip<'b>(der: &'b [u8], tid: &[u8], nonce: &[u8]) -> Result<Ip<'b>, String> {
    let r = split(der)?;
    if r.body.tag != TAG_IP {
        return Err(unexpected(der, r.body.tag, "IP"));
    }
    check_ids(&r, tid, nonce, "IP")?;
    let crep = tlv::expect(r.body.value, 0x30, "CertRepMessage")?;
    let response = tlv::children(crep.value)?
        .into_iter()
        .find(|t| t.tag == 0x30)
        .ok_or("IP without response")?;
    let first = tlv::children(response.value)?;
    let cresp = tlv::children(first.first().ok_or("IP with empty response")?.value)?;
    let cert_req_id = tlv::small_int(cresp.first().ok_or("CertResponse without certReqId")?)?;
    let status = tlv::children(cresp.get(1).ok_or("CertResponse without status")?.value)?;
    let code = tlv::small_int(status.first().ok_or("empty PKIStatusInfo")?)?;
    if code != 0 && code != 1 {
        let text = PkiMessage::from_der_bounded(der, "ip")
            .ok()
            .and_then(|m| match &m.body {
                PkiBody::Ip(c) => c.response.first().map(|x| x.status.to_text()),
                _ => None,
            })
            .unwrap_or_else(|| format!("status {code}"));
        return Err(format!("IP not accepted: {text}"));
    }
    let ckp = cresp
        .get(2)
        .filter(|t| t.tag == 0x30)
        .ok_or("IP without certifiedKeyPair")?;
    let coe = tlv::children(ckp.value)?;
    let cert_tagged = coe
        .first()
        .filter(|t| t.tag == 0xa0)
        .ok_or("IP without a (plain) certificate")?;
    let cert = tlv::expect(cert_tagged.value, 0x30, "certificate")?.whole;
    Ok(Ip {
        sender_nonce: r.sender_nonce.ok_or("IP without senderNonce")?,
        cert,
        cert_req_id,
    })
}

fn check_pkiconf(der: &[u8], tid: &[u8], nonce: &[u8]) -> Result<(), String> {
    let r = split(der)?;
    if r.body.tag != TAG_PKICONF {
        return Err(unexpected(der, r.body.tag, "PKICONF"));
    }
    check_ids(&r, tid, nonce, "PKICONF")
}

// The repository tests' locator of OpenSSL's test PKI (fetched by scripts/fetch-deps).
#[cfg(test)]
#[path = "../../../tests/common/deps.rs"]
mod test_deps;

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Vec<String> {
        let mock = super::test_deps::corpus_mock_dir("30");
        let newkey = mock.join("new_pub.key").to_string_lossy().into_owned();
        assert!(
            std::path::Path::new(&newkey).exists(),
            "test PKI missing: {newkey}"
        );
        let mut a: Vec<String> = [
            "-config",
            "",
            "-server",
            "127.0.0.1:1",
            "-path",
            "pkix/",
            "-recipient",
            "/CN=Root CA",
            "-cmd",
            "ir",
            "-ref",
            "1234",
            "-secret",
            "pass:test",
            "-newkey",
            &newkey,
            "-subject",
            "/CN=leaf",
            "-popo",
            "0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    #[test]
    fn template_patches_verify_with_rcmps_pbm() {
        let cfg = parse(&args(&["-certout", "x.pem", "-verbosity", "3"])).unwrap();
        assert_eq!(cfg.target, "/pkix/");
        let mut w = Worker::new(&cfg).unwrap();
        // A second round of fresh values must verify too (the first one ran in Worker::new).
        w.ir.self_check(secret(&cfg), None, None).unwrap();
        // The patched message is the client's ir: same body as a freshly built one.
        let fresh = request::first_body(&cfg.ctx).unwrap();
        let m = PkiMessage::from_der_bounded(&w.ir.der, "test").unwrap();
        assert_eq!(m.body, fresh);
        assert_eq!(m.header.sender_kid.as_ref().unwrap().as_bytes(), b"1234");
    }

    #[test]
    fn wrong_secret_fails_the_self_check() {
        let cfg = parse(&args(&[])).unwrap();
        let mut w = Worker::new(&cfg).unwrap();
        assert!(w.ir.self_check(b"other", None, None).is_err());
    }

    #[test]
    fn options_outside_the_lean_set_are_refused() {
        for extra in [
            &["-trusted", "x.pem"][..],
            &["-cmd", "genm"],
            &["-config", "a.cnf"],
        ] {
            let e = parse(&args(extra)).err().unwrap();
            assert!(e.contains(extra[0]) || e.contains(extra[1]), "{e}");
        }
    }

    #[test]
    fn response_checks_catch_mismatches() {
        // A pkiconf-like message built with the client code; its ids must match.
        let cfg = parse(&args(&[])).unwrap();
        let tid = random(16).unwrap();
        let recip = random(16).unwrap();
        let st = HeaderState {
            transaction_id: tid.clone(),
            recip_nonce: Some(recip.clone()),
            ..HeaderState::default()
        };
        let (m, _) = request::message(&cfg.ctx, &st, PkiBody::pkiconf(), 2).unwrap();
        let der = m.to_der_vec().unwrap();
        check_pkiconf(&der, &tid, &recip).unwrap();
        assert!(check_pkiconf(&der, &recip, &recip).is_err());
        assert!(check_pkiconf(&der, &tid, &tid).is_err());
        let e = parse_ip(&der, &tid, &recip).err().unwrap();
        assert!(e.contains("expected IP, received body PKICONF"), "{e}");
    }
}
