//! The committed Postman collection (docs/postman/, run by newman in
//! scripts/checks/15-postman.sh) calls every operation of openapi.json and
//! expects only statuses the document lists for that operation.

use std::collections::BTreeSet;

use api_gateway_app::startup::OPENAPI_JSON;
use serde_json::Value;

use crate::openapi::documented;

const COLLECTION: &str =
    include_str!("../../../../docs/postman/crud-master.postman_collection.json");

/// One request of the collection.
#[derive(Debug)]
struct Request {
    name: String,
    method: String,
    /// the URL path after `{{baseUrl}}`, without the query string
    path: String,
    /// every `pm.response.to.have.status(NNN)` of its test script
    statuses: BTreeSet<String>,
    body: Option<String>,
}

fn requests(items: &Value, out: &mut Vec<Request>) {
    for item in items.as_array().expect("item is an array") {
        if let Some(children) = item.get("item") {
            requests(children, out);
            continue;
        }
        let req = &item["request"];
        let raw = req["url"]["raw"].as_str().expect("url.raw");
        let path = raw
            .strip_prefix("{{baseUrl}}")
            .unwrap_or_else(|| panic!("{raw} does not start with {{{{baseUrl}}}}"));
        let path = path.split('?').next().unwrap().to_string();
        let mut statuses = BTreeSet::new();
        for event in item["event"].as_array().into_iter().flatten() {
            if event["listen"] != "test" {
                continue;
            }
            for line in event["script"]["exec"].as_array().expect("exec lines") {
                let mut rest = line.as_str().unwrap();
                while let Some(i) = rest.find("to.have.status(") {
                    rest = &rest[i + "to.have.status(".len()..];
                    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    if code.len() == 3 {
                        statuses.insert(code);
                    }
                }
            }
        }
        out.push(Request {
            name: item["name"].as_str().expect("name").to_string(),
            method: req["method"].as_str().expect("method").to_string(),
            path,
            statuses,
            body: req["body"]["raw"].as_str().map(str::to_string),
        });
    }
}

fn collection_requests(collection: &Value) -> Vec<Request> {
    let mut out = Vec::new();
    requests(&collection["item"], &mut out);
    out
}

/// `/api/movies/{id}` matches `/api/movies/{{movieId}}` and `/api/movies/abc`,
/// not `/api/movies/` nor `/api/movies/1/`: one non-empty segment per parameter.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// The documented operations no request of `collection` calls.
fn uncovered(doc: &Value, collection: &Value) -> Vec<(String, String)> {
    let reqs = collection_requests(collection);
    documented(doc)
        .into_iter()
        .filter(|(method, template)| {
            !reqs
                .iter()
                .any(|r| &r.method == method && matches(template, &r.path))
        })
        .collect()
}

fn doc() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json parses")
}

fn collection() -> Value {
    serde_json::from_str(COLLECTION).expect("the collection parses")
}

#[test]
fn every_openapi_operation_has_a_request_in_the_collection() {
    let collection = collection();
    assert_eq!(
        collection["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    assert_eq!(
        uncovered(&doc(), &collection),
        Vec::<(String, String)>::new()
    );

    // the comparison sees a missing operation: drop every PUT
    let mut without_put = collection.clone();
    fn drop_put(items: &mut Value) {
        let items = items.as_array_mut().unwrap();
        items.retain(|i| i["request"]["method"] != "PUT");
        for i in items.iter_mut() {
            if let Some(children) = i.get_mut("item") {
                drop_put(children);
            }
        }
    }
    drop_put(&mut without_put["item"]);
    assert_eq!(
        uncovered(&doc(), &without_put),
        vec![("PUT".to_string(), "/api/movies/{id}".to_string())]
    );
}

#[test]
fn requests_expect_only_documented_statuses() {
    let doc = doc();
    let reqs = collection_requests(&collection());
    for r in &reqs {
        assert!(
            !r.statuses.is_empty() || r.name.contains("without a token"),
            "{}: its test script asserts no status",
            r.name
        );
        for (method, template) in documented(&doc) {
            if method != r.method || !matches(&template, &r.path) {
                continue;
            }
            let responses = &doc["paths"][&template][method.to_lowercase()]["responses"];
            for status in &r.statuses {
                // 404 and 405 may come from any router in front (the document's
                // info: "Unknown routes answer 404, wrong methods 405"), e.g. the
                // deployed API Gateway, which routes only /api/*
                assert!(
                    responses.get(status).is_some() || status == "404" || status == "405",
                    "{}: expects {status}, which {method} {template} does not document",
                    r.name
                );
            }
        }
    }
}

#[test]
fn the_crud_master_audit_requests_are_in_the_collection() {
    let reqs = collection_requests(&collection());
    for (method, path, body) in [
        (
            "POST",
            "/api/movies/",
            Some(r#"{"title": "A new movie", "description": "Very short description"}"#),
        ),
        ("GET", "/api/movies/", None),
        (
            "POST",
            "/api/billing/",
            Some(r#"{"user_id": "20", "number_of_items": "99", "total_amount": "250"}"#),
        ),
    ] {
        assert!(
            reqs.iter().any(|r| r.method == method
                && r.path == path
                && r.body.as_deref() == body
                && r.statuses.contains("200")),
            "the audit's {method} {path} {body:?} expecting 200 is missing"
        );
    }
}
