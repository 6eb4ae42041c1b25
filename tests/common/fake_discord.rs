//! A fake Discord on 127.0.0.1 for the real serenity client: the REST API
//! (axum) and the gateway websocket (tokio-tungstenite, as serenity uses),
//! without TLS. It drives HELLO / IDENTIFY / READY and heartbeats, sends
//! INTERACTION_CREATE and MESSAGE_CREATE on demand, records every REST call
//! the bot makes, keeps the channel messages it posts (with their edits, and
//! Discord's nonce dedupe), and checks bodies as Discord would: embed
//! limits, no second callback for one interaction.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Response, StatusCode};
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const APPLICATION_ID: &str = "700000000000000001";

/// The seed of the application's Ed25519 key, with which the fake signs the
/// requests it sends to the bot's HTTP interactions endpoint.
const SIGNING_SEED: [u8; 32] = [7; 32];
pub const BOT_USER_ID: &str = "700000000000000001";

/// One REST call the bot made.
#[derive(Debug, Clone)]
pub struct RestCall {
    pub method: String,
    pub path: String,
    pub body: serde_json::Value,
    pub at: Instant,
}

/// A message the bot posted in a channel, as it stands now.
#[derive(Debug, Clone)]
pub struct PostedMessage {
    pub id: String,
    pub channel: String,
    pub nonce: Option<String>,
    pub content: String,
    pub embeds: serde_json::Value,
    pub allowed_mentions: serde_json::Value,
    pub edits: usize,
}

struct Shared {
    calls: Mutex<Vec<RestCall>>,
    messages: Mutex<Vec<PostedMessage>>,
    /// The next message POST creates its message, then fails with a 500 (a
    /// response lost in transit, or a crash before the bot recorded it).
    lose_next_post: Mutex<bool>,
    /// The next thread started from a message is made, then the answer is
    /// lost (a 500).
    lose_next_thread: Mutex<bool>,
    /// Threads started from messages (their ids are the messages' ids).
    threads: Mutex<Vec<String>>,
    /// Channels the bot may not write to (403 Missing Access).
    forbidden: Mutex<Vec<String>>,
    answered_interactions: Mutex<Vec<String>>,
    /// When each interaction was dispatched, for Discord's 3-second rule.
    dispatched: Mutex<std::collections::HashMap<String, Instant>>,
    gateway: Mutex<Option<mpsc::UnboundedSender<String>>>,
    identified: Mutex<usize>,
    resumed: Mutex<usize>,
    sequence: Mutex<u64>,
    gateway_url: String,
    /// Files users attached, served as Discord's CDN serves them.
    files: Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

pub struct FakeDiscord {
    pub api: String,
    shared: Arc<Shared>,
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

/// The JSON of a request: the body itself, or the `payload_json` part of a
/// multipart body (messages with files).
fn payload(content_type: &str, bytes: &[u8]) -> serde_json::Value {
    if content_type.starts_with("multipart/") {
        let text = String::from_utf8_lossy(bytes);
        let Some(start) = text.find("name=\"payload_json\"") else {
            return serde_json::Value::Null;
        };
        let rest = &text[start..];
        let Some(body_start) = rest.find("\r\n\r\n") else {
            return serde_json::Value::Null;
        };
        let body = &rest[body_start + 4..];
        let end = body.find("\r\n--").unwrap_or(body.len());
        return serde_json::from_str(&body[..end]).unwrap_or(serde_json::Value::Null);
    }
    serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null)
}

/// Discord's embed limits, checked on everything the bot sends.
fn embed_problems(body: &serde_json::Value) -> Vec<String> {
    let embeds = body
        .get("embeds")
        .or_else(|| body.get("data").and_then(|d| d.get("embeds")))
        .cloned()
        .unwrap_or(serde_json::Value::Array(vec![]));
    super::embed_limit_problems(&embeds)
}

fn message_json(channel: &str, body: &serde_json::Value) -> serde_json::Value {
    message_json_with_id("800000000000000001", channel, body)
}

fn message_json_with_id(id: &str, channel: &str, body: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": id, "channel_id": channel,
        "author": {"id": BOT_USER_ID, "username": "platform-desk", "bot": true},
        "content": body.get("content").and_then(|c| c.as_str()).unwrap_or_default(),
        "timestamp": "2026-11-28T10:00:00.000000+00:00", "tts": false, "mention_everyone": false,
        "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": body.get("embeds").cloned().unwrap_or(serde_json::json!([])),
        "pinned": false, "type": 0
    })
}

async fn rest(State(shared): State<Arc<Shared>>, request: Request) -> Response<Body> {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = payload(&content_type, &bytes);
    shared.calls.lock().unwrap().push(RestCall {
        method: method.clone(),
        path: path.clone(),
        body: body.clone(),
        at: Instant::now(),
    });
    let problems = embed_problems(&body);
    if !problems.is_empty() {
        return json_response(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"code": 50035, "message": format!("Invalid Form Body: {problems:?}")}),
        );
    }
    let parts: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["", "attachments", id, _name]) => match shared.files.lock().unwrap().get(*id) {
            Some(bytes) => Response::new(Body::from(bytes.clone())),
            None => json_response(StatusCode::NOT_FOUND, serde_json::json!({"message": "404: Not Found"})),
        },
        ("GET", ["gateway"]) | ("GET", ["gateway", "bot"]) => {
            json_response(StatusCode::OK, serde_json::json!({"url": shared.gateway_url}))
        }
        ("GET", ["oauth2", "applications", "@me"]) => json_response(
            StatusCode::OK,
            serde_json::json!({"id": APPLICATION_ID, "name": "platform-desk", "description": "", "icon": null,
                               "bot_public": false, "bot_require_code_grant": false, "verify_key": "00"}),
        ),
        ("PUT", ["applications", _, "commands"]) | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            json_response(StatusCode::OK, serde_json::json!([]))
        }
        ("POST", ["interactions", id, _token, "callback"]) => {
            let late = shared
                .dispatched
                .lock()
                .unwrap()
                .get(*id)
                .is_some_and(|at| at.elapsed() > Duration::from_secs(3));
            if late {
                return json_response(
                    StatusCode::NOT_FOUND,
                    serde_json::json!({"code": 10062, "message": "Unknown interaction"}),
                );
            }
            let mut answered = shared.answered_interactions.lock().unwrap();
            if answered.iter().any(|a| a == id) {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"code": 40060, "message": "Interaction has already been acknowledged."}),
                );
            }
            answered.push((*id).to_owned());
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())
                .unwrap()
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            json_response(StatusCode::OK, message_json("900000000000000001", &body))
        }
        ("POST", ["channels", channel, "messages"]) => post_message(&shared, channel, &body),
        ("PATCH", ["channels", channel, "messages", id]) => {
            let mut messages = shared.messages.lock().unwrap();
            match messages.iter_mut().find(|m| m.channel == *channel && m.id == *id) {
                Some(message) => {
                    if let Some(embeds) = body.get("embeds") {
                        message.embeds = embeds.clone();
                    }
                    if let Some(content) = body.get("content").and_then(|c| c.as_str()) {
                        message.content = content.to_owned();
                    }
                    message.edits += 1;
                    let mut shown = body.clone();
                    shown["embeds"] = message.embeds.clone();
                    shown["content"] = serde_json::json!(message.content);
                    json_response(StatusCode::OK, message_json_with_id(id, channel, &shown))
                }
                None => json_response(
                    StatusCode::NOT_FOUND,
                    serde_json::json!({"code": 10008, "message": "Unknown Message"}),
                ),
            }
        }
        // A DM channel with a user: its id is the user's with a leading 8.
        ("POST", ["users", "@me", "channels"]) => {
            let recipient = body["recipient_id"].as_str().unwrap_or_default().to_owned();
            json_response(
                StatusCode::OK,
                serde_json::json!({"id": dm_channel_of(&recipient), "type": 1, "last_message_id": null,
                                   "recipients": [{"id": recipient, "username": format!("user{recipient}")}]}),
            )
        }
        // Start Thread from Message: the thread takes the message's id; a
        // message has at most one thread (160004 after that).
        ("POST", ["channels", parent, "messages", message, "threads"]) => {
            let mut threads = shared.threads.lock().unwrap();
            if threads.iter().any(|t| t == message) {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"code": 160004, "message": "A thread has already been created for this message"}),
                );
            }
            threads.push((*message).to_owned());
            let mut lose = shared.lose_next_thread.lock().unwrap();
            if *lose {
                *lose = false;
                return json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    serde_json::json!({"code": 0, "message": "500: Internal Server Error"}),
                );
            }
            json_response(
                StatusCode::CREATED,
                serde_json::json!({"id": message, "type": 11,
                                   "guild_id": "500000000000000001", "parent_id": parent,
                                   "name": body["name"], "flags": 0}),
            )
        }
        ("POST", ["channels", parent, "threads"]) => {
            let mut next = shared.sequence.lock().unwrap();
            *next += 1;
            json_response(
                StatusCode::CREATED,
                serde_json::json!({"id": format!("{}", 990000000000000000u64 + *next), "type": 11,
                                   "guild_id": "500000000000000001", "parent_id": parent,
                                   "name": body["name"], "flags": 0}),
            )
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            serde_json::json!({"code": 0, "message": "404: Not Found"}),
        ),
    }
}

/// The id of the DM channel the fake opens with `user`.
pub fn dm_channel_of(user: &str) -> String {
    format!("8{}", &user[1..])
}

/// A channel message: deduplicated by nonce when `enforce_nonce` is set, as
/// Discord does.
fn post_message(shared: &Shared, channel: &str, body: &serde_json::Value) -> Response<Body> {
    if shared.forbidden.lock().unwrap().iter().any(|c| c == channel) {
        return json_response(
            StatusCode::FORBIDDEN,
            serde_json::json!({"code": 50001, "message": "Missing Access"}),
        );
    }
    let nonce = body.get("nonce").and_then(|n| match n {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let enforce = body.get("enforce_nonce").and_then(|e| e.as_bool()).unwrap_or(false);
    let mut messages = shared.messages.lock().unwrap();
    if enforce
        && let Some(nonce) = &nonce
        && let Some(existing) = messages
            .iter()
            .find(|m| m.channel == channel && m.nonce.as_ref() == Some(nonce))
    {
        let mut shown = body.clone();
        shown["embeds"] = existing.embeds.clone();
        shown["content"] = serde_json::json!(existing.content);
        return json_response(StatusCode::OK, message_json_with_id(&existing.id, channel, &shown));
    }
    let id = {
        let mut next = shared.sequence.lock().unwrap();
        *next += 1;
        format!("{}", 880000000000000000u64 + *next)
    };
    messages.push(PostedMessage {
        id: id.clone(),
        channel: channel.to_owned(),
        nonce,
        content: body
            .get("content")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_owned(),
        embeds: body.get("embeds").cloned().unwrap_or(serde_json::json!([])),
        allowed_mentions: body.get("allowed_mentions").cloned().unwrap_or_default(),
        edits: 0,
    });
    let mut lose = shared.lose_next_post.lock().unwrap();
    if *lose {
        *lose = false;
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({"code": 0, "message": "500: Internal Server Error"}),
        );
    }
    json_response(StatusCode::OK, message_json_with_id(&id, channel, body))
}

async fn gateway_connection(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let weak = tx.downgrade();
    *shared.gateway.lock().unwrap() = Some(tx);
    let hello = serde_json::json!({"op": 10, "d": {"heartbeat_interval": 41250}});
    if sink.send(WsMessage::Text(hello.to_string())).await.is_err() {
        return;
    }
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(WsMessage::Text(text)).await.is_err() {
                return;
            }
        }
        // The test dropped the connection: close it the way Discord does
        // when it wants a client to reconnect (4000, unknown error).
        use tokio_tungstenite::tungstenite::protocol::{CloseFrame, frame::coding::CloseCode};
        let frame = CloseFrame {
            code: CloseCode::Library(4000),
            reason: "reconnect".into(),
        };
        let _ = sink.send(WsMessage::Close(Some(frame))).await;
        let _ = sink.close().await;
    });
    while let Some(Ok(frame)) = source.next().await {
        let WsMessage::Text(text) = frame else {
            continue;
        };
        let Ok(payload) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let Some(tx) = weak.upgrade() else {
            break;
        };
        match payload["op"].as_u64() {
            Some(1) => {
                let _ = tx.send(serde_json::json!({"op": 11}).to_string());
            }
            Some(2) => {
                *shared.identified.lock().unwrap() += 1;
                let ready = serde_json::json!({
                    "v": 10,
                    "user": {"id": BOT_USER_ID, "username": "platform-desk", "bot": true},
                    "guilds": [],
                    "session_id": "fake-session",
                    "resume_gateway_url": shared.gateway_url,
                    "application": {"id": APPLICATION_ID, "flags": 0},
                });
                let _ = tx.send(dispatch(&shared, "READY", ready));
            }
            Some(6) => {
                *shared.resumed.lock().unwrap() += 1;
                let _ = tx.send(dispatch(&shared, "RESUMED", serde_json::json!({})));
            }
            _ => {}
        }
    }
    writer.abort();
}

fn dispatch(shared: &Shared, kind: &str, data: serde_json::Value) -> String {
    let mut sequence = shared.sequence.lock().unwrap();
    *sequence += 1;
    serde_json::json!({"op": 0, "t": kind, "s": *sequence, "d": data}).to_string()
}

impl FakeDiscord {
    pub async fn start() -> Self {
        let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_url = format!("ws://{}", gateway.local_addr().unwrap());
        let shared = Arc::new(Shared {
            calls: Mutex::new(Vec::new()),
            messages: Mutex::new(Vec::new()),
            lose_next_post: Mutex::new(false),
            lose_next_thread: Mutex::new(false),
            threads: Mutex::new(Vec::new()),
            forbidden: Mutex::new(Vec::new()),
            answered_interactions: Mutex::new(Vec::new()),
            dispatched: Mutex::new(std::collections::HashMap::new()),
            gateway: Mutex::new(None),
            identified: Mutex::new(0),
            resumed: Mutex::new(0),
            sequence: Mutex::new(0),
            gateway_url,
            files: Mutex::new(std::collections::HashMap::new()),
        });
        let accept = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = gateway.accept().await {
                tokio::spawn(gateway_connection(accept.clone(), stream));
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(rest).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { api, shared }
    }

    pub fn calls(&self) -> Vec<RestCall> {
        self.shared.calls.lock().unwrap().clone()
    }

    pub fn calls_to(&self, method: &str, path_part: &str) -> Vec<RestCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path.contains(path_part))
            .collect()
    }

    /// The messages the bot posted in a channel (and not deleted), oldest
    /// first, as they stand after edits.
    pub fn messages_in(&self, channel: &str) -> Vec<PostedMessage> {
        self.shared
            .messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.channel == channel)
            .cloned()
            .collect()
    }

    /// Deletes a message, as a moderator would.
    pub fn delete_message(&self, channel: &str, id: &str) {
        self.shared
            .messages
            .lock()
            .unwrap()
            .retain(|m| !(m.channel == channel && m.id == id));
    }

    /// The bot may not write to `channel`.
    pub fn forbid_channel(&self, channel: &str) {
        self.shared.forbidden.lock().unwrap().push(channel.to_owned());
    }

    /// The next channel message is created but its response lost.
    pub fn lose_next_post(&self) {
        *self.shared.lose_next_post.lock().unwrap() = true;
    }

    /// The next thread started from a message is made and its answer lost.
    pub fn lose_next_thread(&self) {
        *self.shared.lose_next_thread.lock().unwrap() = true;
    }

    /// The threads started from messages, in order.
    pub fn threads(&self) -> Vec<String> {
        self.shared.threads.lock().unwrap().clone()
    }

    /// Waits until the bot has identified on the gateway.
    pub async fn wait_until_ready(&self) {
        self.wait_for("the bot to identify", || *self.shared.identified.lock().unwrap() > 0)
            .await;
    }

    /// Waits (up to thirty seconds: the suite runs many bots at once on two
    /// cores) for a condition, failing the test otherwise.
    pub async fn wait_for(&self, what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; calls: {:#?}",
                self.calls()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Time from dispatching an interaction to receiving its callback.
    pub fn callback_latency(&self, id: &str) -> Option<Duration> {
        let sent = *self.shared.dispatched.lock().unwrap().get(id)?;
        let calls = self.shared.calls.lock().unwrap();
        let callback = calls
            .iter()
            .find(|c| c.method == "POST" && c.path.contains(&format!("/interactions/{id}/")))?;
        Some(callback.at.saturating_duration_since(sent))
    }

    /// Notes when an interaction was first sent (for the 3-second rule).
    fn note_dispatched(&self, interaction: &serde_json::Value) {
        if let Some(id) = interaction["id"].as_str() {
            self.shared
                .dispatched
                .lock()
                .unwrap()
                .entry(id.to_owned())
                .or_insert_with(Instant::now);
        }
    }

    fn send(&self, kind: &str, data: serde_json::Value) {
        if kind == "INTERACTION_CREATE" {
            self.note_dispatched(&data);
        }
        let text = dispatch(&self.shared, kind, data);
        let gateway = self.shared.gateway.lock().unwrap();
        gateway.as_ref().expect("the bot is connected").send(text).unwrap();
    }

    /// The application's public key, as the Developer Portal shows it (the
    /// bot's `discord.public_key`).
    pub fn public_key(&self) -> String {
        let key = ed25519_dalek::SigningKey::from_bytes(&SIGNING_SEED).verifying_key();
        key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The body of a slash command interaction, as Discord sends it over
    /// the gateway or to an interactions endpoint.
    pub fn slash_command_body(
        &self,
        id: &str,
        name: &str,
        options: serde_json::Value,
        user: &str,
        roles: &[&str],
    ) -> serde_json::Value {
        let mut event = self.interaction_base(id, 2, user, roles);
        event["data"] = serde_json::json!({"id": "710000000000000001", "name": name, "type": 1, "options": options});
        event
    }

    /// A PING, as Discord sends to check an endpoint.
    pub fn ping_body(&self) -> serde_json::Value {
        serde_json::json!({"id": "720000000000000001", "application_id": APPLICATION_ID, "type": 1,
                           "token": "token-ping", "version": 1})
    }

    /// POSTs `body` to an interactions endpoint as Discord does: signed with
    /// the application's key over the timestamp and the body. `tamper`
    /// changes one byte of the body after signing (Discord's own check of an
    /// endpoint). Returns the HTTP status and body.
    pub async fn post_interaction(&self, endpoint: &str, body: &serde_json::Value, tamper: bool) -> (u16, String) {
        use ed25519_dalek::Signer;
        self.note_dispatched(body);
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
        let mut bytes = serde_json::to_vec(body).unwrap();
        let signature = ed25519_dalek::SigningKey::from_bytes(&SIGNING_SEED)
            .sign(&[timestamp.as_bytes(), &bytes].concat())
            .to_bytes();
        let signature: String = signature.iter().map(|b| format!("{b:02x}")).collect();
        if tamper {
            let last = bytes.len() - 2;
            bytes[last] ^= 0x01;
        }
        let request = axum::http::Request::builder()
            .method("POST")
            .uri(endpoint)
            .header("content-type", "application/json")
            .header("x-signature-ed25519", signature)
            .header("x-signature-timestamp", timestamp)
            .body(http_body_util::Full::new(bytes::Bytes::from(bytes)))
            .unwrap();
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        let response = client.request(request).await.expect("the endpoint answers");
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Sends a slash command from a guild member; returns the interaction id.
    pub fn slash_command(&self, id: &str, name: &str, options: serde_json::Value, user: &str, roles: &[&str]) {
        self.slash_command_in("600000000000000001", id, name, options, user, roles);
    }

    /// A slash command sent in a given channel.
    /// A slash command with files attached to its attachment options:
    /// `files` are (option name, file name, bytes); the option takes the
    /// attachment's id, the interaction's resolved data its metadata and a
    /// URL this fake serves, as Discord's CDN does. `sizes` overrides the
    /// size Discord reports (a file bigger than the bytes given).
    #[allow(clippy::too_many_arguments)]
    pub fn slash_command_with_files(
        &self,
        id: &str,
        name: &str,
        options: serde_json::Value,
        files: &[(&str, &str, Vec<u8>)],
        sizes: &[(&str, u64)],
        user: &str,
        roles: &[&str],
    ) {
        let event = self.slash_command_body_with_files(id, name, options, files, sizes, user, roles);
        self.send("INTERACTION_CREATE", event);
    }

    /// The body of such a command, for the HTTP endpoint; its files are
    /// served from now on.
    #[allow(clippy::too_many_arguments)]
    pub fn slash_command_body_with_files(
        &self,
        id: &str,
        name: &str,
        mut options: serde_json::Value,
        files: &[(&str, &str, Vec<u8>)],
        sizes: &[(&str, u64)],
        user: &str,
        roles: &[&str],
    ) -> serde_json::Value {
        let mut resolved = serde_json::Map::new();
        for (index, (option, file_name, bytes)) in files.iter().enumerate() {
            let attachment_id = format!("73000000000000000{index}");
            let size = sizes
                .iter()
                .find(|(o, _)| o == option)
                .map_or(bytes.len() as u64, |(_, s)| *s);
            let url = format!("{}/attachments/{attachment_id}/{file_name}", self.api);
            self.shared
                .files
                .lock()
                .unwrap()
                .insert(attachment_id.clone(), bytes.clone());
            resolved.insert(
                attachment_id.clone(),
                serde_json::json!({"id": attachment_id, "filename": file_name, "size": size,
                                   "url": url, "proxy_url": url, "content_type": "text/plain"}),
            );
            let target = options[0]["options"].as_array_mut().expect("a subcommand's options");
            target.push(serde_json::json!({"name": option, "type": 11, "value": attachment_id}));
        }
        let mut event = self.slash_command_body(id, name, options, user, roles);
        event["data"]["resolved"] = serde_json::json!({"attachments": resolved});
        event
    }

    pub fn slash_command_in(
        &self,
        channel: &str,
        id: &str,
        name: &str,
        options: serde_json::Value,
        user: &str,
        roles: &[&str],
    ) {
        let mut event = self.slash_command_body(id, name, options, user, roles);
        event["channel_id"] = serde_json::json!(channel);
        self.send("INTERACTION_CREATE", event);
    }

    fn interaction_base(&self, id: &str, kind: u8, user: &str, roles: &[&str]) -> serde_json::Value {
        serde_json::json!({
            "id": id, "application_id": APPLICATION_ID, "type": kind, "token": format!("token-{id}"), "version": 1,
            "channel_id": "600000000000000001", "guild_id": "500000000000000001", "locale": "en-US",
            "entitlements": [], "attachment_size_limit": 26214400,
            "member": {"user": {"id": user, "username": format!("user{user}")}, "roles": roles,
                       "deaf": false, "mute": false, "flags": 0, "joined_at": "2026-01-01T00:00:00+00:00"},
        })
    }

    /// A press of one of the bot's buttons.
    pub fn button_press(&self, id: &str, custom_id: &str, user: &str, roles: &[&str]) {
        let mut event = self.interaction_base(id, 3, user, roles);
        event["data"] = serde_json::json!({"custom_id": custom_id, "component_type": 2});
        event["message"] = serde_json::json!({
            "id": "800000000000000009", "channel_id": "600000000000000001",
            "author": {"id": BOT_USER_ID, "username": "platform-desk", "bot": true},
            "content": "", "timestamp": "2026-11-28T10:00:00.000000+00:00", "tts": false, "mention_everyone": false,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0
        });
        self.send("INTERACTION_CREATE", event);
    }

    /// An autocomplete request for a command being typed.
    pub fn autocomplete(&self, id: &str, name: &str, options: serde_json::Value, user: &str, roles: &[&str]) {
        let mut event = self.interaction_base(id, 4, user, roles);
        event["data"] = serde_json::json!({"id": "710000000000000001", "name": name, "type": 1, "options": options});
        self.send("INTERACTION_CREATE", event);
    }

    /// A submitted modal with text inputs `(custom_id, value)`.
    pub fn modal_submit(&self, id: &str, custom_id: &str, inputs: &[(&str, &str)], user: &str, roles: &[&str]) {
        let mut event = self.interaction_base(id, 5, user, roles);
        let rows: Vec<serde_json::Value> = inputs
            .iter()
            .map(|(input, value)| {
                serde_json::json!({"type": 1, "components": [{"type": 4, "custom_id": input, "value": value}]})
            })
            .collect();
        event["data"] = serde_json::json!({"custom_id": custom_id, "components": rows});
        self.send("INTERACTION_CREATE", event);
    }

    /// Closes the gateway connection, as Discord does now and then.
    pub fn drop_gateway(&self) {
        // Dropping the sender ends the writer task, which closes the socket.
        self.shared.gateway.lock().unwrap().take();
    }

    /// Whether the bot resumed a session.
    pub fn resumed(&self) -> bool {
        *self.shared.resumed.lock().unwrap() > 0
    }

    /// How many times the bot identified (a new session) on the gateway.
    pub fn identifications(&self) -> usize {
        *self.shared.identified.lock().unwrap()
    }

    /// Sends a chat message in a guild channel.
    pub fn message(&self, id: &str, content: &str, mentions_bot: bool, user: &str) {
        let mentions = if mentions_bot {
            serde_json::json!([{"id": BOT_USER_ID, "username": "platform-desk", "bot": true}])
        } else {
            serde_json::json!([])
        };
        self.send(
            "MESSAGE_CREATE",
            serde_json::json!({
                "id": id, "channel_id": "600000000000000002", "guild_id": "500000000000000001",
                "author": {"id": user, "username": format!("user{user}")},
                "content": content, "timestamp": "2026-11-28T10:00:00.000000+00:00", "tts": false,
                "mention_everyone": false, "mentions": mentions, "mention_roles": [], "attachments": [],
                "embeds": [], "pinned": false, "type": 0
            }),
        );
    }

    /// Sends the same raw dispatch again (a redelivery).
    pub fn redeliver_slash_command(&self, id: &str, name: &str, options: serde_json::Value, user: &str) {
        self.slash_command(id, name, options, user, &[]);
    }
}
