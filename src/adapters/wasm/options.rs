//! The options of `verifyJwt` and `JwtVerifier` (`VerifyOptions`), read from a JS object
//! member by member through `Reflect`.

use js_sys::Reflect;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

use super::{type_error, JwtAlgorithm};
use crate::credentials::jwt::{self, Alg, Rules};

/// What `verifyJwt` / `JwtVerifier` check besides the signature. Names as jose's where the
/// meaning is the same (`issuer`, `audience`, `algorithms`, `typ`, `clockTolerance`,
/// `currentDate`); `leewaySecs` and `now` are the older names of the last two.
// Declares the TS type only: `read_options` reads an options object member by member.
#[allow(dead_code)]
#[derive(Debug, Default, Tsify)]
#[serde(rename_all = "camelCase")]
struct VerifyOptions {
    /// Required `iss`.
    #[tsify(optional)]
    issuer: Option<String>,
    /// Required `aud` (a token's `aud` may be a list containing it).
    #[tsify(optional)]
    audience: Option<String>,
    /// Allow-list; default ["EdDSA"]. The token's `alg` must be on it.
    #[tsify(optional)]
    algorithms: Option<Vec<JwtAlgorithm>>,
    /// Clock skew tolerated on exp and nbf, 0 to 86400 seconds (else a TypeError); default 30.
    #[tsify(optional)]
    clock_tolerance: Option<i64>,
    /// The same as `clockTolerance` (its older name; give one or the other).
    #[tsify(optional)]
    leeway_secs: Option<i64>,
    /// Required `typ` header, e.g. "at+jwt".
    #[tsify(optional)]
    typ: Option<String>,
    /// The instant to check against; default now.
    #[tsify(optional, type = "Date")]
    current_date: Option<f64>,
    /// The same as `currentDate`, in Unix seconds (its older name; give one or the other).
    #[tsify(optional)]
    now: Option<f64>,
}

/// The rules and the fixed instant (Unix seconds; `None`: the time of each call) of a
/// `VerifyOptions` object. `undefined` and `null` (the object or a member) give the default;
/// a member of the wrong type, or two names for one setting, is a `TypeError`.
pub(super) fn read_options(options: &JsValue) -> Result<(Rules, Option<i64>), JsValue> {
    let given = !options.is_undefined() && !options.is_null();
    if given && !options.is_object() {
        return Err(type_error("options: expected an object"));
    }
    let member = |name: &str| -> Result<Option<JsValue>, JsValue> {
        if !given {
            return Ok(None);
        }
        let value = Reflect::get(options, &JsValue::from_str(name))?;
        Ok((!value.is_undefined() && !value.is_null()).then_some(value))
    };
    let string = |name: &str| -> Result<Option<String>, JsValue> {
        member(name)?
            .map(|value| {
                value
                    .as_string()
                    .ok_or_else(|| type_error(&format!("options.{name}: expected a string")))
            })
            .transpose()
    };
    // jose's name or ours, not both: two values for one setting is a mistake to report.
    let either = |jose: &'static str, ours: &'static str| match (member(jose)?, member(ours)?) {
        (Some(_), Some(_)) => Err(type_error(&format!(
            "options: {jose} and {ours} are the same setting; give one"
        ))),
        (Some(value), None) => Ok(Some((jose, value))),
        (None, Some(value)) => Ok(Some((ours, value))),
        (None, None) => Ok(None),
    };
    let leeway_secs = match either("clockTolerance", "leewaySecs")? {
        None => jwt::LEEWAY_SECS,
        Some((name, value)) => match value.as_f64() {
            // Integers a JS number holds exactly: the cast is exact.
            Some(secs) if secs.fract() == 0.0 && secs.abs() <= 9_007_199_254_740_991.0 => {
                let secs = secs as i64;
                if !(0..=jwt::MAX_LEEWAY_SECS).contains(&secs) {
                    let max = jwt::MAX_LEEWAY_SECS;
                    return Err(type_error(&format!(
                        "options.{name}: {secs} is not within 0..={max}"
                    )));
                }
                secs
            }
            // No number in the message: formatting an f64 would ship core's float printing.
            _ => return Err(type_error(&format!("options.{name}: expected an integer"))),
        },
    };
    let now = match either("currentDate", "now")? {
        None => None,
        Some(("now", value)) => Some(
            value
                .as_f64()
                .ok_or_else(|| type_error("options.now: expected a number"))?
                .floor() as i64,
        ),
        Some((_, value)) => {
            let millis = value
                .dyn_ref::<js_sys::Date>()
                .map(js_sys::Date::get_time)
                .filter(|millis| millis.is_finite())
                .ok_or_else(|| type_error("options.currentDate: expected a valid Date"))?;
            Some((millis / 1000.0).floor() as i64)
        }
    };
    let algorithms = match member("algorithms")? {
        None => vec![Alg::EdDsa],
        Some(list) if js_sys::Array::is_array(&list) => js_sys::Array::from(&list)
            .iter()
            .map(|name| {
                let name = name.as_string().unwrap_or_default();
                Alg::from_name(&name).ok_or_else(|| {
                    // Not `{name:?}`: Debug of a str ships core's Unicode tables. Not `join`,
                    // which would ship its own code for this one message.
                    let mut message = format!("options.algorithms: \"{name}\" is not one of");
                    for (i, alg) in Alg::ALL.iter().enumerate() {
                        message += if i == 0 { " \"" } else { ", \"" };
                        message += alg.name();
                        message += "\"";
                    }
                    type_error(&message)
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(type_error("options.algorithms: expected an array")),
    };
    let rules = Rules {
        algorithms,
        issuer: string("issuer")?,
        audience: string("audience")?,
        token_type: string("typ")?,
        leeway_secs,
    };
    Ok((rules, now))
}
