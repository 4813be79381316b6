//! One file per resource: the `App` methods that answer its routes.

mod accounts;
mod api_keys;
mod identities;
mod oauth;
mod private_key;
mod sessions;
