//! The parsers that read outside input, re-exported under their internal module paths for the
//! fuzzing harness `fuzz/harness.rs` (see `fuzz/README` or docs/ROBUSTNESS.md). Nothing here is API.

pub mod asn1 {
    pub use crate::asn1::*;
}
pub mod creds {
    pub use crate::creds::*;
}
pub mod extconf {
    pub use crate::extconf::*;
}
pub mod log {
    pub use crate::log::set_verbosity;
}
pub mod nconf {
    pub use crate::nconf::*;
}
pub mod opts {
    pub use crate::opts::*;
}
pub mod protect {
    pub use crate::protect::*;
}
pub mod transfer {
    pub use crate::transfer::*;
}
