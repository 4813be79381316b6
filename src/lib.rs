//! An embeddable WebAssembly auth component.
//!
//! One platform-free core parses and validates credentials (our own JWTs, `sk-` API keys and
//! OAuth2 tokens from an external identity provider) and models every response of the auth
//! REST API. Thin adapters run it on a Cloudflare Worker over Workers KV (feature `worker`)
//! and in browsers and Node as an npm package (feature `wasm`).
//!
//! # Layout
//!
//! Folders are the layers; each imports only the ones above it in this list:
//!
//! - `error.rs`, `http.rs`, `ports.rs`: the ground. The one error type and its one mapping to
//!   HTTP, platform-free requests and responses, the ports ([`Store`], [`Clock`], [`Random`],
//!   the atomic operations in [`ports::Atomic`]; the identity-provider port is
//!   [`oidc::Provider`]).
//! - `util/`: base62 identifiers and [`Secret`].
//! - `store/`: every KV key and record, versioned, with typed ids and instants (`UnixTime`); the
//!   throttle counters; the isolate's short memory of hot records (`cache`).
//! - `credentials/`: who is calling. [`Principal`] and [`Authenticator`]; `jwt/` (our keys,
//!   the one strict JWT parser and verifier), `api_key`, `session` (refresh tokens),
//!   `password` (argon2id), `private_key` (sealed at rest), `oidc` (discovery, JWKS cache,
//!   provider tokens), `memo` (what an isolate remembers between requests).
//! - `config.rs`: the deployment's settings, read once by name, composed of each layer's own
//!   settings types; the credentials layer sees only what [`Config::credentials`] lends it.
//! - `api/`: the REST API. [`App`] (`mod.rs`) and its route table (`routes.rs`), typed request
//!   bodies (`requests.rs` on the 422 collector in `validate.rs`), `responses.rs`, the OpenAPI
//!   document generated from them (`openapi/`), and `handlers/`, one file per resource: accounts, sessions, api_keys,
//!   private_key, oauth (provider sign-in), identities (the code trade, linking).
//! - `adapters/`: the Worker (`worker`) and the npm package (`wasm`).
//! - `testing.rs` (tests, or feature `testing`): in-memory ports with the real ones' rules.
//!
//! # Design decisions
//!
//! - **Sans-IO core.** The core never touches the network, a clock or an RNG itself: it is
//!   generic over the ports, so the whole REST surface is tested natively through
//!   [`App::handle`], a function from an HTTP [`Request`] to an HTTP [`Response`], against
//!   the `testing` module's `MemoryStore`, `FixedClock` and `SeqRandom`.
//! - **Untrusted until verified.** A bearer credential becomes a [`Principal`] only through
//!   [`Authenticator::authenticate`]; tokens are verified with an algorithm we choose, never
//!   the header.
//! - **One error type** ([`AuthError`]) is mapped to a status, body and headers in exactly one
//!   place ([`AuthError::into_response`]); internals never reach clients.
//! - **Exact where it must be.** What KV cannot make safe (one account per email, one
//!   successor per refresh token, exact throttles, single-use codes, revocation) goes through
//!   [`ports::Atomic`], a Durable Object per subject on the Worker; whether every request also
//!   asks it about revocation is a setting (`CONSISTENCY`, see [`config::Consistency`]).
//! - **Shaped for KV.** One record per key, no read-modify-write lists, TTLs of at least 60 s
//!   (see [`store`]).
//! - **Secrets stay secret.** Passwords are argon2id hashes, API keys and refresh tokens are
//!   stored as peppered HMACs, private keys are AES-256-GCM encrypted with the user id as
//!   associated data, and every secret value lives in a [`Secret`] with a redacted `Debug`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapters;
mod api;
mod credentials;
mod util;

pub mod config;
pub mod error;
pub mod http;
pub mod ports;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(all(feature = "verify", target_arch = "wasm32"))]
pub use adapters::wasm;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub use adapters::worker;

pub use api::App;
pub use config::{Config, VerifyConfig};
pub use credentials::memo::{Memo, MAX_CONCURRENT_HASHES};
pub use credentials::{api_key, jwt, oidc, private_key};
pub use credentials::{
    authenticate_offline, Access, Authenticator, CredentialSettings, Principal, Scheme,
};
pub use error::AuthError;
pub use http::{Request, Response, BASE_PATH};
pub use ports::{Clock, Random, Store};
pub use util::base62;
pub use util::secret::Secret;
