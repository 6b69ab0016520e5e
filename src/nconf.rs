//! Placeholder: the openssl.cnf (NCONF) parser.
