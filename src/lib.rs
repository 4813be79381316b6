//! An embeddable WebAssembly auth component.
//!
//! One platform-free core parses and validates credentials (our own JWTs, `sk-` API keys and,
//! later, OAuth2 tokens from an external identity provider) and models every response of the
//! auth REST API. Thin adapters run it on a Cloudflare Worker over Workers KV (feature
//! `worker`) and in browsers and Node as an npm package (feature `wasm`).
//!
//! Design decisions:
//!
//! - **Sans-IO core.** The core never touches the network, a clock or an RNG itself: it is
//!   generic over the [`Store`], [`Clock`] and [`Random`] ports, so the whole REST surface is
//!   tested natively through [`App::handle`], a function from an HTTP [`Request`] to an HTTP
//!   [`Response`], against [`testing::MemoryStore`], [`testing::FixedClock`] and
//!   [`testing::SeqRandom`].
//! - **Untrusted until verified.** A bearer credential becomes a [`Principal`] only through
//!   [`auth::Authenticator::authenticate`]; tokens are verified with an algorithm we choose, never the header.
//! - **One error type** ([`AuthError`]) is mapped to a status, body and headers in exactly one
//!   place ([`AuthError::into_response`]); internals never reach clients.
//! - **Shaped for KV.** One record per key, no read-modify-write lists, TTLs of at least 60 s
//!   (see [`storage`]).
//! - **Secrets stay secret.** Passwords are argon2id hashes, API keys and refresh tokens are
//!   stored as peppered HMACs, private keys are AES-256-GCM encrypted with the user id as
//!   associated data, and every secret value lives in a [`Secret`] with a redacted `Debug`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api_key;
pub mod app;
pub mod auth;
pub mod base62;
pub mod config;
pub mod error;
pub mod http;
pub mod memo;
pub mod model;
pub mod oidc;
pub mod openapi;
pub mod password;
pub mod ports;
pub mod private_key;
pub mod requests;
pub mod secret;
pub mod session;
pub mod signin;
pub mod storage;
pub mod testing;
pub mod throttle;
pub mod token;
pub mod validate;

#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
pub mod wasm;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub mod worker;

pub use app::App;
pub use auth::{Access, Principal, Scheme};
pub use config::Config;
pub use error::AuthError;
pub use http::{Request, Response};
pub use ports::{Clock, Random, Store};
pub use secret::Secret;
