//! A small AWS endpoint for tests, in front of moto. It speaks the JSON 1.1
//! protocol for operations moto lacks (Support's DescribeServices,
//! AddCommunicationToCase and DescribeCommunications; all of Health: DescribeEvents(ForOrganization),
//! DescribeEventDetails(ForOrganization), DescribeAffectedEntities and
//! DescribeAffectedAccountsForOrganization, paginated), forwards everything else to
//! moto, and injects faults on demand: throttling, 5xx errors, moto being
//! away (502), and a CreateCase whose response is lost, broken off by a
//! reset, or held past the bot's timeout after moto made the case (as when
//! the bot dies between CreateCase and its commit).

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

/// How many times the SDK sends one call in its standard retry mode, which
/// production keeps: a fault meant to fail a read must last that many
/// requests.
pub const SDK_ATTEMPTS: usize = 3;

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
    /// Forward to moto, then reset the connection in the middle of the
    /// answer (its headers sent, its body broken off).
    ResetAfter,
    /// Forward to moto, then hold the answer this long (past the bot's call
    /// timeout) before a 500: the work is done, the caller saw nothing.
    SlowAfter(std::time::Duration),
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
    communications: Mutex<Vec<StubCommunication>>,
    /// Items per page of DescribeCommunications.
    communication_page: Mutex<usize>,
    /// Attachment sets uploaded (AddAttachmentsToSet) and not yet used.
    attachment_sets: Mutex<Vec<(String, NamedFiles)>>,
    /// The severity codes DescribeSeverityLevels gives; None: the plan has
    /// no Support API (SubscriptionRequiredException).
    severity_levels: Mutex<Option<Vec<String>>>,
    targets: Mutex<Vec<String>>,
    /// Each JSON request's operation and payload, in order.
    payloads: Mutex<Vec<(String, serde_json::Value)>>,
    /// The region each request was signed for, in order.
    regions: Mutex<Vec<String>>,
    /// Health events served.
    health: Mutex<Vec<HealthFixture>>,
    /// Items per page of Health lists (AWS: up to the request's maxResults).
    health_page: Mutex<usize>,
}

/// Files by name.
type NamedFiles = Vec<(String, Vec<u8>)>;

/// One message of a case's conversation the stub keeps: the desk's notes
/// (AddCommunicationToCase) and replies a test adds for AWS.
#[derive(Debug, Clone)]
struct StubCommunication {
    case_id: String,
    body: String,
    submitted_by: String,
    time_created: String,
    /// The files attached to it (name, bytes).
    attachments: Vec<(String, Vec<u8>)>,
}

/// One Health event the stub serves: the event as AWS sends it, its latest
/// description, and the accounts it affects (empty for public events).
#[derive(Debug, Clone)]
pub struct HealthFixture {
    pub event: serde_json::Value,
    pub description: String,
    pub accounts: Vec<String>,
}

/// A page of `items` from the request's nextToken (an index here).
fn page<T: Clone>(items: &[T], payload: &serde_json::Value, size: usize) -> (Vec<T>, Option<String>) {
    let start: usize = payload["nextToken"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
    let size = payload["maxResults"]
        .as_u64()
        .map_or(size, |m| (m as usize).min(size))
        .max(1);
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    (items.get(start..end).unwrap_or_default().to_vec(), next)
}

impl AwsStub {
    /// The stub alone, for what it answers itself (Health): anything it
    /// would forward gets a 502.
    pub async fn without_moto() -> Self {
        Self::start("http://127.0.0.1:9").await
    }

    /// Starts the stub on 127.0.0.1, in front of moto at `moto`.
    pub async fn start(moto: &str) -> Self {
        let state = Arc::new(StubState {
            moto: moto.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            faults: Mutex::new(Faults::default()),
            communications: Mutex::new(Vec::new()),
            communication_page: Mutex::new(100),
            attachment_sets: Mutex::new(Vec::new()),
            severity_levels: Mutex::new(Some(
                ["low", "normal", "high", "urgent", "critical"]
                    .map(str::to_owned)
                    .to_vec(),
            )),
            targets: Mutex::new(Vec::new()),
            payloads: Mutex::new(Vec::new()),
            regions: Mutex::new(Vec::new()),
            health: Mutex::new(Vec::new()),
            health_page: Mutex::new(100),
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

    /// Queues a fault for every attempt of the next call to `operation`, so
    /// that the call fails even though the SDK retries it.
    pub fn inject_every_attempt(&self, operation: &str, fault: Fault) {
        for _ in 0..SDK_ATTEMPTS {
            self.inject(operation, fault.clone());
        }
    }

    /// While away, every request gets a 502 (moto stopped).
    pub fn set_away(&self, away: bool) {
        self.state.faults.lock().unwrap().away = away;
    }

    /// Health lists come in pages of at most `size` items.
    pub fn set_health_page_size(&self, size: usize) {
        *self.state.health_page.lock().unwrap() = size;
    }

    /// Sets the Health events served (JSON as AWS sends it) with their
    /// latest descriptions.
    pub fn set_health_events(&self, events: Vec<HealthFixture>) {
        *self.state.health.lock().unwrap() = events;
    }

    /// AWS Support replies on a case, at `time_created` (RFC 3339).
    pub fn add_aws_reply(&self, case_id: &str, time_created: &str, body: &str) {
        self.add_aws_reply_with_files(case_id, time_created, body, Vec::new());
    }

    /// The same, with files (name, bytes) attached.
    pub fn add_aws_reply_with_files(&self, case_id: &str, time_created: &str, body: &str, files: NamedFiles) {
        self.state.communications.lock().unwrap().push(StubCommunication {
            case_id: case_id.into(),
            body: body.into(),
            submitted_by: "Amazon Web Services".into(),
            time_created: time_created.into(),
            attachments: files,
        });
    }

    /// The files that reached cases, with their communications (case id,
    /// file name, bytes), in order.
    pub fn attached_files(&self) -> Vec<(String, String, Vec<u8>)> {
        self.state
            .communications
            .lock()
            .unwrap()
            .iter()
            .flat_map(|c| {
                c.attachments
                    .iter()
                    .map(|(name, bytes)| (c.case_id.clone(), name.clone(), bytes.clone()))
            })
            .collect()
    }

    /// The support plan offers these severities (None: no Support API).
    pub fn set_severity_levels(&self, levels: Option<&[&str]>) {
        *self.state.severity_levels.lock().unwrap() =
            levels.map(|levels| levels.iter().map(|l| (*l).to_owned()).collect());
    }

    /// Items per page of DescribeCommunications (AWS: up to maxResults).
    pub fn set_communication_page_size(&self, size: usize) {
        *self.state.communication_page.lock().unwrap() = size;
    }

    /// The notes the desk added (case id, body), in order.
    pub fn communications(&self) -> Vec<(String, String)> {
        self.state
            .communications
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.submitted_by != "Amazon Web Services")
            .map(|c| (c.case_id.clone(), c.body.clone()))
            .collect()
    }

    /// The region each request was signed for (SigV4's credential scope).
    pub fn signing_regions(&self) -> Vec<String> {
        self.state.regions.lock().unwrap().clone()
    }

    /// The payloads of the JSON requests to `operation`, in order.
    pub fn payloads(&self, operation: &str) -> Vec<serde_json::Value> {
        self.state
            .payloads
            .lock()
            .unwrap()
            .iter()
            .filter(|(op, _)| op == operation)
            .map(|(_, payload)| payload.clone())
            .collect()
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
    // Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...
    let region = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(2))
        .unwrap_or_default()
        .to_owned();
    state.regions.lock().unwrap().push(region);

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
        Some(Fault::LoseResponse | Fault::ResetAfter | Fault::SlowAfter(_)) | None => {}
    }

    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    state.payloads.lock().unwrap().push((target.clone(), payload.clone()));
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
        "DescribeEvents" | "DescribeEventsForOrganization" => {
            let wants_issues = payload["filter"]["eventTypeCategories"]
                .as_array()
                .is_some_and(|c| c.iter().any(|v| v == "issue"));
            let events: Vec<serde_json::Value> = state
                .health
                .lock()
                .unwrap()
                .iter()
                .filter(|f| !wants_issues || f.event["eventTypeCategory"] == "issue")
                .map(|f| f.event.clone())
                .collect();
            let (events, next) = page(&events, &payload, *state.health_page.lock().unwrap());
            json(StatusCode::OK, serde_json::json!({"events": events, "nextToken": next}))
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
                .filter(|f| wanted.contains(&f.event["arn"].as_str().unwrap_or_default()))
                .map(
                    |f| serde_json::json!({"event": f.event, "eventDescription": {"latestDescription": f.description}}),
                )
                .collect();
            json(
                StatusCode::OK,
                serde_json::json!({"successfulSet": set, "failedSet": []}),
            )
        }
        "DescribeEventDetailsForOrganization" => {
            let filters = payload["organizationEventDetailFilters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if filters.len() > 10 {
                return aws_error(StatusCode::BAD_REQUEST, "ValidationException", "at most 10 filters");
            }
            let health = state.health.lock().unwrap();
            let (mut ok, mut failed) = (Vec::new(), Vec::new());
            for filter in &filters {
                let arn = filter["eventArn"].as_str().unwrap_or_default();
                let account = filter["awsAccountId"].as_str();
                match health.iter().find(|f| f.event["arn"] == arn) {
                    // An account-specific event is only described for one of its accounts.
                    Some(f)
                        if f.event["eventScopeCode"] != "PUBLIC"
                            && !account.is_some_and(|a| f.accounts.iter().any(|x| x == a)) =>
                    {
                        failed.push(serde_json::json!({"eventArn": arn, "errorName": "NotFound"}))
                    }
                    Some(f) => ok.push(serde_json::json!({
                        "awsAccountId": account, "event": f.event,
                        "eventDescription": {"latestDescription": f.description}
                    })),
                    None => failed.push(serde_json::json!({"eventArn": arn, "errorName": "NotFound"})),
                }
            }
            json(
                StatusCode::OK,
                serde_json::json!({"successfulSet": ok, "failedSet": failed}),
            )
        }
        "DescribeAffectedAccountsForOrganization" => {
            let arn = payload["eventArn"].as_str().unwrap_or_default();
            let health = state.health.lock().unwrap();
            match health.iter().find(|f| f.event["arn"] == arn) {
                Some(f) => {
                    let (accounts, next) = page(&f.accounts, &payload, *state.health_page.lock().unwrap());
                    json(
                        StatusCode::OK,
                        serde_json::json!({
                            "affectedAccounts": accounts, "nextToken": next,
                            "eventScopeCode": f.event["eventScopeCode"]
                        }),
                    )
                }
                None => aws_error(StatusCode::BAD_REQUEST, "ValidationException", "unknown event"),
            }
        }
        "DescribeAffectedEntities" => {
            let wanted: Vec<String> = payload["filter"]["eventArns"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            if wanted.is_empty() || wanted.len() > 10 {
                return aws_error(StatusCode::BAD_REQUEST, "ValidationException", "1 to 10 eventArns");
            }
            let entities: Vec<serde_json::Value> = state
                .health
                .lock()
                .unwrap()
                .iter()
                .filter(|f| wanted.iter().any(|w| f.event["arn"] == w.as_str()))
                .flat_map(|f| {
                    f.accounts.iter().map(|account| {
                        serde_json::json!({
                            "entityArn": format!("{}/{account}", f.event["arn"].as_str().unwrap_or_default()),
                            "eventArn": f.event["arn"], "entityValue": "i-0123456789abcdef0",
                            "awsAccountId": account, "statusCode": "IMPAIRED"
                        })
                    })
                })
                .collect();
            let (entities, next) = page(&entities, &payload, *state.health_page.lock().unwrap());
            json(
                StatusCode::OK,
                serde_json::json!({"entities": entities, "nextToken": next}),
            )
        }
        "DescribeCommunications" => {
            // Newest first, from afterTime on, paginated.
            let case_id = payload["caseId"].as_str().unwrap_or_default().to_owned();
            let rfc3339 = &time::format_description::well_known::Rfc3339;
            let after = payload["afterTime"]
                .as_str()
                .and_then(|t| time::OffsetDateTime::parse(t, rfc3339).ok())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let mut communications: Vec<serde_json::Value> = state
                .communications
                .lock()
                .unwrap()
                .iter()
                .filter(|c| {
                    c.case_id == case_id
                        && time::OffsetDateTime::parse(&c.time_created, rfc3339).is_ok_and(|at| at >= after)
                })
                .map(|c| {
                    let files: Vec<serde_json::Value> = c
                        .attachments
                        .iter()
                        .enumerate()
                        .map(|(i, (name, _))| serde_json::json!({"attachmentId": format!("{}-{i}", c.time_created), "fileName": name}))
                        .collect();
                    serde_json::json!({"caseId": c.case_id, "body": c.body, "submittedBy": c.submitted_by,
                                       "timeCreated": c.time_created, "attachmentSet": files})
                })
                .collect();
            communications.reverse();
            let (communications, next) = page(&communications, &payload, *state.communication_page.lock().unwrap());
            json(
                StatusCode::OK,
                serde_json::json!({"communications": communications, "nextToken": next}),
            )
        }
        "DescribeSeverityLevels" => match state.severity_levels.lock().unwrap().clone() {
            Some(levels) => {
                let levels: Vec<serde_json::Value> = levels
                    .iter()
                    .map(|code| serde_json::json!({"code": code, "name": code}))
                    .collect();
                json(StatusCode::OK, serde_json::json!({"severityLevels": levels}))
            }
            None => aws_error(
                StatusCode::BAD_REQUEST,
                "SubscriptionRequiredException",
                "AWS Premium Support Subscription is required to use this service.",
            ),
        },
        "DescribeAttachment" => {
            use base64::Engine as _;
            let wanted = payload["attachmentId"].as_str().unwrap_or_default().to_owned();
            let communications = state.communications.lock().unwrap();
            let found = communications.iter().find_map(|c| {
                c.attachments
                    .iter()
                    .enumerate()
                    .find(|(i, _)| format!("{}-{i}", c.time_created) == wanted)
                    .map(|(_, file)| file.clone())
            });
            match found {
                Some((name, bytes)) => json(
                    StatusCode::OK,
                    serde_json::json!({"attachment": {"fileName": name,
                        "data": base64::engine::general_purpose::STANDARD.encode(bytes)}}),
                ),
                None => aws_error(StatusCode::BAD_REQUEST, "AttachmentIdNotFound", "no such attachment"),
            }
        }
        "AddAttachmentsToSet" => {
            use base64::Engine as _;
            let mut files = Vec::new();
            for attachment in payload["attachments"].as_array().cloned().unwrap_or_default() {
                let name = attachment["fileName"].as_str().unwrap_or_default().to_owned();
                let Ok(bytes) =
                    base64::engine::general_purpose::STANDARD.decode(attachment["data"].as_str().unwrap_or_default())
                else {
                    return aws_error(StatusCode::BAD_REQUEST, "ValidationException", "data is not base64");
                };
                files.push((name, bytes));
            }
            if files.is_empty() || files.len() > 3 {
                return aws_error(
                    StatusCode::BAD_REQUEST,
                    "AttachmentLimitExceeded",
                    "1 to 3 attachments a set",
                );
            }
            if files
                .iter()
                .any(|(_, bytes)| bytes.len() > 5 * 1024 * 1024 || bytes.is_empty())
            {
                return aws_error(
                    StatusCode::BAD_REQUEST,
                    "AttachmentSetSizeLimitExceeded",
                    "5 MB an attachment",
                );
            }
            let mut sets = state.attachment_sets.lock().unwrap();
            let id = format!("set-{}", sets.len() + 1 + state.targets.lock().unwrap().len());
            sets.push((id.clone(), files));
            json(
                StatusCode::OK,
                serde_json::json!({"attachmentSetId": id, "expiryTime": "2099-01-01T00:00:00.000Z"}),
            )
        }
        "AddCommunicationToCase" => {
            let case_id = payload["caseId"].as_str().unwrap_or_default().to_owned();
            let text = payload["communicationBody"].as_str().unwrap_or_default().to_owned();
            let set = payload["attachmentSetId"].as_str().map(str::to_owned);
            let attachments = match set {
                None => Some(Vec::new()),
                // A set is used by one communication, as AWS does.
                Some(set) => {
                    let mut sets = state.attachment_sets.lock().unwrap();
                    sets.iter()
                        .position(|(id, _)| *id == set)
                        .map(|index| sets.remove(index).1)
                }
            };
            if case_id.is_empty() || text.is_empty() {
                aws_error(
                    StatusCode::BAD_REQUEST,
                    "ValidationException",
                    "caseId and communicationBody are required",
                )
            } else if attachments.is_none() {
                aws_error(
                    StatusCode::BAD_REQUEST,
                    "AttachmentSetIdNotFound",
                    "the attachment set does not exist or has expired",
                )
            } else {
                let now = time::OffsetDateTime::now_utc();
                state.communications.lock().unwrap().push(StubCommunication {
                    case_id,
                    body: text,
                    submitted_by: "desk@provider.example".into(),
                    time_created: platform_desk::store::timestamp(now),
                    attachments: attachments.unwrap_or_default(),
                });
                json(StatusCode::OK, serde_json::json!({"result": true}))
            }
        }
        _ => forward(&state, parts, body).await,
    };
    if fault == Some(Fault::ResetAfter) {
        let broken = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset"))
        });
        return Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/x-amz-json-1.1")
            .header("content-length", "512")
            .body(Body::from_stream(broken))
            .unwrap();
    }
    if let Some(Fault::SlowAfter(wait)) = fault {
        tokio::time::sleep(wait).await;
        return aws_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "too late");
    }
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
