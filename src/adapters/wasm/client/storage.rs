//! Where an `AuthClient` keeps the session's tokens between page loads: nowhere (memory only),
//! sessionStorage or localStorage.

use gloo_storage::{LocalStorage, SessionStorage, Storage as _};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Tokens {
    pub(super) access_token: String,
    pub(super) refresh_token: String,
    /// Unix seconds.
    pub(super) expires_at: i64,
}

const STORAGE_KEY: &str = "edge-auth.tokens";

#[derive(Debug, Clone, Copy)]
pub(super) enum TokenStorage {
    Memory,
    Session,
    Local,
}

impl TokenStorage {
    /// The storage `options.storage` names: `memory` (the default), `session` or `local`.
    pub(super) fn named(name: Option<&str>) -> Result<Self, JsValue> {
        match name {
            None | Some("memory") => Ok(Self::Memory),
            Some("session") => Ok(Self::Session),
            Some("local") => Ok(Self::Local),
            Some(other) => {
                let msg = format!("options.storage: {other} is not memory, session or local");
                Err(js_sys::TypeError::new(&msg).into())
            }
        }
    }

    /// Whether other tabs of this origin see (and may change) the tokens: localStorage. Such
    /// tokens are read again before each use, and refreshed under a Web Lock.
    pub(super) fn is_shared(self) -> bool {
        matches!(self, Self::Local)
    }

    pub(super) fn load(self) -> Option<Tokens> {
        match self {
            Self::Memory => None,
            Self::Session => SessionStorage::get(STORAGE_KEY).ok(),
            Self::Local => LocalStorage::get(STORAGE_KEY).ok(),
        }
    }

    pub(super) fn save(self, tokens: Option<&Tokens>) {
        // Storage can be full or disabled; the tokens still live in memory.
        match (self, tokens) {
            (Self::Memory, _) => {}
            (Self::Session, Some(t)) => drop(SessionStorage::set(STORAGE_KEY, t)),
            (Self::Local, Some(t)) => drop(LocalStorage::set(STORAGE_KEY, t)),
            (Self::Session, None) => SessionStorage::delete(STORAGE_KEY),
            (Self::Local, None) => LocalStorage::delete(STORAGE_KEY),
        }
    }
}
