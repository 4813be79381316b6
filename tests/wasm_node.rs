//! The npm package's shared cases, run in Node (`wasm-pack test --node`).
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

#[path = "wasm/cases.rs"]
mod cases;
