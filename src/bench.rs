//! The internals `bench/loadgen` uses, under their internal module paths: its lean mode builds the
//! rcmp client's wire traffic once per thread with the client's own code and patches it per
//! enrollment, which the API (rightly) does not offer. Only with the cargo feature `bench`; nothing
//! here is API.

pub mod asn1 {
    pub use crate::asn1::*;
}
pub mod client {
    pub use crate::client::*;
}
pub mod creds {
    pub use crate::creds::*;
}
pub mod log {
    pub use crate::log::set_verbosity;
}
pub mod protect {
    pub use crate::protect::*;
}
pub mod transfer {
    pub use crate::transfer::*;
}
