//! Small pieces every layer uses: base62 identifiers, base64url decoding, HMAC-SHA256 and the
//! [`Secret`](secret::Secret) wrapper.

pub mod base62;
pub mod base64url;
pub mod hmac_sha256;
pub mod secret;
