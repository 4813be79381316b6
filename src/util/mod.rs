//! Small pieces every layer uses: base62 identifiers, base64url decoding and the
//! [`Secret`](secret::Secret) wrapper.

pub mod base62;
pub mod base64url;
pub mod secret;
