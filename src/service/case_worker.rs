//! Getting tickets' AWS Support cases opened, updated and followed, reliably.
//!
//! - An attempt is claimed (counted and the ticket held) in a committed
//!   transaction before any AWS call, so two processes never try at once.
//! - Before any retry, the worker looks for a case already carrying the
//!   ticket's reference (DescribeCases), so a crash between CreateCase and the
//!   commit that records it cannot produce a second case.
//! - Failures that may pass (network, throttling, 5xx, credentials) are
//!   retried with exponential backoff and jitter; the others are recorded and
//!   explained.
//! - Notes and resolutions wait in an outbox until AWS has taken them.
//! - Open cases are polled for status changes, recorded as ticket events,
//!   and for new messages in their conversation (AWS's replies, messages
//!   sent from AWS's console), each recorded once (see
//!   `store::conversation`).

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::aws::support::{CaseCommunication, CaseError, CaseRequest, CaseSummary, SupportCases};
use crate::clock::Clock;
use crate::config::EscalationConfig;
use crate::domain::Severity;
use crate::service::support_plan::{Allowed, Plan, SupportPlans};
use crate::store::conversation::{CaseMessage, Origin};
use crate::store::{CaseAction, Store, StoreError, Ticket};
use crate::text::clip_chars;

/// How one attempt at a ticket's case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAttempt {
    /// The case exists (just created, or found from an earlier attempt).
    Created {
        case_id: String,
        display_id: Option<String>,
    },
    /// Not this time; retried at the given time.
    Pending { reason: String, retry_at: OffsetDateTime },
    /// AWS refused for good.
    Failed { error: CaseError },
    /// Not due, not pending, or another worker holds it.
    NotClaimed,
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub cases_created: usize,
    pub cases_pending: usize,
    pub cases_failed: usize,
    pub actions_done: usize,
    pub actions_waiting: usize,
    pub statuses_changed: usize,
    /// New messages in open cases' conversations (AWS's replies and the
    /// customer's side's, not the desk's own).
    pub replies_recorded: usize,
    /// Critical tickets whose announcement was behind (a write that failed
    /// or a crash between the two) and was brought up to date.
    pub announcements_mended: usize,
}

pub struct CaseWorker {
    /// Deliveries started in the background (`/ticket note`), awaited by
    /// [`CaseWorker::finish_background`] before a process exits.
    background: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    store: Store,
    cases: Arc<dyn SupportCases>,
    config: EscalationConfig,
    clock: Arc<dyn Clock>,
    call_timeout: Duration,
    plans: Arc<SupportPlans>,
}

/// A communication of `ticket`'s case as the conversation records it: from
/// AWS, from the desk (the case body it opened with, the notes it sent, each
/// carrying its mark), or from the customer's side outside the desk.
fn case_message(ticket: &Ticket, communication: CaseCommunication) -> CaseMessage {
    let origin = if communication.is_from_aws() {
        Origin::Aws
    } else if communication.body.contains(NOTE_MARK)
        || (communication.body.contains(OPENED_MARK) && communication.body.contains(&ticket.case_reference))
    {
        Origin::Desk
    } else {
        Origin::Customer
    };
    CaseMessage {
        origin,
        submitted_by: communication.submitted_by,
        time_created: communication.time_created,
        body: communication.body,
        attachments: communication.attachments,
    }
}

/// What starts the mark each note sent to AWS carries.
const NOTE_MARK: &str = "[platform-desk note ";
/// What the footer of a case the desk opened says.
const OPENED_MARK: &str = "Opened through platform-desk by";

/// AWS limits a case's communication body to 8,000 characters.
const MAX_CASE_BODY: usize = 8_000;
/// Tickets looked at in one pass, so one pass stays short.
const BATCH: i64 = 50;

impl CaseWorker {
    pub fn new(
        store: Store,
        cases: Arc<dyn SupportCases>,
        config: EscalationConfig,
        clock: Arc<dyn Clock>,
        call_timeout: Duration,
    ) -> Self {
        Self {
            background: std::sync::Mutex::new(Vec::new()),
            store,
            plans: Arc::new(SupportPlans::new(cases.clone())),
            cases,
            config,
            clock,
            call_timeout,
        }
    }

    /// The delay before retry number `attempts` (1 for the first retry):
    /// doubling from the configured start up to the maximum, then a random
    /// 50-100% of it, so that many tickets do not retry in step.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exponent = attempts.clamp(1, 20) as u32 - 1;
        let base = self
            .config
            .retry_initial_seconds
            .saturating_mul(2u64.saturating_pow(exponent))
            .min(self.config.retry_max_seconds);
        let jittered = base as f64 * (0.5 + fastrand::f64() * 0.5);
        Duration::from_secs_f64(jittered.max(1.0))
    }

    /// After a CreateCase or a note whose outcome is unknown (no answer in
    /// time, or the answer lost), AWS may still be doing it: the retry (a
    /// case attempt looks for the case before creating another) waits at
    /// least this long.
    fn settle(&self) -> Duration {
        Duration::from_secs(self.config.settle_seconds)
    }

    fn later(&self, now: OffsetDateTime, delay: Duration) -> OffsetDateTime {
        now + time::Duration::try_from(delay).unwrap_or(time::Duration::minutes(15))
    }

    /// Bounds one AWS call; a call that takes too long is a transient failure.
    async fn bounded<T>(&self, call: impl Future<Output = Result<T, CaseError>>) -> Result<T, CaseError> {
        match tokio::time::timeout(self.call_timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(CaseError::Transient(format!(
                "no answer within {} s",
                self.call_timeout.as_secs()
            ))),
        }
    }

    /// One attempt at a pending ticket's AWS case.
    #[tracing::instrument(name = "case_attempt", skip(self), fields(attempt))]
    pub async fn attempt(&self, ticket_id: i64) -> Result<CaseAttempt, StoreError> {
        let now = self.clock.now();
        // Held for the attempt's budget and the settle wait: a process that
        // dies in the middle of CreateCase leaves a request AWS may still
        // complete, so the next claim (which looks before creating) comes
        // only after it would have settled.
        let hold_until = self.later(now, self.call_timeout * 2 + self.settle());
        let Some(ticket) = self.store.claim_case_attempt(ticket_id, now, hold_until).await? else {
            return Ok(CaseAttempt::NotClaimed);
        };
        tracing::Span::current().record("attempt", ticket.case_attempts);
        let account = ticket.account_id.as_ref();
        if ticket.status == crate::store::TicketStatus::Resolved {
            return self.close_out(&ticket).await;
        }

        // The whole attempt (lookup, service codes, creation) shares one
        // budget of two call timeouts, so that a reply waiting on it stays
        // well inside half a minute even when AWS does not answer at all.
        let budget = self.call_timeout * 2;
        // Set once CreateCase has been sent: from then on a failure leaves
        // the case's existence unknown.
        let create_sent = std::sync::atomic::AtomicBool::new(false);
        let work = async {
            if ticket.case_attempts > 1 {
                // An earlier attempt may have created the case and died before
                // recording it: look before creating another.
                let since = self.ticket_created_at(&ticket) - time::Duration::minutes(10);
                if let Some(existing) = self
                    .bounded(self.cases.find_case(account, &ticket.case_reference, since))
                    .await?
                {
                    tracing::info!(case_id = %existing.case_id, "found the case an earlier attempt created");
                    return Ok((existing.case_id, existing.display_id, existing.status, None));
                }
            }
            let (severity, capped) = self.case_severity(&ticket).await?;
            let request = self.case_request(&ticket, severity).await;
            create_sent.store(true, std::sync::atomic::Ordering::Relaxed);
            let case_id = self.bounded(self.cases.create_case(account, &request)).await?;
            // The display id is what people quote; missing it is no failure.
            let details = self
                .bounded(self.cases.describe_cases(account, std::slice::from_ref(&case_id)))
                .await
                .ok()
                .and_then(|found| found.into_iter().find(|c| c.case_id == case_id));
            let (display_id, status) = details.map_or((None, None), |d| (d.display_id, d.status));
            Ok::<_, CaseError>((case_id, display_id, status, capped))
        };
        let result = match tokio::time::timeout(budget, work).await {
            Ok(result) => result,
            Err(_) => Err(CaseError::Transient(format!("no answer within {} s", budget.as_secs()))),
        };

        let now = self.clock.now();
        match result {
            Ok((case_id, display_id, status, capped)) => {
                self.store
                    .record_case_created(ticket.id, &case_id, display_id.as_deref(), status.as_deref(), now)
                    .await?;
                if let Some((to, plan)) = capped {
                    let detail = format!(
                        "AWS case opened at severity {} instead of {}: the account's support plan offers {}",
                        to.code(),
                        ticket.severity.code(),
                        plan.describe()
                    );
                    self.store.record_case_severity(ticket.id, to, &detail, now).await?;
                }
                tracing::info!(%case_id, "AWS case created");
                Ok(CaseAttempt::Created { case_id, display_id })
            }
            Err(error) if error.is_retryable() => {
                // Without AWS in this deployment, look again only now and then.
                let uncertain = create_sent.load(std::sync::atomic::Ordering::Relaxed);
                let delay = match error {
                    CaseError::NotConfigured => Duration::from_secs(self.config.retry_max_seconds),
                    // The case may exist or be in the making: give AWS time
                    // to finish before the lookup that precedes any new one.
                    _ if uncertain => self.backoff(ticket.case_attempts).max(self.settle()),
                    _ => self.backoff(ticket.case_attempts),
                };
                let retry_at = self.later(now, delay);
                tracing::warn!(error = %error, retry_at = %crate::store::timestamp(retry_at), "AWS case not created yet");
                self.failed(ticket.id, error, Some(retry_at), now).await
            }
            Err(error) => {
                tracing::warn!(error = %error, "AWS refused the case");
                self.failed(ticket.id, error, None, now).await
            }
        }
    }

    /// Records a failed attempt: retried at `retry_at`, or (without one)
    /// given up for good.
    async fn failed(
        &self,
        ticket_id: i64,
        error: CaseError,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<CaseAttempt, StoreError> {
        self.store
            .record_case_failure(ticket_id, &error.to_string(), retry_at, now)
            .await?;
        Ok(match retry_at {
            Some(retry_at) => CaseAttempt::Pending {
                reason: error.to_string(),
                retry_at,
            },
            None => CaseAttempt::Failed { error },
        })
    }

    /// A ticket resolved while an attempt at its case may have reached AWS:
    /// the case is looked for, never created. Found, it is recorded and
    /// resolved like the ticket; not found, the ticket's case is closed out.
    async fn close_out(&self, ticket: &Ticket) -> Result<CaseAttempt, StoreError> {
        let since = self.ticket_created_at(ticket) - time::Duration::minutes(10);
        let found = self
            .bounded(
                self.cases
                    .find_case(ticket.account_id.as_ref(), &ticket.case_reference, since),
            )
            .await;
        let now = self.clock.now();
        match found {
            Ok(Some(case)) => {
                self.store
                    .record_case_created(
                        ticket.id,
                        &case.case_id,
                        case.display_id.as_deref(),
                        case.status.as_deref(),
                        now,
                    )
                    .await?;
                tracing::info!(case_id = %case.case_id, "found the case of a resolved ticket; resolving it");
                Ok(CaseAttempt::Created {
                    case_id: case.case_id,
                    display_id: case.display_id,
                })
            }
            Ok(None) => {
                let error = CaseError::Rejected("the ticket was resolved before its AWS case was opened".to_owned());
                self.store
                    .record_case_failure(
                        ticket.id,
                        "resolved before an AWS case was opened; none was found",
                        None,
                        now,
                    )
                    .await?;
                Ok(CaseAttempt::Failed { error })
            }
            Err(error) if error.is_retryable() => {
                let retry_at = self.later(now, self.backoff(ticket.case_attempts));
                self.failed(ticket.id, error, Some(retry_at), now).await
            }
            Err(error) => self.failed(ticket.id, error, None, now).await,
        }
    }

    /// The severity the ticket's case is opened at: the ticket's, unless the
    /// account's support plan does not offer it (then the highest it offers
    /// below, with the plan to explain it). A plan without the Support API
    /// refuses the case; a plan that cannot be read leaves the ticket's
    /// severity (AWS refuses one it does not offer, and says why).
    async fn case_severity(&self, ticket: &Ticket) -> Result<(Severity, Option<(Severity, Plan)>), CaseError> {
        let plan = match self.bounded(self.plans.plan(ticket.account_id.as_ref())).await {
            Ok(plan) => plan,
            Err(CaseError::NotConfigured) => return Err(CaseError::NotConfigured),
            Err(error) => {
                tracing::warn!(%error, "could not read the account's support plan; the case keeps the ticket's severity");
                return Ok((ticket.severity, None));
            }
        };
        match plan.allow(ticket.severity) {
            Allowed::AsAsked(severity) => Ok((severity, None)),
            Allowed::Capped { to, .. } => Ok((to, Some((to, plan)))),
            Allowed::NoSupportApi => Err(CaseError::SubscriptionRequired),
        }
    }

    /// One file of a case's conversation (AWS's attachment), within the
    /// call timeout.
    pub async fn case_file(
        &self,
        account: Option<&crate::domain::AccountId>,
        attachment_id: &str,
    ) -> Result<(String, Vec<u8>), CaseError> {
        self.bounded(self.cases.attachment(account, attachment_id)).await
    }

    /// The plans of the accounts cases are opened in.
    pub fn plans(&self) -> Arc<SupportPlans> {
        self.plans.clone()
    }

    fn ticket_created_at(&self, ticket: &Ticket) -> OffsetDateTime {
        OffsetDateTime::parse(&ticket.created_at, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| self.clock.now() - time::Duration::days(1))
    }

    /// The case to open for a ticket: its subject tagged with the reference,
    /// its description and where it came from, and the service and category
    /// codes (from DescribeServices when the ticket names a service).
    async fn case_request(&self, ticket: &Ticket, severity: Severity) -> CaseRequest {
        let (service_code, category_code) = self.service_codes(ticket).await;
        let subject = format!("{} [{}]", clip_chars(&ticket.subject, 180), ticket.case_reference);
        let footer = format!(
            "\n\n--\n{OPENED_MARK} {} ({}), ticket #{} ({}).{}{}",
            ticket.opened_by.name,
            ticket.opened_by.role,
            ticket.id,
            ticket.case_reference,
            ticket
                .customer
                .as_deref()
                .map(|c| format!(" Customer: {c}."))
                .unwrap_or_default(),
            ticket
                .account_id
                .as_ref()
                .map(|a| format!(" Account: {a}."))
                .unwrap_or_default(),
        );
        let room = MAX_CASE_BODY.saturating_sub(footer.chars().count() + 1);
        let mut body = clip_chars(&ticket.description, room).to_owned();
        if body.len() < ticket.description.len() {
            body.push('…');
        }
        body.push_str(&footer);
        CaseRequest {
            subject,
            body,
            severity,
            service_code,
            category_code,
            language: self.config.language.clone(),
            cc_email_addresses: self.config.cc_email_addresses.clone(),
        }
    }

    async fn service_codes(&self, ticket: &Ticket) -> (String, String) {
        let defaults = (
            self.config.default_service_code.clone(),
            self.config.default_category_code.clone(),
        );
        let Some(wanted) = ticket.aws_service.as_deref().map(str::to_ascii_lowercase) else {
            return defaults;
        };
        let services = match self.bounded(self.cases.services(ticket.account_id.as_ref())).await {
            Ok(services) => services,
            Err(error) => {
                tracing::info!(%error, "DescribeServices unavailable; using the default service code");
                return defaults;
            }
        };
        let found = services
            .iter()
            .find(|s| s.code.eq_ignore_ascii_case(&wanted))
            .or_else(|| services.iter().find(|s| s.name.to_ascii_lowercase().contains(&wanted)));
        match found {
            Some(service) => (
                service.code.clone(),
                service
                    .category_codes
                    .first()
                    .cloned()
                    .unwrap_or_else(|| self.config.default_category_code.clone()),
            ),
            None => defaults,
        }
    }

    /// Passes a ticket's queued notes and resolutions on in the background,
    /// so a reply never waits on AWS. A process that is about to exit (`ask`,
    /// the console) awaits them with [`CaseWorker::finish_background`]: an
    /// action sent but not yet recorded would be sent again by the worker.
    pub fn deliver_in_background(self: &Arc<Self>, ticket_id: i64) {
        let worker = self.clone();
        let task = tokio::spawn(async move {
            if let Err(error) = worker.deliver_actions(Some(ticket_id)).await {
                tracing::error!(error = %crate::error::cause_chain(&error), "could not record a case update");
            }
        });
        let mut background = self.background.lock().expect("never poisoned");
        background.retain(|t| !t.is_finished());
        background.push(task);
    }

    /// Waits for the deliveries started in the background (each bounded by
    /// the call timeout).
    pub async fn finish_background(&self) {
        let tasks: Vec<_> = std::mem::take(&mut *self.background.lock().expect("never poisoned"));
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Passes queued notes and resolutions on to AWS (for one ticket, or all).
    pub async fn deliver_actions(&self, only_ticket: Option<i64>) -> Result<(usize, usize), StoreError> {
        let now = self.clock.now();
        let due = self.store.due_case_actions(now, BATCH).await?;
        let (mut done, mut waiting) = (0, 0);
        for action in due.iter().filter(|a| only_ticket.is_none_or(|t| a.ticket_id == t)) {
            // Claimed before it is sent, so no other pass or process sends it
            // at the same time; held for the call and the settle wait, so a
            // sender that dies mid-call is not followed by another at once.
            let hold_until = self.later(now, self.call_timeout + self.settle());
            if !self.store.claim_case_action(action.id, now, hold_until).await? {
                continue;
            }
            let result = self.deliver(action).await;
            let now = self.clock.now();
            let outcome = match result {
                Ok(()) => {
                    done += 1;
                    Ok(())
                }
                Err(error) if error.is_retryable() => {
                    waiting += 1;
                    // A note whose answer was lost may have reached the case:
                    // the retry waits for AWS to settle.
                    let delay = match error {
                        CaseError::Transient(_) => self.backoff(action.attempts + 1).max(self.settle()),
                        _ => self.backoff(action.attempts + 1),
                    };
                    Err((error.to_string(), Some(self.later(now, delay))))
                }
                Err(error) => Err((error.to_string(), None)),
            };
            self.store.finish_case_action(action, outcome, now).await?;
        }
        Ok((done, waiting))
    }

    async fn deliver(&self, action: &CaseAction) -> Result<(), CaseError> {
        let account = action.account_id.as_ref();
        match action.kind.as_str() {
            "resolve" => {
                self.bounded(self.cases.resolve_case(account, &action.aws_case_id))
                    .await
            }
            _ => {
                // Each note carries a mark of its own, so that a resend after
                // an attempt that may have reached the case (its answer lost)
                // can tell whether it already did.
                let mark = format!("{NOTE_MARK}{}.{}]", action.ticket_id, action.id);
                if action.attempts > 0 {
                    let since = self.clock.now() - time::Duration::days(30);
                    let sent = self
                        .bounded(self.cases.communications(account, &action.aws_case_id, since))
                        .await?;
                    if sent.iter().any(|c| c.body.contains(&mark)) {
                        tracing::info!(action = action.id, "the note had reached the case already");
                        return Ok(());
                    }
                }
                let room = MAX_CASE_BODY.saturating_sub(mark.chars().count() + 2);
                let body = format!("{}\n\n{mark}", clip_chars(&action.body, room));
                let set = self.attachment_set(action).await?;
                let sent = self
                    .bounded(
                        self.cases
                            .add_communication(account, &action.aws_case_id, &body, set.as_deref()),
                    )
                    .await;
                match sent {
                    // The set expired or AWS lost it before the note went:
                    // upload the files again on the next attempt.
                    Err(CaseError::Rejected(error)) if set.is_some() && error.contains("AttachmentSet") => {
                        self.store
                            .forget_attachment_set(action.id)
                            .await
                            .map_err(|e| CaseError::Transient(format!("could not forget the attachment set: {e}")))?;
                        Err(CaseError::Transient(format!(
                            "the files' attachment set is gone ({error}); uploading them again"
                        )))
                    }
                    other => other,
                }
            }
        }
    }

    /// The attachment set carrying a note's files (None without files): the
    /// one made by an earlier attempt while it lasts, else a new upload,
    /// remembered at once, so that a resend after a lost answer sends the
    /// same set and the case gets the files once.
    async fn attachment_set(&self, action: &CaseAction) -> Result<Option<String>, CaseError> {
        let now = self.clock.now();
        if let (Some(set), Some(expires)) = (&action.attachment_set_id, &action.attachment_set_expires_at)
            && *expires > crate::store::timestamp(now + time::Duration::minutes(5))
        {
            return Ok(Some(set.clone()));
        }
        let files = self
            .store
            .case_action_files(action.id)
            .await
            .map_err(|e| CaseError::Transient(format!("could not read the note's files: {e}")))?;
        if files.is_empty() {
            return Ok(None);
        }
        let files: Vec<(String, Vec<u8>)> = files.into_iter().map(|f| (f.name, f.bytes)).collect();
        let set = self
            .bounded(self.cases.add_attachments(action.account_id.as_ref(), &files))
            .await?;
        // AWS keeps an unused set for an hour.
        self.store
            .record_attachment_set(action.id, &set, now + time::Duration::minutes(55))
            .await
            .map_err(|e| CaseError::Transient(format!("could not record the attachment set: {e}")))?;
        Ok(Some(set))
    }

    /// The cases AWS knows among `ids`, asked for one at a time; those it
    /// refuses are logged and skipped.
    async fn describe_each(&self, account: Option<&crate::domain::AccountId>, ids: &[String]) -> Vec<CaseSummary> {
        let mut found = Vec::new();
        for id in ids {
            match self
                .bounded(self.cases.describe_cases(account, std::slice::from_ref(id)))
                .await
            {
                Ok(cases) => found.extend(cases),
                Err(CaseError::Rejected(error)) => {
                    tracing::warn!(case_id = %id, %error, "AWS does not know this case; its status is not followed");
                }
                Err(error) => {
                    tracing::warn!(%error, "could not poll AWS case statuses; trying again next time");
                    break;
                }
            }
        }
        found
    }

    /// Polls the AWS cases of open tickets and records status changes.
    pub async fn sync_statuses(&self) -> Result<usize, StoreError> {
        let tickets = self.store.tickets_with_open_cases().await?;
        let mut by_account: std::collections::BTreeMap<Option<String>, Vec<&Ticket>> = Default::default();
        for ticket in &tickets {
            by_account
                .entry(ticket.account_id.as_ref().map(|a| a.as_str().to_owned()))
                .or_default()
                .push(ticket);
        }
        let mut changed = 0;
        for group in by_account.values() {
            let account = group[0].account_id.as_ref();
            let ids: Vec<String> = group.iter().filter_map(|t| t.aws_case_id.clone()).collect();
            let cases = match self.bounded(self.cases.describe_cases(account, &ids)).await {
                Ok(cases) => cases,
                // One case AWS does not know fails the whole call: ask for
                // each, and skip the ones it does not know.
                Err(CaseError::Rejected(error)) if ids.len() > 1 => {
                    tracing::info!(%error, "a case status poll was refused; asking for each case");
                    self.describe_each(account, &ids).await
                }
                Err(error) => {
                    tracing::warn!(%error, "could not poll AWS case statuses; trying again next time");
                    continue;
                }
            };
            for case in cases {
                let (Some(ticket), Some(status)) = (
                    group.iter().find(|t| t.aws_case_id.as_deref() == Some(&case.case_id)),
                    case.status.as_deref(),
                ) else {
                    continue;
                };
                if self
                    .store
                    .record_case_status(ticket.id, status, self.clock.now())
                    .await?
                {
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }

    /// Reads the new messages of open cases' conversations and records each
    /// once; returns how many came from AWS or the customer's side. A case
    /// whose conversation cannot be read is logged and read again next time
    /// (from the last message recorded, so nothing is skipped).
    pub async fn sync_conversations(&self) -> Result<usize, StoreError> {
        let mut recorded = 0;
        for ticket in self.store.tickets_with_open_cases().await? {
            let Some(case_id) = ticket.aws_case_id.as_deref() else {
                continue;
            };
            // From a second before the newest message recorded, whatever
            // AWS's precision: what is read again is recognized and skipped.
            let since = match self.store.latest_case_message_time(ticket.id).await? {
                Some(latest) => OffsetDateTime::parse(&latest, &time::format_description::well_known::Rfc3339)
                    .map(|at| at - time::Duration::seconds(1))
                    .unwrap_or_else(|_| self.ticket_created_at(&ticket)),
                None => self.ticket_created_at(&ticket) - time::Duration::minutes(10),
            };
            let communications = match self
                .bounded(self.cases.communications(ticket.account_id.as_ref(), case_id, since))
                .await
            {
                Ok(communications) => communications,
                Err(error) => {
                    tracing::warn!(ticket = ticket.id, case_id, %error, "could not read the case's conversation; trying again next time");
                    continue;
                }
            };
            let mut messages: Vec<CaseMessage> = communications.into_iter().map(|c| case_message(&ticket, c)).collect();
            messages.sort_by(|a, b| a.time_created.cmp(&b.time_created));
            for message in &messages {
                if self
                    .store
                    .record_case_message(ticket.id, message, self.clock.now())
                    .await?
                    && message.origin != Origin::Desk
                {
                    tracing::info!(
                        ticket = ticket.id,
                        case_id,
                        origin = message.origin.as_str(),
                        "new message on the AWS case"
                    );
                    recorded += 1;
                }
            }
        }
        Ok(recorded)
    }

    /// One pass: due case attempts, queued actions, and (when `sync`) the
    /// status poll.
    pub async fn run_once(&self, sync: bool) -> Result<WorkerReport, StoreError> {
        let mut report = WorkerReport::default();
        for id in self.store.due_case_attempts(self.clock.now(), BATCH).await? {
            match self.attempt(id).await? {
                CaseAttempt::Created { .. } => report.cases_created += 1,
                CaseAttempt::Pending { .. } => report.cases_pending += 1,
                CaseAttempt::Failed { .. } => report.cases_failed += 1,
                CaseAttempt::NotClaimed => {}
            }
        }
        let (done, waiting) = self.deliver_actions(None).await?;
        report.actions_done = done;
        report.actions_waiting = waiting;
        // `worker` alone (without `run`'s poster) mends them too.
        match super::outage::reconcile_escalations(&self.store, self.clock.now()).await {
            Ok(mended) => report.announcements_mended = mended,
            Err(error) => tracing::error!(%error, "could not bring escalation announcements up to date"),
        }
        if sync {
            report.statuses_changed = self.sync_statuses().await?;
            report.replies_recorded = self.sync_conversations().await?;
            // Retention. Discord never redelivers an interaction after its
            // token's 15 minutes (nor a message after a resumed session); a
            // day of ids is plenty to act on each once.
            let forgotten = self
                .store
                .forget_interactions_before(self.clock.now() - time::Duration::days(1))
                .await?;
            if forgotten > 0 {
                tracing::debug!(forgotten, "old interaction ids forgotten");
            }
            let pruned = self.store.prune_aws_records(self.clock.now()).await?;
            if pruned > 0 {
                tracing::debug!(pruned, "expired AWS answers and old request records removed");
            }
        }
        Ok(report)
    }

    /// Runs until `shutdown` turns true: a pass every worker interval, a
    /// status poll every sync interval, while this instance holds the
    /// `case-worker` duty (one instance of a fleet at a time; the others
    /// stand by, see `fleet`). A failing pass is logged and the loop goes on.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let every = Duration::from_secs(self.config.worker_interval_seconds);
        let sync_every = Duration::from_secs(self.config.sync_interval_seconds);
        let duty = crate::fleet::Duty::new(self.store.clone(), "case-worker");
        let mut last_sync: Option<tokio::time::Instant> = None;
        loop {
            let sync = last_sync.is_none_or(|at| at.elapsed() >= sync_every);
            let pass = duty.run_if_held(self.run_once(sync)).await;
            match &pass {
                None => {}
                Some(Ok(report)) => {
                    if sync {
                        last_sync = Some(tokio::time::Instant::now());
                    }
                    if *report != WorkerReport::default() {
                        tracing::info!(?report, "case worker pass");
                    }
                }
                Some(Err(error)) => {
                    tracing::error!(error = %crate::error::cause_chain(error), "case worker pass failed")
                }
            }
            tokio::select! {
                _ = duty.wait(every, pass.is_some()) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        duty.release().await;
    }
}
