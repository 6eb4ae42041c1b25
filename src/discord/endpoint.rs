//! Discord's HTTP interactions endpoint: every instance of a fleet can take
//! slash commands, button presses, form submissions and autocomplete over
//! HTTPS (behind a load balancer), while one instance holds the gateway.
//!
//! Each request is checked before anything else: the Ed25519 signature of
//! `X-Signature-Timestamp` + the raw body, with the application's public key
//! (`discord.public_key`), and the timestamp within five minutes of this
//! host's clock (a replayed request is refused; interaction ids are also
//! acted on once, across instances). A bad or missing signature is answered
//! 401, as Discord requires (it sends bad ones on purpose and removes an
//! endpoint that accepts them). A PING is answered with a PONG. Anything
//! else goes to the same handler as the gateway's interactions
//! ([`super::handler::Handler::interaction`]); its first response is the
//! body of the HTTP answer, later ones (the edit of a deferred answer,
//! follow-ups) go through Discord's REST API as on the gateway.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serenity::all::{Http, Interaction};
use serenity::interactions_endpoint::Verifier;
use tokio::sync::oneshot;

use super::handler::{FirstResponse, Handler};

/// How far a request's timestamp may be from this host's clock.
const TIMESTAMP_TOLERANCE_SECONDS: i64 = 300;

/// How long the handler has to give its first response before the endpoint
/// answers with a private "thinking…" deferral itself (Discord allows 3
/// seconds; the handler then edits that deferral with its answer).
const FIRST_RESPONSE_WITHIN: Duration = Duration::from_millis(2_500);

/// The largest body accepted (an interaction is a few kilobytes).
const MAX_BODY: usize = 1 << 20;

/// Why the application's public key was refused.
#[derive(Debug, thiserror::Error)]
#[error("discord.public_key must be the application's public key: 64 hexadecimal digits of a valid Ed25519 key")]
pub struct BadPublicKey;

/// A verifier for the application's public key (hex, as the Developer
/// Portal shows it).
pub fn verifier(public_key: &str) -> Result<Verifier, BadPublicKey> {
    let key = public_key.trim();
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BadPublicKey);
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&key[2 * i..2 * i + 2], 16).map_err(|_| BadPublicKey)?;
    }
    // A key of small order (all zeros, and the like) verifies forged
    // signatures: never a real application's key.
    let weak = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_or(true, |key| key.is_weak());
    if weak {
        return Err(BadPublicKey);
    }
    Verifier::try_new(bytes).map_err(|_| BadPublicKey)
}

/// What the endpoint needs: the key, the handler and Discord's REST API.
#[derive(Clone)]
pub struct Endpoint {
    verifier: Verifier,
    handler: Arc<Handler>,
    http: Arc<Http>,
}

impl Endpoint {
    pub fn new(verifier: Verifier, handler: Arc<Handler>, http: Arc<Http>) -> Self {
        Self {
            verifier,
            handler,
            http,
        }
    }

    /// The routes: `POST /interactions` (the URL to give Discord) and
    /// `GET /healthz` (for the load balancer: 200 when the database
    /// answers within a second, 503 otherwise, so that traffic goes to an
    /// instance that can act on it).
    pub fn router(self) -> Router {
        Router::new()
            .route("/interactions", post(receive))
            .route("/healthz", get(health))
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }
}

/// Serves the endpoint on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    endpoint: Endpoint,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, endpoint.router())
        .with_graceful_shutdown(shutdown)
        .await
}

async fn health(State(endpoint): State<Endpoint>) -> Response {
    let check = endpoint.handler.store().ping();
    match tokio::time::timeout(Duration::from_secs(1), check).await {
        Ok(Ok(())) => (StatusCode::OK, "ok").into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: the database is unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database not answering").into_response(),
    }
}

/// Whether the request is Discord's: a valid signature over timestamp and
/// body, and a timestamp close to now.
fn authentic(verifier: &Verifier, headers: &HeaderMap, body: &[u8], now: i64) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header("x-signature-ed25519"), header("x-signature-timestamp")) else {
        return false;
    };
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|at| (now - at).abs() <= TIMESTAMP_TOLERANCE_SECONDS);
    fresh && verifier.verify(signature, timestamp, body).is_ok()
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[tracing::instrument(name = "http_interaction", skip_all)]
async fn receive(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if !authentic(&endpoint.verifier, &headers, &body, now) {
        tracing::warn!("interaction request with a missing, stale or bad signature refused");
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    // Read once; a PING is answered whatever else it carries.
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        tracing::warn!("a signed interaction that is not JSON");
        return (StatusCode::BAD_REQUEST, "unreadable interaction").into_response();
    };
    if body["type"].as_u64() == Some(1) {
        return json(StatusCode::OK, r#"{"type":1}"#.to_owned());
    }
    let interaction: Interaction = match serde_json::from_value(body) {
        Ok(interaction) => interaction,
        Err(error) => {
            tracing::warn!(%error, "a signed interaction that could not be read");
            return (StatusCode::BAD_REQUEST, "unreadable interaction").into_response();
        }
    };
    if let Interaction::Ping(_) = interaction {
        return json(StatusCode::OK, r#"{"type":1}"#.to_owned());
    }
    let (first, answered) = oneshot::channel();
    let handler = endpoint.handler.clone();
    let http = endpoint.http.clone();
    // The handler runs on its own task: it goes on (editing a deferral,
    // sending follow-ups) after the HTTP answer is gone.
    tokio::spawn(async move {
        handler
            .interaction(&http, interaction, FirstResponse::http(first))
            .await;
    });
    match tokio::time::timeout(FIRST_RESPONSE_WITHIN, answered).await {
        Ok(Ok(response)) => match serde_json::to_string(&response) {
            Ok(body) => json(StatusCode::OK, body),
            Err(error) => {
                tracing::error!(%error, "could not write the interaction response");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        // The handler gave no first response (an interaction already
        // taken by this or another instance, one that is not the bot's): a
        // private word, which Discord ignores if the interaction was
        // answered already.
        Ok(Err(_)) => json(
            StatusCode::OK,
            serde_json::json!({"type": 4, "data": {"flags": 64, "allowed_mentions": {"parse": []},
                "content": "This request is already being handled."}})
            .to_string(),
        ),
        // Too slow for Discord's 3 seconds: a private deferral now; the
        // handler's answer will edit it.
        Err(_) => {
            tracing::warn!("the first response took too long; deferred privately");
            json(StatusCode::OK, r#"{"type":5,"data":{"flags":64}}"#.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_must_be_64_hex_digits_of_a_valid_key() {
        assert!(verifier("67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089").is_ok());
        assert!(verifier("67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c159708").is_err());
        assert!(verifier("zz").is_err());
        assert!(verifier("").is_err());
        assert!(verifier(&"0".repeat(64)).is_err(), "a key of small order");
        assert!(
            verifier(&format!("01{}", "0".repeat(62))).is_err(),
            "the identity point"
        );
    }

    #[test]
    fn a_request_without_both_headers_or_with_an_old_timestamp_is_refused() {
        let verifier = verifier("67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089").unwrap();
        let mut headers = HeaderMap::new();
        assert!(!authentic(&verifier, &headers, b"{}", 1_000));
        headers.insert("x-signature-timestamp", "1000".parse().unwrap());
        assert!(!authentic(&verifier, &headers, b"{}", 1_000), "no signature");
        headers.insert("x-signature-ed25519", "00".repeat(64).parse().unwrap());
        assert!(!authentic(&verifier, &headers, b"{}", 1_000), "a bad signature");
    }
}
