//! The REST front: each request is parsed (JSON or multipart), may get an injected failure, is
//! answered by [`route`](super::routes::route) and recorded as a [`Recorded`].

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::API;
use super::payloads::unix_ms;
use super::routes::route;
use super::state::Shared;

/// One REST request the stand-in received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Position in [`StandIn::requests`].
    pub index: usize,
    /// "GET", "POST", ...
    pub method: String,
    /// The full path, e.g. "/api/v10/channels/1/messages". See [`Recorded::route`].
    pub path: String,
    /// The raw query string without '?', "" if none (serenity writes "?&key=value").
    pub query: String,
    /// The JSON body; for multipart bodies the parsed `payload_json` part; Null if none.
    pub body: Value,
    /// Files of a multipart body: (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// The status the stand-in answered with.
    pub status: u16,
    /// When the request reached the handler.
    pub at: Instant,
}

impl Recorded {
    /// The path without the "/api/v10" prefix, e.g. "/channels/1/messages".
    pub fn route(&self) -> &str {
        self.path.strip_prefix(API).unwrap_or(&self.path)
    }

    /// Method (case-insensitive, "*" = any) and route prefix (with or without "/api/v10").
    pub fn is(&self, method: &str, prefix: &str) -> bool {
        method_matches(method, &self.method) && path_matches(prefix, &self.path)
    }

    /// For `POST /interactions/{id}/{token}/callback`: the interaction id.
    pub fn interaction_id(&self) -> Option<u64> {
        let segs: Vec<&str> = self.route().trim_start_matches('/').split('/').collect();
        match segs.as_slice() {
            ["interactions", id, _token, "callback"] => id.parse().ok(),
            _ => None,
        }
    }

    /// For interaction callbacks: the response `type` (4 reply, 5 defer, 6/7 component, 8
    /// autocomplete, 9 modal).
    pub fn callback_type(&self) -> Option<u64> {
        self.interaction_id()?;
        self.body.get("type")?.as_u64()
    }

    /// The message content sent: `body.content`, or `body.data.content` for callbacks.
    pub fn content(&self) -> Option<&str> {
        self.body
            .get("content")
            .or_else(|| self.body.get("data").and_then(|d| d.get("content")))
            .and_then(Value::as_str)
    }

    /// The message-ish part of the body: `body.data` for callbacks, `body` otherwise.
    pub fn message_body(&self) -> &Value {
        if self.interaction_id().is_some() {
            self.body.get("data").unwrap_or(&Value::Null)
        } else {
            &self.body
        }
    }
}

fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*" || pattern.eq_ignore_ascii_case(method)
}

fn path_matches(prefix: &str, path: &str) -> bool {
    if prefix.starts_with("/api/") {
        path.starts_with(prefix)
    } else {
        path.strip_prefix(API).unwrap_or(path).starts_with(prefix)
    }
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// The fail "status" that drops the connection instead of answering.
pub const DROP: u16 = 0;

pub(super) fn json_response(status: u16, body: Value) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        body.to_string(),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub(super) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub(super) fn discord_error(status: u16, code: u64, message: &str) -> Response {
    json_response(status, json!({"message": message, "code": code}))
}

fn rate_limited(retry_after: f64, global: bool) -> Response {
    // As Discord sends it: no "code" (optional, only for some limits), so serenity 0.12.5 reports
    // "Could not decode json ... missing field `code`" with status 429.
    let body = json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global});
    let mut r = json_response(429, body);
    let h = r.headers_mut();
    let reset = unix_ms() as f64 / 1000.0 + retry_after;
    let set = |h: &mut HeaderMap, k: &'static str, v: String| {
        h.insert(k, HeaderValue::from_str(&v).expect("header value"));
    };
    set(
        h,
        "retry-after",
        format!("{}", retry_after.ceil().max(1.0) as u64),
    );
    set(h, "x-ratelimit-limit", "5".into());
    set(h, "x-ratelimit-remaining", "0".into());
    set(h, "x-ratelimit-reset", format!("{reset:.3}"));
    set(h, "x-ratelimit-reset-after", format!("{retry_after:.3}"));
    set(
        h,
        "x-ratelimit-bucket",
        "standin0000000000000000000000000".into(),
    );
    set(
        h,
        "x-ratelimit-scope",
        if global {
            "global".into()
        } else {
            "user".into()
        },
    );
    if global {
        set(h, "x-ratelimit-global", "true".into());
    }
    r
}

pub(super) async fn rest(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (json_body, files) = if content_type.starts_with("multipart/") {
        parse_multipart(content_type, &body)
    } else if body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (
            serde_json::from_slice(&body).unwrap_or(Value::Null),
            Vec::new(),
        )
    };
    let method_s = method.as_str().to_string();

    let response = {
        let mut st = sh.lock();
        let rule = st.fail_rules.iter_mut().find(|r| {
            r.remaining > 0
                && method_matches(&r.method, &method_s)
                && path_matches(&r.prefix, &path)
        });
        let injected = rule.map(|r| {
            r.remaining -= 1;
            (r.status, r.retry_after, r.global)
        });
        if injected.is_some_and(|(status, _, _)| status == DROP) {
            // A dropped connection: the handler dies before answering and the connection closes.
            drop(st);
            sh.bump();
            std::panic::resume_unwind(Box::new("stand-in: dropping the connection"));
        }
        let response = match injected {
            Some((429, retry_after, global)) => rate_limited(retry_after, global),
            Some((status, _, _)) => {
                let msg = match status {
                    500 => "500: Internal Server Error",
                    502 => "502: Bad Gateway",
                    503 => "503: Service Unavailable",
                    _ => "Injected failure",
                };
                discord_error(status, 0, msg)
            }
            None => route(&sh, &mut st, &method_s, &path, &json_body, &files),
        };
        let status = response.status().as_u16();
        let index = st.requests.len();
        st.requests.push(Recorded {
            index,
            method: method_s,
            path,
            query,
            body: json_body,
            files,
            status,
            at,
        });
        response
    };
    sh.bump();
    response
}

/// Split a multipart/form-data body: the parsed `payload_json` part and the file parts.
fn parse_multipart(content_type: &str, body: &[u8]) -> (Value, Vec<(String, Vec<u8>)>) {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string());
    let Some(boundary) = boundary else {
        return (Value::Null, Vec::new());
    };
    let delim = format!("--{boundary}").into_bytes();
    let mut positions = Vec::new();
    let mut i = 0;
    while i + delim.len() <= body.len() {
        if body[i..].starts_with(&delim) {
            positions.push(i);
            i += delim.len();
        } else {
            i += 1;
        }
    }
    let mut payload = Value::Null;
    let mut files = Vec::new();
    for w in positions.windows(2) {
        let mut part = &body[w[0] + delim.len()..w[1]];
        part = part.strip_prefix(b"\r\n").unwrap_or(part);
        part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = part.windows(4).position(|x| x == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = &part[split + 4..];
        let param = |key: &str| -> Option<String> {
            let pat = format!("{key}=\"");
            let start = head.find(&pat)? + pat.len();
            let end = head[start..].find('"')? + start;
            Some(head[start..end].to_string())
        };
        let filename = param("filename");
        let name = param("name").unwrap_or_default();
        if name == "payload_json" && filename.is_none() {
            payload = serde_json::from_slice(content).unwrap_or(Value::Null);
        } else if let Some(f) = filename {
            files.push((f, content.to_vec()));
        }
    }
    (payload, files)
}
