//! Private key.

use crate::common::*;
use serde_json::json;

#[test]
fn seed_request_private_key_status_with_args_and_kwargs() {
    let api = api();
    let session = api.session("ada@example.com");
    let response = api.get("/private-key?args=null&kwargs=null", &session.access);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json_body(),
        json!({"has_key": false, "created_at": null, "updated_at": null})
    );
}

#[test]
fn private_key_set_read_replace_delete() {
    let api = api();
    let session = api.session("ada@example.com");
    let put = api.call(
        "PUT",
        "/private-key",
        &session.access,
        Some(json!({"private_key": PEM})),
    );
    assert_eq!(put.status, 200);
    let expected = json!({"has_key": true, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
    assert_eq!(put.json_body(), expected);
    assert_eq!(
        api.get("/private-key", &session.access).json_body(),
        expected
    );

    api.clock.advance(60);
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"});
    let replaced = api.call(
        "PUT",
        "/private-key",
        &session.access,
        Some(json!({"private_key": jwk})),
    );
    assert_eq!(replaced.json_body()["created_at"], "2026-01-01T00:00:00Z");
    assert_eq!(replaced.json_body()["updated_at"], "2026-01-01T00:01:00Z");

    assert_eq!(
        api.call("DELETE", "/private-key", &session.access, None)
            .status,
        204
    );
    let status = api.get("/private-key", &session.access).json_body();
    assert_eq!(
        status,
        json!({"has_key": false, "created_at": null, "updated_at": null})
    );
}

#[test]
fn private_key_that_is_not_a_private_key_is_a_422() {
    let api = api();
    let session = api.session("ada@example.com");
    for body in [
        json!({}),
        json!({"private_key": "hello"}),
        json!({"private_key": 42}),
        json!({"private_key": {"kty": "OKP", "x": "abc"}}),
    ] {
        let response = api.call("PUT", "/private-key", &session.access, Some(body.clone()));
        assert_eq!(response.status, 422, "{body}");
        assert_eq!(
            response.json_body()["detail"][0]["loc"],
            json!(["body", "private_key"])
        );
    }
    assert_eq!(
        api.get("/private-key", &session.access).json_body()["has_key"],
        false
    );
}
