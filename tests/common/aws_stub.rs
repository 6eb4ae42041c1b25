//! A small AWS endpoint for tests, in front of moto. It speaks the JSON 1.1
//! protocol for operations moto lacks (Support's DescribeServices and
//! AddCommunicationToCase; Health's DescribeEvents and
//! DescribeEventDetails), forwards everything else to
//! moto, and injects faults on demand: throttling, 5xx errors, moto being
//! away (502), and a CreateCase whose response is lost after moto made the
//! case (as when the bot dies between CreateCase and its commit).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A fault for the next matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 400 ThrottlingException.
    Throttle,
    /// 500 InternalServerError.
    ServerError,
    /// 502: moto is not there.
    Away,
    /// Forward to moto, then answer 500 as if the response was lost.
    LoseResponse,
}

#[derive(Default)]
struct Faults {
    /// (operation name or "*", fault)
    queue: VecDeque<(String, Fault)>,
    away: bool,
}

pub struct AwsStub {
    pub endpoint: String,
    state: Arc<StubState>,
}

struct StubState {
    moto: String,
    client: Client<HttpConnector, Full<Bytes>>,
    faults: Mutex<Faults>,
    communications: Mutex<Vec<(String, String)>>,
    targets: Mutex<Vec<String>>,
    /// Health events served, as `(event JSON, latest description)`.
    health: Mutex<Vec<(serde_json::Value, String)>>,
}

impl AwsStub {
    /// Starts the stub on 127.0.0.1, in front of moto at `moto`.
    pub async fn start(moto: &str) -> Self {
        let state = Arc::new(StubState {
            moto: moto.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            faults: Mutex::new(Faults::default()),
            communications: Mutex::new(Vec::new()),
            targets: Mutex::new(Vec::new()),
            health: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { endpoint, state }
    }

    /// Queues a fault for the next request to `operation` ("*" for any).
    pub fn inject(&self, operation: &str, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .queue
            .push_back((operation.to_owned(), fault));
    }

    /// While away, every request gets a 502 (moto stopped).
    pub fn set_away(&self, away: bool) {
        self.state.faults.lock().unwrap().away = away;
    }

    /// Sets the Health events served (JSON as AWS sends it) with their
    /// latest descriptions.
    pub fn set_health_events(&self, events: Vec<(serde_json::Value, String)>) {
        *self.state.health.lock().unwrap() = events;
    }

    pub fn communications(&self) -> Vec<(String, String)> {
        self.state.communications.lock().unwrap().clone()
    }

    /// The operations called, in order (X-Amz-Target, or the STS Action).
    pub fn operations(&self) -> Vec<String> {
        self.state.targets.lock().unwrap().clone()
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
    response
}

fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response<Body> {
    json(status, serde_json::json!({"__type": kind, "message": message}))
}

async fn handle(State(state): State<Arc<StubState>>, request: Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_owned())
        .unwrap_or_else(|| {
            // Query protocol (STS): Action=AssumeRole&...
            String::from_utf8_lossy(&body)
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action=").map(str::to_owned))
                .unwrap_or_default()
        });
    state.targets.lock().unwrap().push(target.clone());

    let fault = {
        let mut faults = state.faults.lock().unwrap();
        if faults.away {
            Some(Fault::Away)
        } else {
            let position = faults.queue.iter().position(|(op, _)| op == "*" || *op == target);
            position.and_then(|i| faults.queue.remove(i)).map(|(_, fault)| fault)
        }
    };
    match fault {
        Some(Fault::Throttle) => return aws_error(StatusCode::BAD_REQUEST, "ThrottlingException", "Rate exceeded"),
        Some(Fault::ServerError) => {
            return aws_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "try again");
        }
        Some(Fault::Away) => return aws_error(StatusCode::BAD_GATEWAY, "BadGateway", "moto is away"),
        Some(Fault::LoseResponse) | None => {}
    }

    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let response = match target.as_str() {
        "DescribeServices" => json(
            StatusCode::OK,
            serde_json::json!({"services": [
                {"code": "amazon-elastic-compute-cloud-linux", "name": "Elastic Compute Cloud (EC2 - Linux)",
                 "categories": [{"code": "instance-issue", "name": "Instance Issue"}]},
                {"code": "amazon-relational-database-service-mysql", "name": "Relational Database Service (MySQL)",
                 "categories": [{"code": "connectivity", "name": "Connectivity"}]}
            ]}),
        ),
        "DescribeEvents" => {
            let wants_issues = payload["filter"]["eventTypeCategories"]
                .as_array()
                .is_some_and(|c| c.iter().any(|v| v == "issue"));
            let events: Vec<serde_json::Value> = state
                .health
                .lock()
                .unwrap()
                .iter()
                .filter(|(e, _)| !wants_issues || e["eventTypeCategory"] == "issue")
                .map(|(e, _)| e.clone())
                .collect();
            json(StatusCode::OK, serde_json::json!({"events": events}))
        }
        "DescribeEventDetails" => {
            let wanted: Vec<&str> = payload["eventArns"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            if wanted.len() > 10 {
                return aws_error(StatusCode::BAD_REQUEST, "ValidationException", "at most 10 eventArns");
            }
            let set: Vec<serde_json::Value> = state
                .health
                .lock()
                .unwrap()
                .iter()
                .filter(|(e, _)| wanted.contains(&e["arn"].as_str().unwrap_or_default()))
                .map(|(e, text)| serde_json::json!({"event": e, "eventDescription": {"latestDescription": text}}))
                .collect();
            json(
                StatusCode::OK,
                serde_json::json!({"successfulSet": set, "failedSet": []}),
            )
        }
        "AddCommunicationToCase" => {
            let case_id = payload["caseId"].as_str().unwrap_or_default().to_owned();
            let text = payload["communicationBody"].as_str().unwrap_or_default().to_owned();
            if case_id.is_empty() || text.is_empty() {
                aws_error(
                    StatusCode::BAD_REQUEST,
                    "ValidationException",
                    "caseId and communicationBody are required",
                )
            } else {
                state.communications.lock().unwrap().push((case_id, text));
                json(StatusCode::OK, serde_json::json!({"result": true}))
            }
        }
        _ => forward(&state, parts, body).await,
    };
    if fault == Some(Fault::LoseResponse) {
        return aws_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "the response was lost",
        );
    }
    response
}

async fn forward(state: &StubState, parts: axum::http::request::Parts, body: Bytes) -> Response<Body> {
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let uri: Uri = format!("{}{}", state.moto, path).parse().unwrap();
    let mut request = axum::http::Request::builder().method(parts.method).uri(uri);
    for (name, value) in &parts.headers {
        if name != "host" {
            request = request.header(name, value);
        }
    }
    let request = request.body(Full::new(body)).unwrap();
    match state.client.request(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(error) => aws_error(StatusCode::BAD_GATEWAY, "BadGateway", &error.to_string()),
    }
}
