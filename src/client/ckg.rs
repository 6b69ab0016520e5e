//! Central key generation, client side: the key a CA generated for us arrives wrapped in CMS (see
//! [`crate::protect::keywrap`], which the mock server uses to wrap it). The session calls
//! [`unwrap_key`] from here, so the CMS code has one home for both roles.

pub use crate::protect::keywrap::{unwrap_key, UnwrapParams};
