//! Random but valid scenarios: one set of mock-server options and one set of client options, drawn
//! from a seeded generator so that scenario `i` of seed `s` is the same on every machine and can be
//! rerun alone (`RCMP_DIFF_SEED=s RCMP_DIFF_FIRST=i RCMP_DIFF_CASES=1`).
//!
//! "Valid" means that both programs accept the options: every server starts, and each client option
//! comes with what it needs. Whether the transaction then succeeds is up to the draw (wrong secret,
//! expired certificate, no way to authenticate the server ...), which is the point.

use std::path::Path;

/// xorshift64* seeded through splitmix64, so neighbouring seeds and indexes give unrelated streams.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, index: u64) -> Rng {
        let mut z = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 1 } else { z })
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        (self.next() >> 11) % n
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

pub const SECRET: &str = "pass:diff-secret";
pub const SERVER_DN: &str = "/CN=Diff Mock Server";

/// One drawn scenario. Arguments name PKI files by absolute path; `-config`, `-port` and `-server`
/// are added when it runs.
pub struct Scenario {
    pub server: Vec<String>,
    pub client: Vec<String>,
    /// Output files the client was asked to write (relative to its working folder).
    pub outputs: Vec<String>,
}

struct Draw<'a> {
    rng: Rng,
    pki: &'a Path,
    args: Vec<String>,
}

impl Draw<'_> {
    fn push(&mut self, items: &[&str]) {
        self.args.extend(items.iter().map(|s| s.to_string()));
    }
    fn file(&mut self, opt: &str, name: &str) {
        let path = self.pki.join(name).display().to_string();
        self.args.push(opt.to_string());
        self.args.push(path);
    }
    /// `opt` with one of `names`, drawn.
    fn file_of(&mut self, opt: &str, names: &[&str]) {
        let name = self.rng.pick(names);
        self.file(opt, name);
    }
    fn flag(&mut self, percent: u64, opt: &str) {
        if self.rng.chance(percent) {
            self.push(&[opt]);
        }
    }
}

pub fn draw(seed: u64, index: u64, pki: &Path) -> Scenario {
    let mut d = Draw {
        rng: Rng::new(seed, index),
        pki,
        args: Vec::new(),
    };
    draw_server(&mut d);
    let server = std::mem::take(&mut d.args);
    let mut outputs = draw_client(&mut d);
    let mut client = std::mem::take(&mut d.args);
    // Drawn last so that adding them left the earlier draws of every scenario as they were.
    let server = draw_late(&mut d, server, &mut client, &mut outputs);
    Scenario {
        server,
        client,
        outputs,
    }
}

/// The mock's root CA key update (3.2+) and the client's optional rootCaCert outputs.
fn draw_late(
    d: &mut Draw,
    mut server: Vec<String>,
    client: &mut Vec<String>,
    outputs: &mut Vec<String>,
) -> Vec<String> {
    if d.rng.chance(30) {
        d.file("-rsp_newwithnew", "newroot.crt");
        d.file("-rsp_newwithold", "newwithold.crt");
        if d.rng.chance(70) {
            d.file("-rsp_oldwithnew", "oldwithnew.crt");
        }
        server.append(&mut d.args);
    }
    if d.rng.chance(8) {
        server.push(d.rng.pick(&["-no_check_time", "-partial_chain"]).into());
    }
    draw_late_client(d, client);
    if client.iter().any(|a| a == "rootCaCert") {
        for (opt, file) in [
            ("-newwithold", "newwithold.pem"),
            ("-oldwithnew", "oldwithnew.pem"),
        ] {
            if d.rng.chance(40) {
                client.push(opt.into());
                client.push(file.into());
                outputs.push(file.into());
            }
        }
    }
    server
}

fn draw_server(d: &mut Draw) {
    let prot = d.rng.below(10); // 0..4 PBM, 5..8 signature, 9 both
    if prot <= 4 || prot == 9 {
        d.push(&["-srv_ref", "1234", "-srv_secret", SECRET]);
    }
    if prot >= 5 {
        d.file("-srv_cert", "server.crt");
        d.file("-srv_key", "server.key");
    }
    if d.rng.chance(85) {
        d.file("-srv_trusted", "root.crt");
    }
    if d.rng.chance(40) {
        d.file("-srv_untrusted", "inter.crt");
    }
    d.file("-rsp_cert", "new.crt");
    match d.rng.below(4) {
        0 => d.file("-rsp_extracerts", "inter.crt"),
        1 => d.file("-rsp_extracerts", "chain.pem"),
        _ => {}
    }
    match d.rng.below(4) {
        0 => d.file("-rsp_capubs", "root.crt"),
        1 => d.file("-rsp_capubs", "chain.pem"),
        _ => {}
    }
    if d.rng.chance(25) {
        d.file_of("-ref_cert", &["client.crt", "new.crt"]);
    }
    draw_server_status(d);
    if d.rng.chance(20) {
        let n = 1 + d.rng.below(2);
        d.push(&["-poll_count", &n.to_string(), "-check_after", "0"]);
    }
    d.flag(20, "-grant_implicitconf");
    d.flag(10, "-send_unprotected");
    d.flag(10, "-send_unprot_err");
    d.flag(15, "-accept_unprotected");
    d.flag(10, "-accept_unprot_err");
    d.flag(10, "-accept_raverified");
}

fn draw_server_status(d: &mut Draw) {
    if d.rng.chance(20) {
        let status = d.rng.below(7);
        d.push(&["-pkistatus", &status.to_string()]);
    }
    if d.rng.chance(12) {
        let bit = d.rng.below(27);
        d.push(&["-failure", &bit.to_string()]);
    }
    if d.rng.chance(12) {
        d.push(&["-statusstring", "diff status text"]);
    }
    d.flag(7, "-send_error");
}

/// Client options; returns the output files asked for.
fn draw_client(d: &mut Draw) -> Vec<String> {
    let cmd = d.rng.pick(&[
        "ir", "ir", "ir", "cr", "cr", "p10cr", "p10cr", "kur", "kur", "rr", "rr", "genm", "genm",
    ]);
    d.push(&["-cmd", cmd]);
    let signed = draw_client_protection(d);
    match d.rng.below(3) {
        0 => d.file("-trusted", "root.crt"),
        1 => d.file("-srvcert", "server.crt"),
        _ => {}
    }
    if d.rng.chance(50) {
        d.push(&["-recipient", SERVER_DN]);
    }
    let mut outputs = Vec::new();
    match cmd {
        "genm" => draw_genm(d, &mut outputs),
        "rr" => draw_rr(d, signed),
        _ => draw_enroll(d, cmd, signed, &mut outputs),
    }
    if d.rng.chance(25) {
        d.push(&["-extracertsout", "extra.pem"]);
        outputs.push("extra.pem".into());
    }
    d.flag(15, "-implicit_confirm");
    d.flag(12, "-disable_confirm");
    d.flag(20, "-unprotected_errors");
    if d.rng.chance(15) {
        let who = d.rng.pick(&[SERVER_DN, "/CN=Diff Someone Else"]);
        d.push(&["-expect_sender", who]);
    }
    if d.rng.chance(12) {
        d.file_of("-out_trusted", &["root.crt", "foreign_root.crt"]);
    }
    d.flag(12, "-ignore_keyusage");
    outputs
}

/// PBM with the right or a wrong secret, or a signature with a valid, expired or foreign certificate.
/// Returns whether the client signs.
fn draw_client_protection(d: &mut Draw) -> bool {
    match d.rng.below(10) {
        0..=3 => {
            d.push(&["-ref", "1234", "-secret", SECRET]);
            false
        }
        4 => {
            d.push(&["-ref", "1234", "-secret", "pass:wrong-secret"]);
            false
        }
        5..=7 => sign_with(d, "client.crt"),
        8 => sign_with(d, "client_expired.crt"),
        _ => sign_with(d, "client_foreign.crt"),
    }
}

fn sign_with(d: &mut Draw, cert: &str) -> bool {
    d.file("-cert", cert);
    d.file("-key", "client.key");
    if d.rng.chance(70) {
        d.file("-untrusted", "inter.crt");
    }
    true
}

fn draw_enroll(d: &mut Draw, cmd: &str, signed: bool, outputs: &mut Vec<String>) {
    if cmd == "p10cr" {
        d.file_of("-csr", &["new.csr", "new.csr", "other.csr"]);
    } else {
        match d.rng.below(10) {
            0..=6 => d.file("-newkey", "new.key"),
            7 | 8 => d.file("-newkey", "other.key"),
            _ if signed => {} // falls back to -key
            _ => d.file("-newkey", "new.key"),
        }
        if cmd == "kur" {
            if !signed || d.rng.chance(50) {
                d.file("-oldcert", "client.crt");
            }
        } else if d.rng.chance(75) || !signed {
            d.push(&["-subject", "/CN=Diff New"]);
        }
        if d.rng.chance(8) {
            d.push(&["-popo", "0"]);
        }
    }
    for (pct, opt, file) in [
        (80, "-certout", "cert.pem"),
        (35, "-chainout", "chain.pem"),
        (30, "-cacertsout", "cacerts.pem"),
    ] {
        if d.rng.chance(pct) {
            d.push(&[opt, file]);
            outputs.push(file.into());
        }
    }
}

fn draw_rr(d: &mut Draw, signed: bool) {
    if !signed || d.rng.chance(60) {
        d.file_of("-oldcert", &["client.crt", "new.crt"]);
    }
    if d.rng.chance(30) {
        let reason = d.rng.below(11);
        d.push(&["-revreason", &reason.to_string()]);
    }
}

fn draw_genm(d: &mut Draw, outputs: &mut Vec<String>) {
    match d.rng.below(5) {
        0 => {}
        1 => d.push(&["-infotype", "signKeyPairTypes"]),
        2 => {
            d.push(&["-infotype", "caCerts", "-cacertsout", "cacerts.pem"]);
            outputs.push("cacerts.pem".into());
        }
        3 => {
            d.push(&["-infotype", "rootCaCert"]);
            d.file("-oldwithold", "root.crt");
            d.push(&["-newwithnew", "newwithnew.pem"]);
            outputs.push("newwithnew.pem".into());
        }
        _ => {
            d.push(&["-infotype", "certReqTemplate", "-template", "template.der"]);
            outputs.push("template.der".into());
        }
    }
}

/// Protection algorithms, transfer, verification time and header options: each rare, so most
/// scenarios keep the plain form.
fn draw_late_client(d: &mut Draw, client: &mut Vec<String>) {
    let cmd = client.get(1).cloned().unwrap_or_default();
    let mut add = |args: &[&str]| client.extend(args.iter().map(|a| a.to_string()));
    if d.rng.chance(8) {
        add(&["-digest", d.rng.pick(&["sha384", "sha512", "sha1"])]);
    }
    if d.rng.chance(8) {
        add(&[
            "-mac",
            d.rng.pick(&["hmac-sha256", "hmacWithSHA512", "hmac-sha1"]),
        ]);
    }
    if d.rng.chance(6) {
        add(&["-path", d.rng.pick(&["pkix/", "/pkix/", "cmp/wrong"])]);
    }
    if d.rng.chance(6) {
        add(&["-keep_alive", d.rng.pick(&["0", "2"])]);
    }
    if d.rng.chance(5) {
        add(&["-unprotected_requests"]);
    }
    if d.rng.chance(6) {
        add(&["-attime", d.rng.pick(&["1609459200", "4102444800"])]);
    }
    if d.rng.chance(5) {
        add(&["-profile", "diff-profile"]);
    }
    if d.rng.chance(5) {
        add(&["-geninfo", "1.2.3.4:int:56789,id-kp:str:diff"]);
    }
    if d.rng.chance(8) {
        let f = d.pki.join("inter.crt").display().to_string();
        add(&["-extracerts", &f]);
    }
    if d.rng.chance(6) {
        add(&[d
            .rng
            .pick(&["-no_check_time", "-partial_chain", "-x509_strict"])]);
    }
    if (cmd == "ir" || cmd == "cr") && d.rng.chance(10) {
        let f = d.pki.join("client.crt").display().to_string();
        add(&["-oldcert", &f]);
    }
}
