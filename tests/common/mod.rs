//! Helpers shared by the integration tests.

#![allow(dead_code)]

use platform_desk::app::App;
use platform_desk::config::Config;
use platform_desk::domain::Role;
use platform_desk::inbound::Actor;

/// An app on a fresh SQLite file in its own temporary directory.
pub async fn app() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.url = database::url(dir.path(), "test.db");
    (App::build(config).await.unwrap(), dir)
}

pub fn actor(role: Role) -> Actor {
    Actor {
        user_id: "1001".into(),
        display_name: "Test User".into(),
        role,
        role_ids: Vec::new(),
        guild_id: Some("42".into()),
        channel_id: Some("43".into()),
    }
}

/// Checks an `ask --json` embed array against Discord's limits, counting as
/// Discord does at worst (UTF-16 units).
pub fn embed_limit_problems(embeds: &serde_json::Value) -> Vec<String> {
    let len = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.encode_utf16().count());
    let mut problems = Vec::new();
    let embeds = embeds.as_array().expect("embeds is an array");
    if embeds.len() > 10 {
        problems.push(format!("{} embeds", embeds.len()));
    }
    let mut total = 0;
    for embed in embeds {
        let title = len(&embed["title"]);
        let description = len(&embed["description"]);
        let footer = len(&embed["footer"]["text"]);
        if title > 256 || description > 4096 || footer > 2048 {
            problems.push(format!("title {title}, description {description}, footer {footer}"));
        }
        total += title + description + footer;
        let fields = embed["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            problems.push(format!("{} fields", fields.len()));
        }
        for field in fields {
            let (name, value) = (len(&field["name"]), len(&field["value"]));
            if name == 0 || name > 256 || value == 0 || value > 1024 {
                problems.push(format!("field name {name}, value {value}"));
            }
            total += name + value;
        }
    }
    if total > 6000 {
        problems.push(format!("total {total}"));
    }
    problems
}

pub mod fakes {
    //! In-memory stand-ins for AWS Support and the clock.

    use std::collections::VecDeque;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use platform_desk::aws::support::{
        CaseCommunication, CaseError, CaseRequest, CaseSummary, SupportCases, SupportService,
    };
    use platform_desk::clock::Clock;
    use platform_desk::domain::AccountId;
    use time::OffsetDateTime;

    #[derive(Debug, Clone)]
    pub struct FakeCase {
        pub case_id: String,
        pub account: Option<AccountId>,
        pub request: CaseRequest,
        pub status: String,
        /// The notes the desk sent.
        pub communications: Vec<String>,
        /// Messages from AWS (or the customer's side), added by tests.
        pub replies: Vec<CaseCommunication>,
        /// Files attached to the case's communications (name, bytes).
        pub attachments: Vec<(String, Vec<u8>)>,
    }

    #[derive(Default)]
    struct State {
        cases: Vec<FakeCase>,
        failures: VecDeque<CaseError>,
        lose_next_create_response: bool,
        /// The next CreateCase waits this long before it answers.
        slow_next_create: Option<std::time::Duration>,
        calls: Vec<String>,
        /// Severities offered per account (the bot's own: None); None: no
        /// Support API. Accounts not listed are offered every severity.
        plans: std::collections::HashMap<Option<String>, Option<Vec<platform_desk::domain::Severity>>>,
        /// Attachment sets uploaded and not yet used.
        attachment_sets: Vec<(String, NamedFiles)>,
        lose_next_communication_response: bool,
        /// The next AddCommunicationToCase fails with this, before anything.
        fail_next_communication: Option<CaseError>,
        /// Files on AWS's replies, by attachment id.
        reply_files: std::collections::HashMap<String, (String, Vec<u8>)>,
    }

    /// Files by name.
    type NamedFiles = Vec<(String, Vec<u8>)>;

    /// AWS Support in memory. Failures can be queued; a create can "lose its
    /// response" (the case exists, the caller sees a network error), as when
    /// the bot dies between CreateCase and its commit.
    #[derive(Default)]
    pub struct FakeSupport {
        state: Mutex<State>,
    }

    impl FakeSupport {
        pub fn fail_next(&self, errors: impl IntoIterator<Item = CaseError>) {
            self.state.lock().unwrap().failures.extend(errors);
        }
        /// The next CreateCase takes `wait` to answer (a process can be
        /// killed in the middle of it).
        pub fn slow_next_create(&self, wait: std::time::Duration) {
            self.state.lock().unwrap().slow_next_create = Some(wait);
        }
        /// The next AddCommunicationToCase reaches the case, and its answer
        /// is lost.
        pub fn lose_next_communication_response(&self) {
            self.state.lock().unwrap().lose_next_communication_response = true;
        }
        /// The next AddCommunicationToCase fails with `error` (nothing done).
        pub fn fail_next_communication(&self, error: CaseError) {
            self.state.lock().unwrap().fail_next_communication = Some(error);
        }
        /// Every attachment set uploaded and not used expires.
        pub fn expire_attachment_sets(&self) {
            self.state.lock().unwrap().attachment_sets.clear();
        }
        pub fn lose_next_create_response(&self) {
            self.state.lock().unwrap().lose_next_create_response = true;
        }
        /// The account's plan offers only `severities` (None: no Support API).
        pub fn set_plan(&self, account: Option<&str>, severities: Option<Vec<platform_desk::domain::Severity>>) {
            self.state
                .lock()
                .unwrap()
                .plans
                .insert(account.map(str::to_owned), severities);
        }
        pub fn cases(&self) -> Vec<FakeCase> {
            self.state.lock().unwrap().cases.clone()
        }
        pub fn calls(&self) -> Vec<String> {
            self.state.lock().unwrap().calls.clone()
        }
        /// AWS no longer knows a case (another account's, or deleted).
        pub fn forget_case(&self, case_id: &str) {
            self.state.lock().unwrap().cases.retain(|c| c.case_id != case_id);
        }
        /// AWS (or someone on the customer's side, by `submitted_by`) adds a
        /// message to a case.
        pub fn add_reply(&self, case_id: &str, submitted_by: &str, time_created: &str, body: &str) {
            self.add_reply_with_files(case_id, submitted_by, time_created, body, vec![]);
        }

        /// A message with files (name, bytes), as AWS lists it: the files
        /// by id, fetched with DescribeAttachment.
        pub fn add_reply_with_files(
            &self,
            case_id: &str,
            submitted_by: &str,
            time_created: &str,
            body: &str,
            files: Vec<(String, Vec<u8>)>,
        ) {
            let mut state = self.state.lock().unwrap();
            let mut attachments = Vec::new();
            for (name, bytes) in files {
                let id = format!("attachment-{}", state.reply_files.len() + 1);
                state.reply_files.insert(id.clone(), (name.clone(), bytes));
                attachments.push(platform_desk::aws::support::CaseFile { id, name });
            }
            let case = state
                .cases
                .iter_mut()
                .find(|c| c.case_id == case_id)
                .expect("a known case");
            case.replies.push(CaseCommunication {
                submitted_by: submitted_by.into(),
                time_created: time_created.into(),
                body: body.into(),
                attachments,
            });
        }
        pub fn set_status(&self, case_id: &str, status: &str) {
            let mut state = self.state.lock().unwrap();
            if let Some(case) = state.cases.iter_mut().find(|c| c.case_id == case_id) {
                case.status = status.to_owned();
            }
        }
        fn enter(&self, call: &str) -> Result<std::sync::MutexGuard<'_, State>, CaseError> {
            let mut state = self.state.lock().unwrap();
            state.calls.push(call.to_owned());
            match state.failures.pop_front() {
                Some(error) => Err(error),
                None => Ok(state),
            }
        }
    }

    fn summary(case: &FakeCase) -> CaseSummary {
        CaseSummary {
            case_id: case.case_id.clone(),
            display_id: Some(format!("display-{}", case.case_id)),
            subject: Some(case.request.subject.clone()),
            status: Some(case.status.clone()),
        }
    }

    #[async_trait]
    impl SupportCases for FakeSupport {
        async fn create_case(&self, account: Option<&AccountId>, case: &CaseRequest) -> Result<String, CaseError> {
            let slow = self.state.lock().unwrap().slow_next_create.take();
            if let Some(wait) = slow {
                tokio::time::sleep(wait).await;
            }
            let mut state = self.enter("create_case")?;
            let case_id = format!("case-{}", state.cases.len() + 1);
            state.cases.push(FakeCase {
                case_id: case_id.clone(),
                account: account.cloned(),
                request: case.clone(),
                status: "opened".into(),
                communications: vec![],
                replies: vec![],
                attachments: vec![],
            });
            if std::mem::take(&mut state.lose_next_create_response) {
                return Err(CaseError::Transient(
                    "connection reset after the request was sent".into(),
                ));
            }
            Ok(case_id)
        }
        async fn find_case(
            &self,
            account: Option<&AccountId>,
            reference: &str,
            _since: OffsetDateTime,
        ) -> Result<Option<CaseSummary>, CaseError> {
            let state = self.enter("find_case")?;
            Ok(state
                .cases
                .iter()
                .find(|c| c.account.as_ref() == account && c.request.subject.contains(reference))
                .map(summary))
        }
        async fn describe_cases(
            &self,
            _account: Option<&AccountId>,
            ids: &[String],
        ) -> Result<Vec<CaseSummary>, CaseError> {
            let state = self.enter("describe_cases")?;
            // As AWS does: one id it does not know fails the whole call.
            if let Some(unknown) = ids.iter().find(|id| !state.cases.iter().any(|c| &c.case_id == *id)) {
                return Err(CaseError::Rejected(format!(
                    "CaseIdNotFound: Case {unknown} could not be located"
                )));
            }
            Ok(state
                .cases
                .iter()
                .filter(|c| ids.contains(&c.case_id))
                .map(summary)
                .collect())
        }
        async fn communications(
            &self,
            _account: Option<&AccountId>,
            case_id: &str,
            since: OffsetDateTime,
        ) -> Result<Vec<CaseCommunication>, CaseError> {
            let state = self.enter("communications")?;
            let since = platform_desk::store::timestamp(since);
            Ok(state
                .cases
                .iter()
                .filter(|c| c.case_id == case_id)
                .flat_map(|c| {
                    let body = CaseCommunication {
                        submitted_by: "desk@provider.example".into(),
                        time_created: "2026-01-01T00:00:00.000Z".into(),
                        body: c.request.body.clone(),
                        attachments: vec![],
                    };
                    let notes = c.communications.iter().map(|note| CaseCommunication {
                        submitted_by: "desk@provider.example".into(),
                        time_created: "2026-01-01T00:00:01.000Z".into(),
                        body: note.clone(),
                        attachments: vec![],
                    });
                    std::iter::once(body).chain(notes).chain(c.replies.iter().cloned())
                })
                .filter(|c| c.time_created >= since || c.submitted_by == "desk@provider.example")
                .collect())
        }
        async fn resolve_case(&self, _account: Option<&AccountId>, case_id: &str) -> Result<(), CaseError> {
            let mut state = self.enter("resolve_case")?;
            match state.cases.iter_mut().find(|c| c.case_id == case_id) {
                Some(case) => {
                    case.status = "resolved".into();
                    Ok(())
                }
                None => Err(CaseError::Rejected("CaseIdNotFound".into())),
            }
        }
        async fn add_communication(
            &self,
            _account: Option<&AccountId>,
            case_id: &str,
            body: &str,
            attachment_set_id: Option<&str>,
        ) -> Result<(), CaseError> {
            let mut state = self.enter("add_communication")?;
            if let Some(error) = state.fail_next_communication.take() {
                return Err(error);
            }
            let files = match attachment_set_id {
                Some(set) => match state.attachment_sets.iter().position(|(id, _)| id == set) {
                    // A set is used once, as AWS does.
                    Some(index) => state.attachment_sets.remove(index).1,
                    None => return Err(CaseError::Rejected("AttachmentSetIdNotFound".into())),
                },
                None => Vec::new(),
            };
            match state.cases.iter_mut().find(|c| c.case_id == case_id) {
                Some(case) => {
                    case.communications.push(body.to_owned());
                    case.attachments.extend(files);
                    if std::mem::take(&mut state.lose_next_communication_response) {
                        return Err(CaseError::Transient(
                            "connection reset after the request was sent".into(),
                        ));
                    }
                    Ok(())
                }
                None => Err(CaseError::Rejected("CaseIdNotFound".into())),
            }
        }
        async fn attachment(&self, _account: Option<&AccountId>, id: &str) -> Result<(String, Vec<u8>), CaseError> {
            let state = self.enter("attachment")?;
            state
                .reply_files
                .get(id)
                .cloned()
                .ok_or_else(|| CaseError::Rejected("AttachmentIdNotFound".into()))
        }
        async fn add_attachments(
            &self,
            _account: Option<&AccountId>,
            files: &[(String, Vec<u8>)],
        ) -> Result<String, CaseError> {
            let mut state = self.enter("add_attachments")?;
            let id = format!("set-{}", state.calls.len());
            state.attachment_sets.push((id.clone(), files.to_vec()));
            Ok(id)
        }
        async fn services(&self, _account: Option<&AccountId>) -> Result<Vec<SupportService>, CaseError> {
            let _state = self.enter("services")?;
            Ok(vec![SupportService {
                code: "amazon-elastic-compute-cloud-linux".into(),
                name: "Elastic Compute Cloud (EC2 - Linux)".into(),
                category_codes: vec!["instance-issue".into()],
            }])
        }
        /// Not subject to queued failures (which tests mean for the calls
        /// they name): the plan is what `set_plan` says.
        async fn severity_levels(
            &self,
            account: Option<&AccountId>,
        ) -> Result<Vec<platform_desk::domain::Severity>, CaseError> {
            let mut state = self.state.lock().unwrap();
            state.calls.push("severity_levels".to_owned());
            match state.plans.get(&account.map(|a| a.as_str().to_owned())) {
                Some(Some(severities)) => Ok(severities.clone()),
                Some(None) => Err(CaseError::SubscriptionRequired),
                None => Ok(platform_desk::domain::Severity::ALL.to_vec()),
            }
        }
    }

    /// A clock that moves only when told.
    pub struct FakeClock(Mutex<OffsetDateTime>);

    impl FakeClock {
        pub fn at(now: OffsetDateTime) -> Self {
            Self(Mutex::new(now))
        }
        pub fn advance(&self, by: time::Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> OffsetDateTime {
            *self.0.lock().unwrap()
        }
    }

    /// AWS Health in memory: the events it lists, the ones it was asked to
    /// complete, and failures on demand.
    #[derive(Default)]
    pub struct FakeHealth {
        events: Mutex<Vec<platform_desk::aws::health::HealthEvent>>,
        completed: Mutex<Vec<String>>,
        failing: Mutex<bool>,
        /// `complete` calls that succeed before the rest are throttled.
        completions_left: Mutex<Option<usize>>,
    }

    impl FakeHealth {
        /// Sets the events; descriptions and accounts are returned by
        /// `complete` only, as AWS does.
        pub fn set(&self, events: Vec<platform_desk::aws::health::HealthEvent>) {
            *self.events.lock().unwrap() = events;
        }
        pub fn completed(&self) -> Vec<String> {
            self.completed.lock().unwrap().clone()
        }
        pub fn fail(&self, failing: bool) {
            *self.failing.lock().unwrap() = failing;
        }
        /// After `calls` more successful `complete` calls, throttle the rest
        /// (`None`: never).
        pub fn throttle_complete_after(&self, calls: Option<usize>) {
            *self.completions_left.lock().unwrap() = calls;
        }
    }

    #[async_trait]
    impl platform_desk::aws::health::Health for FakeHealth {
        async fn issues(&self) -> Result<Vec<platform_desk::aws::health::HealthEvent>, platform_desk::aws::AwsError> {
            if *self.failing.lock().unwrap() {
                return Err(platform_desk::aws::AwsError::Transient(
                    "ThrottlingException: Rate exceeded".into(),
                ));
            }
            Ok(self
                .events
                .lock()
                .unwrap()
                .iter()
                .map(|e| platform_desk::aws::health::HealthEvent {
                    description: None,
                    affected_accounts: Default::default(),
                    ..e.clone()
                })
                .collect())
        }

        async fn complete(
            &self,
            events: &mut [platform_desk::aws::health::HealthEvent],
        ) -> Result<(), platform_desk::aws::AwsError> {
            if let Some(left) = self.completions_left.lock().unwrap().as_mut() {
                if *left == 0 {
                    return Err(platform_desk::aws::AwsError::Transient(
                        "ThrottlingException: Rate exceeded".into(),
                    ));
                }
                *left -= 1;
            }
            let known = self.events.lock().unwrap().clone();
            for event in events.iter_mut() {
                self.completed.lock().unwrap().push(event.arn.clone());
                if let Some(full) = known.iter().find(|k| k.arn == event.arn) {
                    event.description = full.description.clone();
                    event.affected_accounts = full.affected_accounts.clone();
                }
            }
            Ok(())
        }
    }
}

pub mod aws_stub;
pub mod database;

/// The moto server started by `./scripts/test`.
pub fn moto_endpoint() -> String {
    std::env::var("PLATFORM_DESK_TEST_MOTO").unwrap_or_else(|_| {
        panic!("moto is not running: run ./scripts/test, which installs moto in a venv and starts it on 127.0.0.1")
    })
}

/// SDK configuration for tests: fixed test credentials, us-east-1, the given
/// endpoint, and nothing read from the environment. Retries are the SDK's
/// standard ones, as in production (`aws::load_sdk_config` leaves them at the
/// default): faults are injected by the stub, not switched off here.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(std::time::Duration::from_secs(10))
                .build(),
        )
        .load()
        .await
}

/// Cases in moto's default account whose subject carries `reference`.
pub async fn cases_in_moto(reference: &str) -> usize {
    let sdk = sdk_config(&moto_endpoint()).await;
    let output = aws_sdk_support::Client::new(&sdk)
        .describe_cases()
        .include_resolved_cases(true)
        .include_communications(false)
        .send()
        .await
        .unwrap();
    output
        .cases()
        .iter()
        .filter(|c| c.subject().is_some_and(|s| s.contains(reference)))
        .count()
}

pub mod bot;
pub mod fake_discord;

/// The binary, reaching AWS through the SDK's standard chain at `endpoint`
/// with test credentials, in `dir`.
pub fn binary_with_aws(dir: &tempfile::TempDir, endpoint: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_platform-desk"));
    command
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("AWS_PROFILE")
        .env_remove("RUST_LOG")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    // On the PostgreSQL pass, the database made for this directory.
    if database::on_postgres() {
        command.env("DATABASE_URL", database::url(dir.path(), "platform-desk.db"));
    }
    command
}

/// The one JSON object a successful `ask --json` printed.
pub fn json_output(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
