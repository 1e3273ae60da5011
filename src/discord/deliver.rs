//! Delivery that survives Discord: every message Lantern sends goes through [`Courier::send`],
//! which retries a 429 after the `retry_after` Discord asks for (pausing every send on a global
//! limit), and a 5xx or a dropped connection with bounded, jittered backoff (`backon`). A crisis
//! reply is tried longer than anything else. The request is built by serenity (routes, auth,
//! the REST proxy) and sent on the reqwest client serenity itself uses, so the full response is
//! in hand: serenity 0.12 with its rate limiter off (required for a proxy) neither retries nor
//! keeps `retry_after`.

use std::sync::Mutex;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable as _};
use poise::serenity_prelude as serenity;
use serenity::http::{LightMethod, Request, Route};
use tokio::time::Instant;

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// A reply to someone who may be in danger: more attempts, longer waits.
    Crisis,
    /// Anything else.
    Normal,
}

impl Urgency {
    fn attempts(self) -> usize {
        match self {
            Urgency::Crisis => 8,
            Urgency::Normal => 4,
        }
    }
}

/// Longest single wait Lantern accepts before a retry (a longer `retry_after` is capped: the
/// interaction token would expire first anyway).
const MAX_WAIT: Duration = Duration::from_secs(10);

/// Why a send failed for good.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Discord answered with an error that retrying cannot fix (400, 403, 404).
    #[error("Discord refused the request: {status} {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Discord's message (never member text: it describes the request).
        message: String,
    },
    /// Rate limited, a server error or no connection, after every retry.
    #[error("Discord could not be reached: {0}")]
    Unavailable(String),
    /// The request could not be built (a bug, reported as such).
    #[error("request could not be built: {0}")]
    Build(String),
}

/// One attempt's failure: retry after `after` (when Discord said), or not at all.
#[derive(Debug)]
struct Attempt {
    retry: bool,
    after: Option<Duration>,
    error: SendError,
}

/// Sends requests to Discord with retries. Cheap to share: the client is a pool handle.
#[derive(Debug)]
pub struct Courier {
    client: reqwest::Client,
    /// For members' attachments: follows no redirect, so only the checked address is read.
    attachments: reqwest::Client,
    /// Until when every send waits, after a global rate limit.
    global_until: Mutex<Option<Instant>>,
}

impl Courier {
    /// A courier over the client serenity also uses (one connection pool).
    pub fn new(client: reqwest::Client) -> Courier {
        Courier {
            attachments: reqwest::Client::builder()
                .use_rustls_tls()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            client,
            global_until: Mutex::new(None),
        }
    }

    /// The HTTP client (for serenity's `HttpBuilder::client`).
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default()
    }

    /// Downloads a file a member attached to a command, at most `max_bytes`. Only Discord's
    /// attachment hosts (and the REST proxy's origin, which is where a rate-limit proxy or the
    /// test stand-in serves them) are ever fetched: no other URL.
    pub async fn fetch_attachment(
        &self,
        url: &str,
        proxy: Option<&str>,
        max_bytes: usize,
    ) -> Result<Vec<u8>, String> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| "the attachment has no valid address".to_string())?;
        let discord = parsed.scheme() == "https"
            && matches!(
                parsed.host_str(),
                Some("cdn.discordapp.com" | "media.discordapp.net")
            );
        let proxied = proxy
            .and_then(|p| reqwest::Url::parse(p).ok())
            .is_some_and(|p| p.origin() == parsed.origin());
        if !(discord || proxied) {
            return Err("only files attached on Discord are read".to_string());
        }
        let mut response = self
            .attachments
            .get(parsed)
            .send()
            .await
            .map_err(|e| format!("the file could not be fetched: {}", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!(
                "the file could not be fetched ({})",
                response.status()
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("the file could not be read: {}", e.without_url()))?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > max_bytes {
                return Err(format!("the file is larger than {max_bytes} bytes"));
            }
        }
        Ok(bytes)
    }

    /// POSTs `body` as JSON to `route` and returns the response body, retrying as described in
    /// the module documentation.
    pub async fn send(
        &self,
        http: &serenity::Http,
        route: Route<'_>,
        body: &impl serde::Serialize,
        urgency: Urgency,
    ) -> Result<Vec<u8>, SendError> {
        let body = serde_json::to_vec(body).map_err(|e| SendError::Build(e.to_string()))?;
        self.request(
            http,
            Request::new(route, LightMethod::Post).body(Some(body)),
            urgency,
        )
        .await
    }

    /// POSTs `body` to a route that creates something (a thread, a direct-message channel) and
    /// returns the new object's id, retrying like [`Courier::send`].
    pub async fn create(
        &self,
        http: &serenity::Http,
        route: Route<'_>,
        body: &impl serde::Serialize,
        urgency: Urgency,
    ) -> Result<u64, SendError> {
        let created = self.send(http, route, body, urgency).await?;
        serde_json::from_slice::<serde_json::Value>(&created)
            .ok()
            .and_then(|v| v["id"].as_str().and_then(|id| id.parse::<u64>().ok()))
            .filter(|&id| id != 0)
            .ok_or_else(|| SendError::Build("Discord's answer has no id".to_string()))
    }

    /// PUTs to `route` with no body (adding a member to a thread), retrying like [`Courier::send`].
    pub async fn put(
        &self,
        http: &serenity::Http,
        route: Route<'_>,
        urgency: Urgency,
    ) -> Result<Vec<u8>, SendError> {
        self.request(http, Request::new(route, LightMethod::Put), urgency)
            .await
    }

    /// DELETEs `route` (a thread left half made), retrying like [`Courier::send`].
    pub async fn delete(
        &self,
        http: &serenity::Http,
        route: Route<'_>,
        urgency: Urgency,
    ) -> Result<Vec<u8>, SendError> {
        self.request(http, Request::new(route, LightMethod::Delete), urgency)
            .await
    }

    async fn request(
        &self,
        http: &serenity::Http,
        request: Request<'_>,
        urgency: Urgency,
    ) -> Result<Vec<u8>, SendError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(150))
            .with_max_delay(Duration::from_secs(3))
            .with_max_times(urgency.attempts())
            .with_jitter();
        let attempt = || self.attempt(http, request.clone());
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|a: &Attempt| a.retry)
            .adjust(|a: &Attempt, planned| match (a.after, planned) {
                (Some(after), Some(_)) => Some(after.min(MAX_WAIT)),
                (_, planned) => planned,
            })
            .await
            .map_err(|a| a.error)
    }

    async fn attempt(
        &self,
        http: &serenity::Http,
        request: Request<'_>,
    ) -> Result<Vec<u8>, Attempt> {
        self.wait_for_global().await;
        let fatal = |e: SendError| Attempt {
            retry: false,
            after: None,
            error: e,
        };
        let built = request
            .build(&self.client, http.token(), http.proxy.as_deref())
            .map_err(|_| fatal(SendError::Build("serenity could not build it".into())))?
            .build()
            .map_err(|_| fatal(SendError::Build("reqwest could not build it".into())))?;
        let response = match self.client.execute(built).await {
            Ok(r) => r,
            Err(e) => {
                return Err(Attempt {
                    retry: true,
                    after: None,
                    error: SendError::Unavailable(connection_error(&e)),
                });
            }
        };
        let status = response.status().as_u16();
        let header_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        let body = response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let message = json["message"].as_str().unwrap_or("").to_string();
        match status {
            429 => {
                let after = json["retry_after"].as_f64().or(header_after).unwrap_or(1.0);
                let after = Duration::from_secs_f64(after.clamp(0.0, MAX_WAIT.as_secs_f64()));
                if json["global"].as_bool() == Some(true) {
                    self.pause_all(after);
                }
                Err(Attempt {
                    retry: true,
                    after: Some(after),
                    error: SendError::Unavailable(format!("rate limited ({message})")),
                })
            }
            500..=599 => Err(Attempt {
                retry: true,
                after: None,
                error: SendError::Unavailable(format!("{status} {message}")),
            }),
            _ => Err(fatal(SendError::Refused { status, message })),
        }
    }

    fn pause_all(&self, after: Duration) {
        let until = Instant::now() + after;
        let mut g = self.global_until.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none_or(|u| u < until) {
            *g = Some(until);
        }
    }

    async fn wait_for_global(&self) {
        let until = *self.global_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = until
            && until > Instant::now()
        {
            tokio::time::sleep_until(until).await;
        }
    }
}

/// A connection error described without its URL (which holds the interaction token).
fn connection_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    kind.to_string()
}
