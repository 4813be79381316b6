//! Web Locks across the tabs of an origin (`navigator.locks`, absent in Node): the lock that
//! serializes refreshes of a shared session, and the short-lived lock by which a tab that
//! refreshed marks the refresh token it spent (see `session`).

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::session::{Failure, SPENT_WAIT_MS};

/// `navigator.locks.request`, bound to `navigator.locks`, where Web Locks exist (not in Node).
fn web_locks() -> Option<(JsValue, Function)> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    if navigator.is_undefined() || navigator.is_null() {
        return None;
    }
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = Reflect::get(&locks, &"request".into()).ok()?;
    Some((locks, request.dyn_into().ok()?))
}

/// Runs `task` holding the Web Lock `name`, so that the tabs of an origin take turns. Where
/// there are no Web Locks, or the lock cannot be had, `task` runs unlocked.
pub(super) async fn with_web_lock(
    name: &str,
    task: LocalBoxFuture<'static, Result<(), Failure>>,
) -> Result<(), Failure> {
    let task = Rc::new(RefCell::new(Some(task)));
    let output = Rc::new(RefCell::new(None));
    if let Some((locks, request)) = web_locks() {
        let held = {
            let (task, output) = (Rc::clone(&task), Rc::clone(&output));
            // The lock is held until the promise this returns settles: when `task` is done.
            Closure::once_into_js(move |_lock: JsValue| -> Promise {
                future_to_promise(async move {
                    let task = task.borrow_mut().take();
                    if let Some(task) = task {
                        let done = task.await;
                        *output.borrow_mut() = Some(done);
                    }
                    Ok(JsValue::UNDEFINED)
                })
            })
        };
        if let Ok(promise) = request.call2(&locks, &JsValue::from_str(name), &held) {
            // A rejection (e.g. an opaque origin) means the task did not run: it runs below.
            drop(JsFuture::from(Promise::from(promise)).await);
        }
    }
    let done = output.borrow_mut().take();
    if let Some(done) = done {
        return done;
    }
    let task = task.borrow_mut().take();
    match task {
        Some(task) => task.await,
        // Started under the lock, which was then lost (the page is going away).
        None => Err(Failure::new(0, "the refresh was interrupted")),
    }
}

/// The name of the Web Lock that says `refresh_token` was spent (a hash: lock names are not
/// secret from the origin's scripts).
fn spent_lock(refresh_token: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(refresh_token.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("edge-auth:spent:{hex}")
}

/// Marks `refresh_token` spent for the other tabs: holds its lock for `SPENT_WAIT_MS`. Resolves
/// once the lock is held, so the mark is seen by a tab that gets the refresh lock after this.
pub(super) async fn mark_spent(refresh_token: &str) {
    let Some((locks, request)) = web_locks() else {
        return;
    };
    let name = JsValue::from_str(&spent_lock(refresh_token));
    let held = Promise::new(&mut |resolve, _reject| {
        let on_grant = {
            let resolve = resolve.clone();
            Closure::once_into_js(move |_lock: JsValue| -> Promise {
                drop(resolve.call0(&JsValue::UNDEFINED));
                timeout(SPENT_WAIT_MS)
            })
        };
        match request.call2(&locks, &name, &on_grant) {
            Ok(pending) => {
                // Refused (never granted): don't wait for it.
                let catch = Reflect::get(&pending, &"catch".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok());
                if let Some(catch) = catch {
                    drop(catch.call1(&pending, &resolve));
                }
            }
            Err(_) => drop(resolve.call0(&JsValue::UNDEFINED)),
        }
    });
    drop(JsFuture::from(held).await);
}

/// Whether another tab marked `refresh_token` spent (see `mark_spent`).
pub(super) async fn spent_elsewhere(refresh_token: &str) -> bool {
    let Some((locks, _)) = web_locks() else {
        return false;
    };
    let query = Reflect::get(&locks, &"query".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(Ok(snapshot)) = query.map(|query| query.call0(&locks)) else {
        return false;
    };
    let Ok(snapshot) = JsFuture::from(Promise::from(snapshot)).await else {
        return false;
    };
    let name = JsValue::from_str(&spent_lock(refresh_token));
    let held = Reflect::get(&snapshot, &"held".into()).unwrap_or(JsValue::UNDEFINED);
    js_sys::Array::from(&held)
        .iter()
        .any(|lock| Reflect::get(&lock, &"name".into()).ok().as_ref() == Some(&name))
}

/// A promise that resolves after `ms` milliseconds (`setTimeout`).
fn timeout(ms: i32) -> Promise {
    Promise::new(&mut |resolve, _reject| {
        let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        let scheduled = set_timeout.map(|f| f.call2(&JsValue::NULL, &resolve, &ms.into()));
        if !matches!(scheduled, Some(Ok(_))) {
            drop(resolve.call0(&JsValue::UNDEFINED));
        }
    })
}

pub(super) async fn sleep(ms: i32) {
    drop(JsFuture::from(timeout(ms)).await);
}
