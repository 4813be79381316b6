//! Small pieces every layer uses: base62 identifiers and the [`Secret`](secret::Secret) wrapper.

pub mod base62;
pub mod secret;
