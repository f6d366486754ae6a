//! The OpenAPI document, the route table and the live router must agree.

use std::collections::BTreeSet;

use api_gateway_app::startup::{OPENAPI_JSON, ROUTES};
use serde_json::Value;

use crate::helpers::*;

pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Every documented operation as `(METHOD, path template)`.
pub(crate) fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    let mut cur = doc;
    for part in r.strip_prefix("#/")?.split('/') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn document_is_valid_json_and_matches_the_route_table() {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("openapi.json parses");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented(&doc),
        table,
        "openapi.json paths vs startup::ROUTES"
    );
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        assert!(resolve(&doc, &r).is_some(), "dangling $ref {r}");
    }
    // every API operation documents its JSON error bodies
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let responses = op["responses"].as_object().unwrap();
            let errors: Vec<_> = responses
                .iter()
                .filter(|(code, _)| code.starts_with('4') || code.starts_with('5'))
                .collect();
            assert!(errors.len() >= 2, "{method} {path} documents its errors");
            for (code, resp) in errors {
                assert_eq!(
                    resp["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{method} {path} {code} uses the Error body"
                );
            }
        }
    }
}

#[tokio::test]
async fn served_document_matches_the_live_router() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    let res = gw.get("/openapi.json").await;
    assert_eq!(res.status(), 200);
    let served: Value = res.json().await.unwrap();
    assert_eq!(served, serde_json::from_str::<Value>(OPENAPI_JSON).unwrap());

    // every documented operation is routed (not the router's 404 or 405)
    for (method, path) in documented(&served) {
        let concrete = path.replace("{id}", "1");
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = gw
            .client
            .request(m, gw.url(&concrete))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        assert!(
            status != 405 && !(status == 404 && body.contains("no route")),
            "{method} {path} is documented but not routed ({status} {body})"
        );
    }
    // operations the document does not list are refused by the router
    for (method, path) in [
        ("GET", "/api/billing"),
        ("PUT", "/api/billing"),
        ("DELETE", "/api/billing/"),
        ("POST", "/openapi.json"),
        ("TRACE", "/healthz"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = gw.client.request(m, gw.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert!(
            res.headers().contains_key("allow"),
            "{method} {path}: Allow"
        );
    }
    for path in ["/api", "/api/unknown", "/openapi.yaml", "/nope"] {
        let res = gw.get(path).await;
        assert_json_error(res, 404).await;
    }
    gw.stop().await;
}
