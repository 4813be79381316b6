//! The platforms the core runs on: the Cloudflare Worker (`worker`) and the npm package
//! (`wasm`). Each converts its platform's types to the core's and back; nothing else.

#[cfg(all(feature = "verify", target_arch = "wasm32"))]
pub mod wasm;
#[cfg(all(feature = "worker", target_arch = "wasm32"))]
pub mod worker;
