//! Glue between the transaction and the `transfer` area's HTTP client: the client's [`Transfer`] trait
//! over [`HttpClient::exchange`], which already takes the same arguments.

use std::time::Instant;

use super::session::Transfer;
use crate::error::Result;
use crate::transfer::HttpClient;

impl Transfer for HttpClient {
    fn exchange(
        &mut self,
        req_der: &[u8],
        keep_alive: bool,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>> {
        HttpClient::exchange(self, req_der, keep_alive, deadline)
    }
}
