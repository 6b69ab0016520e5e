//! The option table of `rcmp`: every option of `openssl cmp` (OpenSSL 3.5, 157 options) in the order and
//! help groups of `openssl cmp -help`, then rcmp's own extensions (`Since::Rcmp`) in a last group.
//!
//! This file is the only place in the tree where an option name is spelled. Everything else names an
//! option as `Opt::X` and prints it with `Opt::X.name()` or `Display` (`-keep_alive`). One macro invocation
//! produces both the `Opt` enum and the `OPTIONS` table, so the two cannot drift apart. The help texts
//! are our own wording; only names and value placeholders follow OpenSSL.

use std::fmt;

/// What an option takes, as OpenSSL's option parser classifies it. The placeholder words are what
/// `-help` prints after the option name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No value.
    Flag,
    /// Any string (`val`).
    Val,
    /// A file to write (`outfile`); parsed like `val`.
    Outfile,
    /// A C `int`, negative allowed (`int`).
    Int,
    /// A C `int` that must not be negative (`nonneg`).
    Nonneg,
    /// A C `int` that must be positive (`+int`).
    PosInt,
    /// An `intmax_t` (`intmax`).
    Intmax,
}

impl Kind {
    /// The placeholder `-help` shows, or `None` for a flag.
    pub fn placeholder(self) -> Option<&'static str> {
        match self {
            Kind::Flag => None,
            Kind::Val => Some("val"),
            Kind::Outfile => Some("outfile"),
            Kind::Int => Some("int"),
            Kind::Nonneg => Some("nonneg"),
            Kind::PosInt => Some("+int"),
            Kind::Intmax => Some("intmax"),
        }
    }

    /// Whether the value is a number (checked while parsing).
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Nonneg | Kind::PosInt | Kind::Intmax)
    }
}

/// The help groups, in the order `-help` prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The first lines (help, config, section, verbosity): no header.
    General,
    GenericMessage,
    Enrollment,
    EnrollmentRevocation,
    Transfer,
    ServerAuth,
    ClientAuth,
    CredentialsFormat,
    Provider,
    RandomState,
    Tls,
    ClientDebug,
    MockServer,
    Validation,
    /// Options `openssl cmp` does not have; printed last, so the OpenSSL part of `-help` stays as it is.
    Extensions,
}

impl Group {
    /// The header line `-help` prints before the group, exactly as OpenSSL 3.5 spells it.
    pub fn header(self) -> Option<&'static str> {
        Some(match self {
            Group::General => return None,
            Group::GenericMessage => "Generic message options:",
            Group::Enrollment => "Certificate enrollment options:",
            Group::EnrollmentRevocation => "Certificate enrollment and revocation options:",
            Group::Transfer => "Message transfer options:",
            Group::ServerAuth => "Server authentication options:",
            Group::ClientAuth => "Client authentication options:",
            Group::CredentialsFormat => "Credentials format options:",
            Group::Provider => "Provider options:",
            Group::RandomState => "Random state options:",
            Group::Tls => "TLS connection options:",
            Group::ClientDebug => "Client-side debugging options:",
            Group::MockServer => "Mock server options:",
            Group::Validation => "Validation options:",
            Group::Extensions => "rcmp extensions (not in openssl cmp):",
        })
    }
}

/// The OpenSSL release whose `cmp` app first had the option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Since {
    V3_0,
    V3_2,
    V3_3,
    V3_4,
    V3_5,
    V4_0,
    /// An rcmp extension: no OpenSSL release has the option.
    Rcmp,
}

impl fmt::Display for Since {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Since::V3_0 => "3.0",
            Since::V3_2 => "3.2",
            Since::V3_3 => "3.3",
            Since::V3_4 => "3.4",
            Since::V3_5 => "3.5",
            Since::V4_0 => "4.0",
            Since::Rcmp => "rcmp",
        })
    }
}

impl Since {
    /// The release `RCMP_COMPAT` makes rcmp imitate.
    pub fn imitated() -> Since {
        match crate::compat::get() {
            crate::compat::Compat::V3_0 => Since::V3_0,
            crate::compat::Compat::V3_5 => Since::V3_5,
            crate::compat::Compat::V4_0 => Since::V4_0,
        }
    }
}

/// A set of commands (`-cmd` values), one bit each in the order of [`CMD_VALUES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cmds(u8);

impl Cmds {
    #[cfg(test)]
    pub const IR: Cmds = Cmds(1);
    #[cfg(test)]
    pub const CR: Cmds = Cmds(1 << 1);
    #[cfg(test)]
    pub const KUR: Cmds = Cmds(1 << 2);
    #[cfg(test)]
    pub const P10CR: Cmds = Cmds(1 << 3);
    #[cfg(test)]
    pub const RR: Cmds = Cmds(1 << 4);
    pub const GENM: Cmds = Cmds(1 << 5);
    #[cfg(test)]
    pub const ALL: Cmds = Cmds(0x3f);
    /// The commands that build a certificate template (and may generate or name a new key).
    #[cfg(test)]
    pub const ENROLL: Cmds = Cmds(0x07);
    /// The commands that ask for a certificate: the template ones and p10cr.
    #[cfg(test)]
    pub const CERT_REQ: Cmds = Cmds(0x0f);
    /// The template commands and rr, which names the certificate to revoke by issuer and serial.
    #[cfg(test)]
    pub const ENROLL_RR: Cmds = Cmds(0x17);
    pub const NOT_GENM: Cmds = Cmds(0x1f);
    pub const P10CR_RR: Cmds = Cmds(0x18);

    /// The one-command set of a `-cmd` value, e.g. `kur`.
    pub fn of(cmd: &str) -> Option<Cmds> {
        CMD_VALUES
            .iter()
            .position(|c| *c == cmd)
            .map(|i| Cmds(1 << i))
    }
    pub fn contains(self, other: Cmds) -> bool {
        self.0 & other.0 == other.0
    }
    #[cfg(test)]
    pub fn and_not(self, other: Cmds) -> Cmds {
        Cmds(self.0 & !other.0)
    }
    /// The commands in the set, as `-cmd` spells them.
    #[cfg(test)]
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        CMD_VALUES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, c)| *c)
    }
}

/// Everything known about one option.
#[derive(Debug)]
pub struct OptInfo {
    pub opt: Opt,
    /// The name without the leading dash, e.g. `keep_alive`.
    pub name: &'static str,
    pub kind: Kind,
    pub group: Group,
    /// One entry per help line; the first goes beside the name, the others are continuation lines.
    pub help: &'static [&'static str],
    pub since: Since,
    /// The value may carry a secret: always for `-secret`/`-srv_secret`, and for the pass phrase options
    /// when given as `pass:...`. Whoever logs or echoes a value must check this first.
    pub secret: bool,
    /// The commands (`-cmd`) the option is for; with another command it is ignored, and OpenSSL
    /// says so where [`IGNORED`] has a line for it.
    #[cfg(test)]
    pub cmds: Cmds,
}

/// The `cmds` column of the table: `Cmds::ALL` unless the line says `for SET`.
#[cfg(test)]
macro_rules! cmds_or_all {
    () => {
        Cmds::ALL
    };
    ($cmds:ident) => {
        Cmds::$cmds
    };
}

macro_rules! options {
    ($( $variant:ident $name:literal $kind:ident $group:ident $since:ident $secret:literal
        $( for $cmds:ident )? [ $($help:literal),+ $(,)? ] ; )*) => {
        /// One variant per option of `openssl cmp`, in `-help` order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Opt { $( $variant, )* }

        /// The table, indexed by `Opt as usize`.
        pub static OPTIONS: &[OptInfo] = &[ $( OptInfo {
            opt: Opt::$variant,
            name: $name,
            kind: Kind::$kind,
            group: Group::$group,
            help: &[ $($help),+ ],
            since: Since::$since,
            secret: $secret,
            #[cfg(test)]
            cmds: cmds_or_all!($($cmds)?),
        }, )* ];
    };
}

options! {
    Help "help" Flag General V3_0 false ["Print this list of options"];
    Config "config" Val General V3_0 false
        ["Config file to read option defaults from; \"\" = none. Default: env var OPENSSL_CONF"];
    Section "section" Val General V3_0 false
        ["Config file section(s) holding option defaults. \"\" = 'default'. Default 'cmp'"];
    Verbosity "verbosity" Nonneg General V3_0 false
        ["How much to log: 3=ERR, 4=WARN, 6=INFO, 7=DEBUG, 8=TRACE. Default 6 = INFO"];

    Cmd "cmd" Val GenericMessage V3_0 false ["Kind of CMP request to send: ir/cr/kur/p10cr/rr/genm"];
    Infotype "infotype" Val GenericMessage V3_0 false for GENM
        ["Name of the InfoType to ask for in a genm, with dedicated handling",
         "of 'caCerts' and 'rootCaCert'"];
    Profile "profile" Val GenericMessage V3_3 false
        ["Name of the certificate profile to put into the generalInfo of the PKIHeader"];
    Geninfo "geninfo" Val GenericMessage V3_0 false
        ["Comma-separated OID/value pairs to put into the generalInfo of the PKIHeader,",
         "each <OID>:int:<n> or <OID>:str:<s>, for instance '1.2.3.4:int:56789, id-kp:str:name'"];
    Template "template" Val GenericMessage V3_4 false
        ["Where to store the certTemplate received in a genp of type certReqTemplate"];
    Keyspec "keyspec" Val GenericMessage V3_4 false
        ["Where to store any key specification received in a genp of type certReqTemplate"];

    Newkey "newkey" Val Enrollment V3_0 false for ENROLL
        ["Private or public key to certify. Default: the key of the CSR or of the client"];
    Newkeypass "newkeypass" Val Enrollment V3_0 true for ENROLL ["Pass phrase source for the -newkey key"];
    Centralkeygen "centralkeygen" Flag Enrollment V3_5 false for ENROLL
        ["Have the server generate the new key pair instead of generating it locally"];
    Newkeyout "newkeyout" Val Enrollment V3_5 false for ENROLL ["Where to store a centrally generated key, as PEM"];
    Subject "subject" Val Enrollment V3_0 false
        ["Subject DN to put into the certificate template of the request",
         "For kur, the default is the subject of the -csr or of the reference cert (-oldcert);",
         "for ir and cr this default applies only when no Subject Alt Names are given"];
    Days "days" Nonneg Enrollment V3_0 false for ENROLL ["Validity period to ask for the new certificate, in days"];
    Reqexts "reqexts" Val Enrollment V3_0 false for ENROLL
        ["Config file section with the extensions to ask for in the request.",
         "They add to or replace the extensions of a CSR given with -csr"];
    Sans "sans" Val Enrollment V3_0 false for ENROLL
        ["Subject Alt Names (IPADDR/DNS/URI) to ask for as (critical) request extension"];
    SanNodefault "san_nodefault" Flag Enrollment V3_0 false for ENROLL
        ["Do not copy the SANs of the reference certificate (see -oldcert)"];
    Policies "policies" Val Enrollment V3_0 false for ENROLL
        ["Config file section with the certificate policies extension to ask for"];
    PolicyOids "policy_oids" Val Enrollment V3_0 false for ENROLL
        ["Policy OID(s) to ask for in a certificate policies request extension"];
    PolicyOidsCritical "policy_oids_critical" Flag Enrollment V3_0 false for ENROLL
        ["Mark the policies extension built from -policy_oids as critical"];
    Popo "popo" Int Enrollment V3_0 false for ENROLL
        ["Proof-of-Possession method for ir/cr/kur, one of",
         "-1 = NONE, 0 = RAVERIFIED, 1 = SIGNATURE (default), 2 = KEYENC"];
    Csr "csr" Val Enrollment V3_0 false for NOT_GENM ["PKCS#10 CSR (PEM or DER) to send in p10cr or to take values from"];
    OutTrusted "out_trusted" Val Enrollment V3_0 false for ENROLL
        ["Trust anchors for checking newly enrolled certificates"];
    ImplicitConfirm "implicit_confirm" Flag Enrollment V3_0 false for CERT_REQ
        ["Ask the server to confirm newly enrolled certificates implicitly"];
    DisableConfirm "disable_confirm" Flag Enrollment V3_0 false for CERT_REQ
        ["Skip confirming newly enrolled certificates even without implicit",
         "confirmation. WARNING: this does not conform to RFC 9810"];
    Certout "certout" Val Enrollment V3_0 false for CERT_REQ ["Where to store the newly enrolled certificate"];
    Chainout "chainout" Val Enrollment V3_0 false for CERT_REQ ["Where to store the chain of the newly enrolled certificate"];

    Oldcert "oldcert" Val EnrollmentRevocation V3_0 false for NOT_GENM
        ["Certificate to update in kur or to revoke in rr (default: -cert);",
         "also the reference for subject DN and SANs (default: -cert).",
         "Its issuer is the recipient unless -recipient, -srvcert or -issuer is given"];
    Issuer "issuer" Val EnrollmentRevocation V3_0 false for ENROLL_RR
        ["Issuer DN to put into the certificate template of ir/cr/kur/rr;",
         "also the recipient when neither -recipient nor -srvcert is given"];
    Serial "serial" Val EnrollmentRevocation V3_2 false for RR
        ["Serial number of the certificate to revoke in a revocation request (rr)"];
    Revreason "revreason" Int EnrollmentRevocation V3_0 false for RR
        ["Reason code to put into a revocation request (rr), one of",
         "0..6, 8..10 (RFC5280, 5.3.1) or -1. Default -1 = no reason code"];

    Server "server" Val Transfer V3_0 false
        ["[http[s]://]address[:port][/path] of the CMP server. Default port 80 or 443.",
         "address is a DNS name or an IP address; -path overrides the path"];
    Proxy "proxy" Val Transfer V3_0 false
        ["[http[s]://]address[:port][/path] of an HTTP(S) proxy; any path is ignored"];
    NoProxy "no_proxy" Val Transfer V3_0 false
        ["Addresses of servers to reach without the HTTP(S) proxy",
         "Default: env var 'no_proxy', else 'NO_PROXY', else none"];
    Recipient "recipient" Val Transfer V3_0 false
        ["DN of the CA. Default: subject of -srvcert, -issuer, issuer of -oldcert or -cert"];
    Path "path" Val Transfer V3_0 false
        ["HTTP path (CMP alias) on the CMP server. Default: from -server, else \"/\""];
    KeepAlive "keep_alive" Nonneg Transfer V3_0 false
        ["Persistent HTTP connections: 0 = no, 1 = ask for them (default), 2 = insist"];
    MsgTimeout "msg_timeout" Nonneg Transfer V3_0 false
        ["Seconds allowed for each CMP message round trip, 0 for no limit"];
    TotalTimeout "total_timeout" Nonneg Transfer V3_0 false
        ["Seconds allowed for a whole transaction including polling. Default 0 = no limit"];

    Trusted "trusted" Val ServerAuth V3_0 false
        ["Trust anchors for checking signed CMP responses when",
         "-srvcert is not given"];
    Untrusted "untrusted" Val ServerAuth V3_0 false
        ["Intermediate CA certs to build chains of CMP, TLS and enrolled certs"];
    Srvcert "srvcert" Val ServerAuth V3_0 false
        ["Server certificate to pin and trust directly for signed CMP responses"];
    ExpectSender "expect_sender" Val ServerAuth V3_0 false
        ["DN the responses must come from. Default: subject of -srvcert, if given"];
    IgnoreKeyusage "ignore_keyusage" Flag ServerAuth V3_0 false
        ["Do not require 'digitalSignature' key usage in the CMP signer certificate"];
    UnprotectedErrors "unprotected_errors" Flag ServerAuth V3_0 false
        ["Accept error messages and negative certificate responses (ip/cp/kup),",
         "revocation responses (rp) and PKIConf without valid protection",
         "WARNING: this allows behavior that does not conform to RFC 9810"];
    TaInIpExtracerts "ta_in_ip_extracerts" Flag ServerAuth V4_0 false
        ["Let the self-issued certificates in the extraCerts of an ip serve as trust",
         "anchors for its signer and the new certificate (3GPP TS 33.310)",
         "WARNING: this allows behavior that does not conform to RFC 9810"];
    NoCacheExtracerts "no_cache_extracerts" Flag ServerAuth V3_3 false
        ["Do not keep the certificates of the extraCerts field of received messages"];
    Srvcertout "srvcertout" Val ServerAuth V3_2 false
        ["Where to store the server certificate validated for response protection"];
    Extracertsout "extracertsout" Val ServerAuth V3_0 false
        ["Where to store the certificates received in the extraCerts field"];
    Cacertsout "cacertsout" Val ServerAuth V3_0 false
        ["Where to store CA certs received in caPubs or in a genp of type caCerts"];
    Oldwithold "oldwithold" Val ServerAuth V3_2 false
        ["Root CA certificate to ask an update for in a genm of type rootCaCert"];
    Newwithnew "newwithnew" Val ServerAuth V3_2 false
        ["Where to store the NewWithNew cert of a genp of type rootCaKeyUpdate"];
    Newwithold "newwithold" Val ServerAuth V3_2 false
        ["Where to store the NewWithOld cert of a genp of type rootCaKeyUpdate"];
    Oldwithnew "oldwithnew" Val ServerAuth V3_2 false
        ["Where to store the OldWithNew cert of a genp of type rootCaKeyUpdate"];
    Crlcert "crlcert" Val ServerAuth V3_4 false
        ["Certificate whose CRL to ask for in a genm of type crlStatusList"];
    Oldcrl "oldcrl" Val ServerAuth V3_4 false ["CRL to ask an update for in a genm of type crlStatusList"];
    Crlout "crlout" Val ServerAuth V3_4 false ["Where to store the new CRL of a genp of type 'crls'"];

    Ref "ref" Val ClientAuth V3_0 false ["Reference value to send as senderKID when no -cert is given"];
    Secret "secret" Val ClientAuth V3_0 true
        ["Password source for PBM protection of messages (preferred over signatures)"];
    Cert "cert" Val ClientAuth V3_0 false
        ["Client's CMP signer certificate; must match the -key argument",
         "It is also the default reference for subject DN and SANs.",
         "Any further certificates in the file are added to the untrusted certs"];
    OwnTrusted "own_trusted" Val ClientAuth V3_0 false
        ["Optional trust anchors for checking the chain of the own CMP signer cert"];
    Key "key" Val ClientAuth V3_0 false ["CMP signer private key; not used when -secret is given"];
    Keypass "keypass" Val ClientAuth V3_0 true
        ["Pass phrase source for the client key (and for -cert and -oldcert)"];
    Digest "digest" Val ClientAuth V3_0 false
        ["Digest for message protection and POPO signatures. Default \"sha256\""];
    Mac "mac" Val ClientAuth V3_0 false ["MAC algorithm for PBM-based message protection. Default \"hmac-sha1\""];
    Extracerts "extracerts" Val ClientAuth V3_0 false
        ["Certificates to add to the extraCerts field of outgoing messages.",
         "Useful as the default chain of the CMP signer cert to send along"];
    UnprotectedRequests "unprotected_requests" Flag ClientAuth V3_0 false
        ["Send requests without CMP-level protection"];

    Certform "certform" Val CredentialsFormat V3_0 false
        ["Format (PEM or DER) for certificates written to files. Default PEM"];
    Crlform "crlform" Val CredentialsFormat V3_4 false
        ["Format (PEM or DER) for CRLs written to files. Default DER"];
    Keyform "keyform" Val CredentialsFormat V3_0 false
        ["Format of key input (ENGINE; any other value is ignored)"];
    Otherpass "otherpass" Val CredentialsFormat V3_0 true
        ["Pass phrase source that loading other parties' certificates may need"];
    Engine "engine" Val CredentialsFormat V3_0 false
        ["Use the crypto engine with this identifier, which may be a hardware device.",
         "Engines can also be set up in the engine section of the OpenSSL config file."];

    ProviderPath "provider-path" Val Provider V3_0 false
        ["Where to load providers from (put it before any 'provider' option)"];
    Provider "provider" Val Provider V3_0 false ["Provider to load (may be given more than once)"];
    Provparam "provparam" Val Provider V3_5 false ["Set a key=value parameter of a provider"];
    Propquery "propquery" Val Provider V3_0 false ["Property query to use when fetching algorithms"];

    Rand "rand" Val RandomState V3_0 false ["File(s) to feed into the random number generator"];
    Writerand "writerand" Outfile RandomState V3_0 false ["File to write random data to"];

    TlsUsed "tls_used" Flag Tls V3_0 false ["Use TLS (even when no other TLS option is given)"];
    TlsCert "tls_cert" Val Tls V3_0 false
        ["Client's TLS certificate, optionally followed by its chain for the TLS server"];
    TlsKey "tls_key" Val Tls V3_0 false ["Private key of the client's TLS certificate"];
    TlsKeypass "tls_keypass" Val Tls V3_0 true
        ["Pass phrase source for the client's TLS key (and TLS certificate)"];
    TlsExtra "tls_extra" Val Tls V3_0 false ["Extra certificates to send to the TLS server in the handshake"];
    TlsTrusted "tls_trusted" Val Tls V3_0 false
        ["Trust anchors for checking the TLS server certificate;",
         "giving it turns on hostname validation"];
    TlsHost "tls_host" Val Tls V3_0 false
        ["Address to check in TLS hostname validation instead of the -server one"];

    Batch "batch" Flag ClientDebug V3_0 false ["Never prompt interactively, e.g., for a password"];
    Repeat "repeat" PosInt ClientDebug V3_0 false ["Run the transaction this many times (at least 1). Default 1"];
    Reqin "reqin" Val ClientDebug V3_0 false ["File(s) to read the CMP requests to send from, in order"];
    ReqinNewTid "reqin_new_tid" Flag ClientDebug V3_0 false
        ["Give the requests read with -reqin a fresh transactionID"];
    Reqout "reqout" Val ClientDebug V3_0 false ["File(s) to write the CMP requests sent by the client to"];
    ReqoutOnly "reqout_only" Val ClientDebug V3_3 false
        ["Write the first CMP request to this file and stop without sending it"];
    Rspin "rspin" Val ClientDebug V3_0 false
        ["File(s) to read the CMP responses from instead of asking a server"];
    Rspout "rspout" Val ClientDebug V3_0 false ["File(s) to write the CMP responses actually used to"];
    UseMockSrv "use_mock_srv" Flag ClientDebug V3_0 false
        ["Talk to the built-in mock server directly instead of over HTTP"];

    Port "port" Val MockServer V3_0 false ["Run as HTTP mock server listening on this port"];
    MaxMsgs "max_msgs" Nonneg MockServer V3_0 false
        ["Stop the HTTP mock server after this many messages. Default: 0 = no limit"];
    SrvRef "srv_ref" Val MockServer V3_0 false
        ["Reference value the server sends as senderKID when no -srv_cert is given"];
    SrvSecret "srv_secret" Val MockServer V3_0 true
        ["Password source of the pre-shared secret used to authenticate the server"];
    SrvCert "srv_cert" Val MockServer V3_0 false ["Certificate of the mock server"];
    SrvKey "srv_key" Val MockServer V3_0 false ["Private key the mock server signs messages with"];
    SrvKeypass "srv_keypass" Val MockServer V3_0 true
        ["Pass phrase source for the server key (and server cert)"];
    SrvTrusted "srv_trusted" Val MockServer V3_0 false ["Trust anchors for authenticating clients"];
    SrvUntrusted "srv_untrusted" Val MockServer V3_0 false
        ["Intermediate certs that may help to check CMP protection"];
    RefCert "ref_cert" Val MockServer V3_2 false
        ["Certificate expected in rr and as oldCertID in kur requests"];
    RspCert "rsp_cert" Val MockServer V3_0 false ["Certificate the mock server hands out when enrolling"];
    RspKey "rsp_key" Val MockServer V3_5 false
        ["Private key of the certificate the mock server hands out;",
         "also the key returned on central key generation"];
    RspKeypass "rsp_keypass" Val MockServer V3_5 true
        ["Pass phrase source for the response key (and certificate)"];
    RspCrl "rsp_crl" Val MockServer V3_4 false ["CRL to return in a genp of type crls"];
    RspExtracerts "rsp_extracerts" Val MockServer V3_0 false
        ["Extra certificates to put into mock certification responses"];
    RspCapubs "rsp_capubs" Val MockServer V3_0 false ["CA certificates to put into the mock ip response"];
    RspNewwithnew "rsp_newwithnew" Val MockServer V3_2 false
        ["New root CA certificate to return in a genp of type rootCaKeyUpdate"];
    RspNewwithold "rsp_newwithold" Val MockServer V3_2 false
        ["NewWithOld link certificate to return in a genp of type rootCaKeyUpdate"];
    RspOldwithnew "rsp_oldwithnew" Val MockServer V3_2 false
        ["OldWithNew link certificate to return in a genp of type rootCaKeyUpdate"];
    PollCount "poll_count" Nonneg MockServer V3_0 false
        ["How often the client has to poll before it gets the certificate"];
    CheckAfter "check_after" Nonneg MockServer V3_0 false
        ["checkAfter value (seconds to wait) to put into poll responses"];
    GrantImplicitconf "grant_implicitconf" Flag MockServer V3_0 false
        ["Grant implicit confirmation of the newly enrolled certificate"];
    Pkistatus "pkistatus" Nonneg MockServer V3_0 false
        ["PKIStatus to put into the server response, one of 0..6"];
    Failure "failure" Nonneg MockServer V3_0 false
        ["Number of one failure info bit to set in the server response, 0..26"];
    Failurebits "failurebits" Nonneg MockServer V3_0 false
        ["Failure info bits to set in the server response, as a number 0..2^27 - 1"];
    Statusstring "statusstring" Val MockServer V3_0 false ["Status string to put into the server response"];
    SendError "send_error" Flag MockServer V3_0 false ["Make the server answer with an error message"];
    SendUnprotected "send_unprotected" Flag MockServer V3_0 false
        ["Send responses without CMP-level protection"];
    SendUnprotErr "send_unprot_err" Flag MockServer V3_0 false
        ["For negative outcomes, let the server send error messages, certificate",
         "responses (ip/cp/kup) and revocation responses (rp) unprotected.",
         "WARNING: this does not conform to RFC 9810"];
    AcceptUnprotected "accept_unprotected" Flag MockServer V3_0 false
        ["Accept requests without valid protection"];
    AcceptUnprotErr "accept_unprot_err" Flag MockServer V3_0 false
        ["Accept error messages from the client without protection"];
    AcceptRaverified "accept_raverified" Flag MockServer V3_0 false
        ["Accept RAVERIFIED as proof-of-possession (POPO)"];

    Policy "policy" Val Validation V3_0 false ["add a policy to the set of acceptable policies"];
    Purpose "purpose" Val Validation V3_0 false ["purpose the certificate chain must serve"];
    VerifyName "verify_name" Val Validation V3_0 false ["named set of verification parameters"];
    VerifyDepth "verify_depth" Int Validation V3_0 false ["maximum chain depth"];
    AuthLevel "auth_level" Int Validation V3_0 false ["security level required of the chain"];
    Attime "attime" Intmax Validation V3_0 false ["time to verify at, in seconds since the epoch"];
    VerifyHostname "verify_hostname" Val Validation V3_0 false ["hostname the peer must match"];
    VerifyEmail "verify_email" Val Validation V3_0 false ["email address the peer must match"];
    VerifyIp "verify_ip" Val Validation V3_0 false ["IP address the peer must match"];
    IgnoreCritical "ignore_critical" Flag Validation V3_0 false ["accept unknown critical extensions"];
    IssuerChecks "issuer_checks" Flag Validation V3_0 false ["(deprecated)"];
    CrlCheck "crl_check" Flag Validation V3_0 false ["check the revocation status of the leaf certificate"];
    CrlCheckAll "crl_check_all" Flag Validation V3_0 false ["check the revocation status of the whole chain"];
    PolicyCheck "policy_check" Flag Validation V3_0 false ["do RFC 5280 policy processing"];
    ExplicitPolicy "explicit_policy" Flag Validation V3_0 false ["set require-explicit-policy"];
    InhibitAny "inhibit_any" Flag Validation V3_0 false ["set inhibit-any-policy"];
    InhibitMap "inhibit_map" Flag Validation V3_0 false ["set inhibit-policy-mapping"];
    X509Strict "x509_strict" Flag Validation V3_0 false ["no work-arounds for non-conforming certificates"];
    ExtendedCrl "extended_crl" Flag Validation V3_0 false ["turn on extended CRL features"];
    UseDeltas "use_deltas" Flag Validation V3_0 false ["use delta CRLs as well"];
    PolicyPrint "policy_print" Flag Validation V3_0 false ["print diagnostics of policy processing"];
    CheckSsSig "check_ss_sig" Flag Validation V3_0 false ["check the self-signatures of root CAs"];
    TrustedFirst "trusted_first" Flag Validation V3_0 false ["look in the trust store first (default)"];
    SuiteB128Only "suiteB_128_only" Flag Validation V3_0 false ["Suite B 128-bit-only mode"];
    SuiteB128 "suiteB_128" Flag Validation V3_0 false ["Suite B 128-bit mode, 192-bit algorithms allowed"];
    SuiteB192 "suiteB_192" Flag Validation V3_0 false ["Suite B 192-bit-only mode"];
    PartialChain "partial_chain" Flag Validation V3_0 false
        ["accept chains ending at an intermediate CA of the trust store"];
    NoAltChains "no_alt_chains" Flag Validation V3_0 false ["(deprecated)"];
    NoCheckTime "no_check_time" Flag Validation V3_0 false ["do not check validity periods"];
    AllowProxyCerts "allow_proxy_certs" Flag Validation V3_0 false ["accept proxy certificates"];

    Pbmac1 "pbmac1" Flag Extensions Rcmp false
        ["With -secret, protect requests with PBMAC1 (RFC 9481: PBKDF2 and HMAC-SHA2)",
         "instead of PBM; -digest picks the PBKDF2 PRF hash, -mac the HMAC"];
    PbmIterations "pbm_iterations" PosInt Extensions Rcmp false
        ["Iteration count of PBM (100..100000, default 500) or of PBKDF2",
         "for -pbmac1 (1000..1000000, default 10000)"];
    PbmSaltlen "pbm_saltlen" PosInt Extensions Rcmp false
        ["Salt length in bytes for PBM and PBMAC1 (8..1024). Default 16"];
    SrvTlsCert "srv_tls_cert" Val Extensions Rcmp false
        ["Mock server: serve -port over TLS with this certificate (and its chain)"];
    SrvTlsKey "srv_tls_key" Val Extensions Rcmp false ["Mock server: private key of -srv_tls_cert"];
    SrvTlsKeypass "srv_tls_keypass" Val Extensions Rcmp true
        ["Mock server: pass phrase source for -srv_tls_key (and -srv_tls_cert)"];
    SrvTlsTrusted "srv_tls_trusted" Val Extensions Rcmp false
        ["Mock server: require TLS client certificates that chain to these trust anchors"];
}

impl Opt {
    pub fn info(self) -> &'static OptInfo {
        // The table is generated together with the enum, in the same order.
        &OPTIONS[self as usize]
    }
    /// The name without the dash, as used in the config file (`keep_alive`).
    pub fn name(self) -> &'static str {
        self.info().name
    }
    pub fn kind(self) -> Kind {
        self.info().kind
    }
    pub fn group(self) -> Group {
        self.info().group
    }
    pub fn since(self) -> Since {
        self.info().since
    }
    /// See [`OptInfo::secret`].
    pub fn is_secret(self) -> bool {
        self.info().secret
    }
    /// Look an option up by its current name without dash; `h` is not an alias here (see the parser).
    /// An option the imitated release does not have (`-engine` for OpenSSL 4.0) is not found.
    pub fn from_name(name: &str) -> Option<Opt> {
        OPTIONS
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.opt)
            .filter(|o| o.available())
    }
    /// [`Opt::from_name`], also finding the old names of [`OLD_NAMES`] (then returned as well).
    pub fn lookup(name: &str) -> Option<(Opt, Option<&'static OldName>)> {
        Opt::from_name(name).map(|o| (o, None)).or_else(|| {
            OLD_NAMES
                .iter()
                .find(|a| a.name == name)
                .map(|a| (a.opt, Some(a)))
        })
    }
    /// Whether the release rcmp imitates (`RCMP_COMPAT`) has this option. OpenSSL 4.0 dropped
    /// `-engine`; options added by later releases are accepted under every setting (they only add
    /// behaviour) but listed by `-help` only for the release that has them.
    pub fn available(self) -> bool {
        REMOVED
            .iter()
            .all(|(opt, release)| *opt != self || Since::imitated() < *release)
    }
    /// Whether `-help` lists the option: the options of the imitated release's own `-help`, then
    /// rcmp's extensions in their own last group.
    pub fn in_help(self) -> bool {
        // Under RCMP_COMPAT=3.0 the list is still 3.5's: the 3.0 settings change behaviour, not names.
        let newest = Since::imitated().max(Since::V3_5);
        self.available() && (self.since() <= newest || self.since() == Since::Rcmp)
    }
    /// All options in table order.
    pub fn all() -> impl Iterator<Item = Opt> {
        OPTIONS.iter().map(|o| o.opt)
    }
}

/// Options a later OpenSSL release dropped, and that release: under its `RCMP_COMPAT` setting (and
/// later ones) they are unknown options, as there.
pub const REMOVED: &[(Opt, Since)] = &[(Opt::Engine, Since::V4_0)];

/// What the value of an option names, beyond its parser [`Kind`]: what the man page and the shell
/// completions offer for it.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueHint {
    /// A flag, or a value with nothing useful to offer (a DN, a URL, a number, a pass phrase source).
    Text,
    /// One or more files to read (several are comma-separated where the option allows it).
    InFile,
    /// A file to write.
    OutFile,
    /// A folder.
    Dir,
    /// One of these words.
    Choice(&'static [&'static str]),
}

/// The commands `-cmd` takes.
pub const CMD_VALUES: &[&str] = &["ir", "cr", "kur", "p10cr", "rr", "genm"];
/// The formats `-certform` and `-crlform` take.
#[cfg(test)]
pub const FORM_VALUES: &[&str] = &["PEM", "DER"];
/// The formats `-keyform` takes (rcmp reads the key format from the file itself, as OpenSSL 3 does).
#[cfg(test)]
pub const KEYFORM_VALUES: &[&str] = &["PEM", "DER", "P12", "ENGINE"];
/// The values of `-verbosity`, `-keep_alive` and `-popo` that mean something.
#[cfg(test)]
const VERBOSITY_VALUES: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8"];
#[cfg(test)]
const KEEP_ALIVE_VALUES: &[&str] = &["0", "1", "2"];
#[cfg(test)]
const POPO_VALUES: &[&str] = &["-1", "0", "1", "2"];

impl Opt {
    /// What the option's value names (see [`ValueHint`]). `-infotype` names come from the InfoType
    /// table of `asn1::oid`, so they are offered by [`Opt::choices`] instead of listed here.
    #[cfg(test)]
    pub fn value_hint(self) -> ValueHint {
        use Opt::*;
        match self {
            Config | Newkey | Csr | OutTrusted | Oldcert | Trusted | Untrusted | Srvcert
            | Oldwithold | Crlcert | Oldcrl | Cert | OwnTrusted | Key | Extracerts | Rand
            | TlsCert | TlsKey | TlsExtra | TlsTrusted | Reqin | Rspin | SrvCert | SrvKey
            | SrvTrusted | SrvUntrusted | RefCert | RspCert | RspKey | RspCrl | RspExtracerts
            | RspCapubs | RspNewwithnew | RspNewwithold | RspOldwithnew => ValueHint::InFile,
            Template | Keyspec | Newkeyout | Certout | Chainout | Srvcertout | Extracertsout
            | Cacertsout | Newwithnew | Newwithold | Oldwithnew | Crlout | Writerand | Reqout
            | ReqoutOnly | Rspout => ValueHint::OutFile,
            ProviderPath => ValueHint::Dir,
            Cmd => ValueHint::Choice(CMD_VALUES),
            Certform | Crlform => ValueHint::Choice(FORM_VALUES),
            Keyform => ValueHint::Choice(KEYFORM_VALUES),
            Verbosity => ValueHint::Choice(VERBOSITY_VALUES),
            KeepAlive => ValueHint::Choice(KEEP_ALIVE_VALUES),
            Popo => ValueHint::Choice(POPO_VALUES),
            _ => ValueHint::Text,
        }
    }

    /// The words to offer for the value: the [`ValueHint::Choice`] list, or for `-infotype` the
    /// InfoType names OpenSSL knows (without their `id-it-` prefix, as `-infotype` takes them).
    #[cfg(test)]
    pub fn choices(self) -> Vec<&'static str> {
        match (self, self.value_hint()) {
            (Opt::Infotype, _) => crate::asn1::oid::INFO_TYPES
                .iter()
                .map(|(_, n)| n.strip_prefix("id-it-").unwrap_or(n))
                .collect(),
            (_, ValueHint::Choice(words)) => words.to_vec(),
            _ => Vec::new(),
        }
    }
}

/// A name the option had in CMP for OpenSSL, the project `openssl cmp` grew out of (its `apps/cmp.c`
/// option table, as used in the EJBCA guide of 2014). Scripts written for it still run: the old name
/// is accepted with a warning naming the current one. Old names are not listed by `-help` (see
/// docs/COMPATIBILITY.md) and are not read from config files, whose keys were never renamed for us.
#[derive(Debug)]
pub struct OldName {
    /// The old name without the leading dash.
    pub name: &'static str,
    /// The option it is now.
    pub opt: Opt,
    /// The old option took the password itself, where the current one takes a pass phrase source
    /// (`pass:...`, `env:...`, `file:...`): the value is used as `pass:<value>`.
    pub literal_secret: bool,
}

macro_rules! old_names {
    ($( $name:literal $opt:ident $literal:literal ; )*) => {
        /// The renamed options of CMP for OpenSSL, and what they are called now.
        pub static OLD_NAMES: &[OldName] = &[ $( OldName {
            name: $name,
            opt: Opt::$opt,
            literal_secret: $literal,
        }, )* ];
    };
}

old_names! {
    "user" Ref false;
    "pass" Secret true;
    "keyfmt" Keyform false;
    "certfmt" Certform false;
    "extcerts" Extracerts false;
    "implicitconfirm" ImplicitConfirm false;
    "disableconfirm" DisableConfirm false;
    "unprotectederrors" UnprotectedErrors false;
    "use-tls" TlsUsed false;
    "tls-cert" TlsCert false;
    "tls-key" TlsKey false;
    "tls-keypass" TlsKeypass true;
    "tls-trusted" TlsTrusted false;
}

/// Where in its client set-up OpenSSL checks an option against the command; each place has its
/// own wording, and the warnings must come in OpenSSL's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Options that shape the certificate template, checked for the other commands.
    Template,
    /// Options about confirming and storing a new certificate.
    NewCert,
    /// `-serial` outside rr.
    Revocation,
    /// Options about the new key, checked for p10cr, rr and genm.
    NewKey,
    /// `-csr` with genm.
    Csr,
    /// `-revreason` outside rr (OpenSSL 4.0), just before the `-oldcert` checks.
    Revreason,
    /// `-oldcert` with genm.
    Oldcert,
    /// `-infotype` outside genm.
    Infotype,
}

/// One "option is ignored" warning of OpenSSL's client set-up.
#[derive(Debug)]
pub struct Ignored {
    pub opt: Opt,
    pub stage: Stage,
    /// The commands for which the warning is given: the ones the option is not for (see
    /// [`OptInfo::cmds`]), or fewer where OpenSSL does not check them all.
    pub warn_for: Cmds,
    /// The first and last release that gives this warning (with this wording).
    pub releases: (Since, Since),
    /// The warning; `{}` stands for how the option is named in it.
    pub text: &'static str,
    /// How the warning names the option when not as `-name`.
    pub label: Option<&'static str>,
}

const OTHER_THAN_ENROLL: &str =
    "{} option is ignored for commands other than 'ir', 'cr', and 'kur'";
const NOT_IN_P10CR_RR_GENM: &str = "{} option is ignored for 'p10cr', 'rr', and 'genm' commands";
const NOT_IN_P10CR_RR: &str = "{} option is ignored for 'p10cr' and 'rr' commands";
const NOT_IN_GENM: &str = "{} option is ignored for 'genm' command";

macro_rules! ignored {
    ($( $opt:ident $stage:ident $cmds:ident $from:ident $to:ident $text:expr $(, $label:literal)? ; )*) => {
        /// OpenSSL's "option is ignored" warnings of the client set-up, in its order within each stage.
        pub static IGNORED: &[Ignored] = &[ $( Ignored {
            opt: Opt::$opt,
            stage: Stage::$stage,
            warn_for: Cmds::$cmds,
            releases: (Since::$from, Since::$to),
            text: $text,
            label: label_or_none!($($label)?),
        }, )* ];
    };
}

macro_rules! label_or_none {
    () => {
        None
    };
    ($label:literal) => {
        Some($label)
    };
}

// The `warn_for` sets: NOT_ENROLL = p10cr, rr, genm; NOT_ENROLL_RR = p10cr, genm;
// NOT_CERT_REQ = rr, genm; see `Cmds` for the others.
impl Cmds {
    pub const NOT_ENROLL: Cmds = Cmds(0x38);
    pub const NOT_ENROLL_RR: Cmds = Cmds(0x28);
    pub const NOT_CERT_REQ: Cmds = Cmds(0x30);
    pub const NOT_RR: Cmds = Cmds(0x2f);
}

ignored! {
    // Before -serial (3.2) rr could not name the certificate by -issuer either.
    Issuer Template NOT_ENROLL V3_0 V3_0 OTHER_THAN_ENROLL;
    Issuer Template NOT_ENROLL_RR V3_2 V4_0
        "{} option is ignored for commands other than 'ir', 'cr', and 'kur' and 'rr'";
    Reqexts Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL;
    SanNodefault Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL;
    Sans Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL;
    Policies Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL;
    PolicyOids Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL;
    Popo Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL;
    Centralkeygen Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL, "-popo -1 or -centralkeygen";
    Newkeyout Template NOT_ENROLL V3_0 V4_0 OTHER_THAN_ENROLL;
    ImplicitConfirm NewCert NOT_CERT_REQ V3_0 V4_0
        "{} option is ignored for commands other than 'ir', 'cr', and 'kur', and 'p10cr'";
    DisableConfirm NewCert NOT_CERT_REQ V3_0 V4_0
        "{} option is ignored for commands other than 'ir', 'cr', and 'kur', and 'p10cr'";
    Certout NewCert NOT_CERT_REQ V3_5 V4_0
        "{} option is ignored for commands other than 'ir', 'cr', and 'kur', and 'p10cr'";
    Chainout NewCert NOT_CERT_REQ V3_0 V4_0
        "{} option is ignored for commands other than 'ir', 'cr', and 'kur', and 'p10cr'";
    Serial Revocation NOT_RR V3_0 V4_0 "Ignoring {} for command other than 'rr'";
    Newkeypass NewKey P10CR_RR V3_0 V3_0 NOT_IN_P10CR_RR, "-newkeytype";
    Newkeypass NewKey NOT_ENROLL V3_5 V4_0 NOT_IN_P10CR_RR_GENM;
    Newkey NewKey P10CR_RR V3_0 V3_0 NOT_IN_P10CR_RR;
    Newkey NewKey NOT_ENROLL V3_5 V4_0 NOT_IN_P10CR_RR_GENM;
    Days NewKey P10CR_RR V3_0 V3_0 NOT_IN_P10CR_RR;
    Days NewKey NOT_ENROLL V3_5 V4_0 NOT_IN_P10CR_RR_GENM;
    Popo NewKey P10CR_RR V3_0 V3_0 NOT_IN_P10CR_RR;
    Popo NewKey NOT_ENROLL V3_5 V4_0 NOT_IN_P10CR_RR_GENM;
    OutTrusted NewKey NOT_ENROLL V3_5 V3_5 NOT_IN_P10CR_RR_GENM;
    OutTrusted NewKey NOT_CERT_REQ V4_0 V4_0 "{} is ignored for 'rr' and 'genm' commands";
    Csr Csr GENM V3_0 V4_0 NOT_IN_GENM;
    Revreason Revreason NOT_RR V4_0 V4_0 "{} option is ignored for commands other than 'rr'";
    Oldcert Oldcert GENM V3_0 V4_0 NOT_IN_GENM;
    Infotype Infotype NOT_GENM V3_5 V4_0 "{} option is ignored for commands other than 'genm'";
}

impl Ignored {
    /// The warning line for this rule.
    pub fn line(&self) -> String {
        let label = match self.label {
            Some(l) => l.to_string(),
            None => self.opt.to_string(),
        };
        self.text.replacen("{}", &label, 1)
    }

    /// Whether the release rcmp imitates gives this warning for `cmds`.
    pub fn applies(&self, cmds: Cmds) -> bool {
        let now = Since::imitated();
        self.warn_for.contains(cmds) && self.releases.0 <= now && now <= self.releases.1
    }
}

/// The "option is ignored" lines of one stage for command `cmd`, in OpenSSL's order; `given` says
/// whether an option counts as given (it is the caller's: a zero `-days` does not).
pub fn ignored_lines(stage: Stage, cmd: &str, given: impl Fn(Opt) -> bool) -> Vec<String> {
    let Some(cmds) = Cmds::of(cmd) else {
        return Vec::new();
    };
    IGNORED
        .iter()
        .filter(|r| r.stage == stage && r.applies(cmds) && given(r.opt))
        .map(Ignored::line)
        .collect()
}

/// Whether the release rcmp imitates ignores `opt` (with a warning of [`IGNORED`]) for command `cmd`.
pub fn is_ignored(opt: Opt, cmd: &str) -> bool {
    Cmds::of(cmd).is_some_and(|cmds| IGNORED.iter().any(|r| r.opt == opt && r.applies(cmds)))
}

/// Prints the option as typed on the command line: `-keep_alive`.
impl fmt::Display for Opt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-{}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_enum() {
        // OpenSSL 3.5's 157 options, 4.0's additions, then rcmp's own (listed last, in their group).
        assert_eq!(
            OPTIONS.iter().filter(|o| o.since <= Since::V3_5).count(),
            157
        );
        assert_eq!(OPTIONS.iter().filter(|o| o.since == Since::V4_0).count(), 1);
        assert!(OPTIONS
            .iter()
            .filter(|o| o.since == Since::Rcmp)
            .all(|o| o.group == Group::Extensions));
        for (i, o) in OPTIONS.iter().enumerate() {
            assert_eq!(o.opt as usize, i, "{}", o.name);
        }
        assert_eq!(Opt::KeepAlive.to_string(), "-keep_alive");
        assert_eq!(Opt::from_name("provider-path"), Some(Opt::ProviderPath));
    }

    #[test]
    fn old_names_point_to_current_options() {
        for a in OLD_NAMES {
            assert!(
                Opt::from_name(a.name).is_none(),
                "{} is a current name",
                a.name
            );
            assert_eq!(a.literal_secret, a.opt.is_secret(), "{}", a.name);
            assert_eq!(
                OLD_NAMES.iter().filter(|b| b.name == a.name).count(),
                1,
                "{}",
                a.name
            );
        }
        assert_eq!(Opt::lookup("user").map(|(o, _)| o), Some(Opt::Ref));
        assert!(Opt::lookup("ref").is_some_and(|(o, a)| o == Opt::Ref && a.is_none()));
    }

    #[test]
    fn ignored_warnings_agree_with_the_commands_column() {
        for r in IGNORED {
            // A warning is given only for commands the option is not for (in the releases of the
            // rule: rr takes -issuer only since -serial came, in 3.2), and names the option.
            let cmds = match r.opt {
                Opt::Issuer if r.releases.1 < Since::V3_2 => Cmds::ENROLL,
                _ => r.opt.info().cmds,
            };
            assert_eq!(r.warn_for.and_not(cmds), r.warn_for, "{}", r.opt);
            assert!(r.releases.0 <= r.releases.1, "{}", r.opt);
            assert!(r.line().contains(r.label.unwrap_or(&r.opt.to_string())));
        }
        // Each option's rules of a stage cover disjoint release ranges, so one line at most.
        for (i, a) in IGNORED.iter().enumerate() {
            for b in &IGNORED[i + 1..] {
                if a.opt == b.opt && a.stage == b.stage {
                    assert!(a.releases.1 < b.releases.0, "{}", a.opt);
                }
            }
        }
        assert_eq!(
            Cmds::ENROLL.names().collect::<Vec<_>>(),
            ["ir", "cr", "kur"]
        );
        assert_eq!(Cmds::of("rr"), Some(Cmds::RR));
        assert_eq!(Cmds::ALL.and_not(Cmds::ENROLL), Cmds::NOT_ENROLL);
        assert_eq!(Cmds::ALL.and_not(Cmds::CERT_REQ), Cmds::NOT_CERT_REQ);
        assert_eq!(Cmds::ALL.and_not(Cmds::ENROLL_RR), Cmds::NOT_ENROLL_RR);
        assert_eq!(Cmds::ALL.and_not(Cmds::GENM), Cmds::NOT_GENM);
        assert_eq!(Cmds::ALL.and_not(Cmds::RR), Cmds::NOT_RR);
        assert_eq!(Cmds::IR.0 | Cmds::CR.0 | Cmds::KUR.0, Cmds::ENROLL.0);
        assert_eq!(Cmds::P10CR.0 | Cmds::RR.0, Cmds::P10CR_RR.0);
    }

    #[test]
    fn ignored_lines_follow_the_imitated_release() {
        // The default (and the tests') release is 3.5.
        let lines = ignored_lines(Stage::NewKey, "genm", |o| o == Opt::Newkeypass);
        assert_eq!(
            lines,
            ["-newkeypass option is ignored for 'p10cr', 'rr', and 'genm' commands"]
        );
        assert!(ignored_lines(Stage::NewKey, "ir", |_| true).is_empty());
        assert!(is_ignored(Opt::Csr, "genm") && !is_ignored(Opt::Csr, "p10cr"));
        assert!(Opt::Engine.available());
    }

    #[test]
    fn versions() {
        assert_eq!(
            OPTIONS.iter().filter(|o| o.since == Since::V3_0).count(),
            132
        );
        let secrets: Vec<_> = OPTIONS
            .iter()
            .filter(|o| o.secret)
            .map(|o| o.name)
            .collect();
        assert_eq!(
            secrets,
            [
                "newkeypass",
                "secret",
                "keypass",
                "otherpass",
                "tls_keypass",
                "srv_secret",
                "srv_keypass",
                "rsp_keypass",
                "srv_tls_keypass"
            ]
        );
    }
}
