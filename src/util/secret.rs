//! A wrapper for secret values: redacted `Debug`, zeroized on drop, no `Display` or `Serialize`.

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A secret value. It can be read only through [`Secret::expose`], so every use is visible.
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value itself. Never log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize + AsRef<[u8]>> Secret<T> {
    /// Constant-time equality with `other`.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.as_ref().ct_eq(other).into()
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_value() {
        let secret = Secret::new(String::from("hunter22"));
        assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
        assert_eq!(secret.expose(), "hunter22");
    }

    #[test]
    fn ct_eq_compares_contents() {
        let secret = Secret::new(vec![1u8, 2, 3]);
        assert!(secret.ct_eq(&[1, 2, 3]));
        assert!(!secret.ct_eq(&[1, 2, 4]));
        assert!(!secret.ct_eq(&[1, 2]));
    }
}
