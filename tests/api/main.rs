//! Every route, status code and error shape of the API, driven through `App::handle` on the
//! in-memory store with a fixed clock and a deterministic RNG: one module per resource, one
//! test binary.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod api_keys;
mod bad_input;
mod cors;
mod credentials;
mod keys_and_secrets;
mod openapi;
mod private_key;
mod provider;
mod sessions;
