//! AWS Support cases: the trait the escalation service and its worker use,
//! and its SDK implementation (aws-sdk-support), which opens cases in a
//! customer's member account by assuming the configured role through STS, or
//! in the bot's own account when the ticket names none.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::{AwsError, classify};
use crate::domain::{AccountId, Severity};

/// A case to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRequest {
    /// Carries the ticket's reference, so that the case can be found again.
    pub subject: String,
    pub body: String,
    pub severity: Severity,
    pub service_code: String,
    pub category_code: String,
    pub language: String,
    pub cc_email_addresses: Vec<String>,
}

/// A case as AWS describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub case_id: String,
    pub display_id: Option<String>,
    pub subject: Option<String>,
    pub status: Option<String>,
}

/// A service and its first category, from DescribeServices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportService {
    pub code: String,
    pub name: String,
    pub category_codes: Vec<String>,
}

/// One message of a case's conversation, as DescribeCommunications gives
/// it: AWS's replies, and what the customer's side sent (through this bot
/// or AWS's own console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCommunication {
    /// "Amazon Web Services" for AWS's replies; otherwise who sent it (an
    /// email address or IAM identity).
    pub submitted_by: String,
    /// When AWS recorded it (RFC 3339, as AWS gives it).
    pub time_created: String,
    pub body: String,
    /// The files attached to it.
    pub attachments: Vec<CaseFile>,
}

/// A file attached to a case's communication: its id (DescribeAttachment)
/// and name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseFile {
    pub id: String,
    pub name: String,
}

impl CaseCommunication {
    /// AWS's replies are submitted by "Amazon Web Services".
    pub fn is_from_aws(&self) -> bool {
        self.submitted_by.trim().eq_ignore_ascii_case("Amazon Web Services")
    }
}

/// Errors from AWS Support calls (the general AWS error).
pub type CaseError = AwsError;

/// What the services need from AWS Support, and no more.
#[async_trait]
pub trait SupportCases: Send + Sync {
    /// Opens a case; returns its case id.
    async fn create_case(&self, account: Option<&AccountId>, case: &CaseRequest) -> Result<String, CaseError>;
    /// A case created after `since` whose subject carries `reference`.
    async fn find_case(
        &self,
        account: Option<&AccountId>,
        reference: &str,
        since: OffsetDateTime,
    ) -> Result<Option<CaseSummary>, CaseError>;
    /// Cases by id (resolved ones included).
    async fn describe_cases(
        &self,
        account: Option<&AccountId>,
        case_ids: &[String],
    ) -> Result<Vec<CaseSummary>, CaseError>;
    async fn resolve_case(&self, account: Option<&AccountId>, case_id: &str) -> Result<(), CaseError>;
    /// Adds a communication, with the attachment set of
    /// [`SupportCases::add_attachments`] when it carries files.
    async fn add_communication(
        &self,
        account: Option<&AccountId>,
        case_id: &str,
        body: &str,
        attachment_set_id: Option<&str>,
    ) -> Result<(), CaseError>;
    /// One file of a case's communications (DescribeAttachment): its name
    /// and bytes.
    async fn attachment(
        &self,
        account: Option<&AccountId>,
        attachment_id: &str,
    ) -> Result<(String, Vec<u8>), CaseError>;
    /// Uploads files (name, bytes) into a new attachment set
    /// (AddAttachmentsToSet); returns its id, valid for an hour.
    async fn add_attachments(
        &self,
        account: Option<&AccountId>,
        files: &[(String, Vec<u8>)],
    ) -> Result<String, CaseError>;
    /// A case's communications created at or after `since`
    /// (DescribeCommunications, every page), in no particular order.
    async fn communications(
        &self,
        account: Option<&AccountId>,
        case_id: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<CaseCommunication>, CaseError>;
    /// The services cases can be opened for.
    async fn services(&self, account: Option<&AccountId>) -> Result<Vec<SupportService>, CaseError>;
    /// The severities the account's support plan offers
    /// (DescribeSeverityLevels); `SubscriptionRequired` when the plan has
    /// no Support API.
    async fn severity_levels(&self, account: Option<&AccountId>) -> Result<Vec<Severity>, CaseError>;
}

/// Used when AWS is not configured: every call says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSupport;

#[async_trait]
impl SupportCases for NoSupport {
    async fn create_case(&self, _: Option<&AccountId>, _: &CaseRequest) -> Result<String, CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn find_case(
        &self,
        _: Option<&AccountId>,
        _: &str,
        _: OffsetDateTime,
    ) -> Result<Option<CaseSummary>, CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn describe_cases(&self, _: Option<&AccountId>, _: &[String]) -> Result<Vec<CaseSummary>, CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn resolve_case(&self, _: Option<&AccountId>, _: &str) -> Result<(), CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn add_communication(
        &self,
        _: Option<&AccountId>,
        _: &str,
        _: &str,
        _: Option<&str>,
    ) -> Result<(), CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn add_attachments(&self, _: Option<&AccountId>, _: &[(String, Vec<u8>)]) -> Result<String, CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn attachment(&self, _: Option<&AccountId>, _: &str) -> Result<(String, Vec<u8>), CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn communications(
        &self,
        _: Option<&AccountId>,
        _: &str,
        _: OffsetDateTime,
    ) -> Result<Vec<CaseCommunication>, CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn services(&self, _: Option<&AccountId>) -> Result<Vec<SupportService>, CaseError> {
        Err(CaseError::NotConfigured)
    }
    async fn severity_levels(&self, _: Option<&AccountId>) -> Result<Vec<Severity>, CaseError> {
        Err(CaseError::NotConfigured)
    }
}

/// The token of the next page, if there is one to read: a token that is
/// empty, repeats the last one, or comes with an empty page ends the
/// reading (a service that pages forever cannot hold the bot).
fn next_page(token: Option<&str>, last: &Option<String>, empty_page: bool) -> Option<String> {
    token
        .filter(|t| !t.is_empty() && Some(*t) != last.as_deref() && !empty_page)
        .map(str::to_owned)
}

/// Support clients by account: the bot's own, and one per member account,
/// built from STS credentials that are renewed before they expire.
pub struct SdkSupportCases {
    base: aws_config::SdkConfig,
    support_region: String,
    member_role_name: String,
    own: aws_sdk_support::Client,
    members: Mutex<HashMap<AccountId, (aws_sdk_support::Client, SystemTime)>>,
    services: Mutex<Option<Arc<Vec<SupportService>>>>,
}

/// Pages of DescribeCommunications read in one call at most.
const MAX_COMMUNICATION_PAGES: usize = 20;

/// Member-account credentials are renewed this long before they expire.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

impl SdkSupportCases {
    pub fn new(base: aws_config::SdkConfig, support_region: &str, member_role_name: &str) -> Self {
        let own = aws_sdk_support::Client::from_conf(
            aws_sdk_support::config::Builder::from(&base)
                .region(aws_config::Region::new(support_region.to_owned()))
                .build(),
        );
        Self {
            base,
            support_region: support_region.to_owned(),
            member_role_name: member_role_name.to_owned(),
            own,
            members: Mutex::new(HashMap::new()),
            services: Mutex::new(None),
        }
    }

    async fn client(&self, account: Option<&AccountId>) -> Result<aws_sdk_support::Client, CaseError> {
        let Some(account) = account else {
            return Ok(self.own.clone());
        };
        let mut members = self.members.lock().await;
        if let Some((client, expires)) = members.get(account)
            && SystemTime::now() + RENEW_BEFORE < *expires
        {
            return Ok(client.clone());
        }
        let sts = aws_sdk_sts::Client::new(&self.base);
        let role_arn = format!("arn:aws:iam::{account}:role/{}", self.member_role_name);
        let assumed = sts
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("platform-desk")
            .send()
            .await
            .map_err(|e| match classify(e) {
                CaseError::Rejected(why) => CaseError::Rejected(format!("cannot assume {role_arn}: {why}")),
                other => other,
            })?;
        let credentials = assumed
            .credentials()
            .ok_or_else(|| CaseError::Rejected(format!("STS returned no credentials for {role_arn}")))?;
        let expires = SystemTime::try_from(*credentials.expiration())
            .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(900));
        let provider = aws_credential_types::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            Some(expires),
            "platform-desk-assumed-role",
        );
        let client = aws_sdk_support::Client::from_conf(
            aws_sdk_support::config::Builder::from(&self.base)
                .region(aws_config::Region::new(self.support_region.clone()))
                .credentials_provider(provider)
                .build(),
        );
        members.insert(account.clone(), (client.clone(), expires));
        Ok(client)
    }
}

fn summary(case: &aws_sdk_support::types::CaseDetails) -> Option<CaseSummary> {
    Some(CaseSummary {
        case_id: case.case_id()?.to_owned(),
        display_id: case.display_id().map(str::to_owned),
        subject: case.subject().map(str::to_owned),
        status: case.status().map(str::to_owned),
    })
}

/// CreateCase and AddCommunicationToCase are not idempotent: when AWS does
/// the work and the answer is lost, the SDK's own retry would send it again
/// and make a second case or note. They are sent once per attempt and the
/// case worker retries them: a case after a committed claim and a lookup by
/// the ticket's reference (DescribeCases); a note from its outbox (a note
/// whose answer was lost can still be sent twice: issue 11). Reads and
/// ResolveCase keep the SDK's standard retries.
fn sent_once() -> aws_sdk_support::config::Builder {
    aws_sdk_support::config::Builder::default().retry_config(aws_config::retry::RetryConfig::disabled())
}

#[async_trait]
impl SupportCases for SdkSupportCases {
    #[tracing::instrument(name = "aws.create_case", skip_all, fields(account = account.map(AccountId::as_str), severity = %case.severity))]
    async fn create_case(&self, account: Option<&AccountId>, case: &CaseRequest) -> Result<String, CaseError> {
        let client = self.client(account).await?;
        let output = client
            .create_case()
            // No control characters reach AWS, whatever the caller passed.
            .subject(crate::text::printable(&case.subject, false))
            .communication_body(crate::text::printable(&case.body, true))
            .severity_code(case.severity.code())
            .service_code(&case.service_code)
            .category_code(&case.category_code)
            .language(&case.language)
            .issue_type("technical")
            .set_cc_email_addresses((!case.cc_email_addresses.is_empty()).then(|| case.cc_email_addresses.clone()))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map_err(classify)?;
        output
            .case_id()
            .map(str::to_owned)
            .ok_or_else(|| CaseError::Rejected("AWS returned no case id".to_owned()))
    }

    #[tracing::instrument(name = "aws.find_case", skip_all, fields(account = account.map(AccountId::as_str), reference))]
    async fn find_case(
        &self,
        account: Option<&AccountId>,
        reference: &str,
        since: OffsetDateTime,
    ) -> Result<Option<CaseSummary>, CaseError> {
        let client = self.client(account).await?;
        let after = since
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| CaseError::Rejected(e.to_string()))?;
        let mut next_token: Option<String> = None;
        // DescribeCases pages hold at most 100 cases; a ticket's case is among
        // those created since the ticket, so a few pages at most.
        for _ in 0..20 {
            let page = client
                .describe_cases()
                .after_time(&after)
                .include_resolved_cases(true)
                .include_communications(false)
                .max_results(100)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(classify)?;
            if let Some(found) = page
                .cases()
                .iter()
                .find(|c| c.subject().is_some_and(|s| s.contains(reference)))
            {
                return Ok(summary(found));
            }
            match next_page(page.next_token(), &next_token, page.cases().is_empty()) {
                Some(token) => next_token = Some(token),
                None => break,
            }
        }
        Ok(None)
    }

    #[tracing::instrument(name = "aws.describe_cases", skip_all, fields(account = account.map(AccountId::as_str), cases = case_ids.len()))]
    async fn describe_cases(
        &self,
        account: Option<&AccountId>,
        case_ids: &[String],
    ) -> Result<Vec<CaseSummary>, CaseError> {
        let client = self.client(account).await?;
        let mut found = Vec::new();
        for chunk in case_ids.chunks(100) {
            let output = client
                .describe_cases()
                .set_case_id_list(Some(chunk.to_vec()))
                .include_resolved_cases(true)
                .include_communications(false)
                .send()
                .await
                .map_err(classify)?;
            found.extend(output.cases().iter().filter_map(summary));
        }
        Ok(found)
    }

    #[tracing::instrument(name = "aws.describe_communications", skip_all, fields(account = account.map(AccountId::as_str), case_id))]
    async fn communications(
        &self,
        account: Option<&AccountId>,
        case_id: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<CaseCommunication>, CaseError> {
        let client = self.client(account).await?;
        let after = crate::store::timestamp(since);
        let mut found = Vec::new();
        let mut next_token: Option<String> = None;
        // Pages of up to 100, read only from the last one recorded (or
        // since a note was queued): a few pages at most; bounded so that a
        // service that pages forever cannot hold the worker.
        for _ in 0..MAX_COMMUNICATION_PAGES {
            let page = client
                .describe_communications()
                .case_id(case_id)
                .after_time(&after)
                .max_results(100)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(classify)?;
            found.extend(page.communications().iter().map(|c| {
                CaseCommunication {
                    submitted_by: c.submitted_by().unwrap_or_default().to_owned(),
                    time_created: c.time_created().unwrap_or_default().to_owned(),
                    body: c.body().unwrap_or_default().to_owned(),
                    attachments: c
                        .attachment_set()
                        .iter()
                        .map(|a| CaseFile {
                            id: a.attachment_id().unwrap_or_default().to_owned(),
                            name: a.file_name().unwrap_or("file").to_owned(),
                        })
                        .collect(),
                }
            }));
            match next_page(page.next_token(), &next_token, page.communications().is_empty()) {
                Some(token) => next_token = Some(token),
                None => break,
            }
        }
        Ok(found)
    }

    #[tracing::instrument(name = "aws.resolve_case", skip_all, fields(account = account.map(AccountId::as_str), case_id))]
    async fn resolve_case(&self, account: Option<&AccountId>, case_id: &str) -> Result<(), CaseError> {
        let client = self.client(account).await?;
        client.resolve_case().case_id(case_id).send().await.map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "aws.add_communication", skip_all, fields(account = account.map(AccountId::as_str), case_id))]
    async fn add_communication(
        &self,
        account: Option<&AccountId>,
        case_id: &str,
        body: &str,
        attachment_set_id: Option<&str>,
    ) -> Result<(), CaseError> {
        let client = self.client(account).await?;
        let output = client
            .add_communication_to_case()
            .case_id(case_id)
            .communication_body(crate::text::printable(body, true))
            .set_attachment_set_id(attachment_set_id.map(str::to_owned))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map_err(classify)?;
        if output.result() {
            Ok(())
        } else {
            Err(CaseError::Rejected("AWS did not accept the communication".to_owned()))
        }
    }

    #[tracing::instrument(name = "aws.describe_attachment", skip_all, fields(account = account.map(AccountId::as_str), attachment_id))]
    async fn attachment(
        &self,
        account: Option<&AccountId>,
        attachment_id: &str,
    ) -> Result<(String, Vec<u8>), CaseError> {
        let client = self.client(account).await?;
        let output = client
            .describe_attachment()
            .attachment_id(attachment_id)
            .send()
            .await
            .map_err(classify)?;
        let attachment = output
            .attachment()
            .ok_or_else(|| CaseError::Rejected("AWS returned no attachment".to_owned()))?;
        Ok((
            attachment.file_name().unwrap_or("file").to_owned(),
            attachment.data().map(|d| d.as_ref().to_vec()).unwrap_or_default(),
        ))
    }

    /// Not retried by the SDK either: a set whose answer was lost is left to
    /// expire, and the next attempt uploads again (the case sees one).
    #[tracing::instrument(name = "aws.add_attachments", skip_all, fields(account = account.map(AccountId::as_str), files = files.len()))]
    async fn add_attachments(
        &self,
        account: Option<&AccountId>,
        files: &[(String, Vec<u8>)],
    ) -> Result<String, CaseError> {
        let client = self.client(account).await?;
        let attachments = files
            .iter()
            .map(|(name, bytes)| {
                aws_sdk_support::types::Attachment::builder()
                    .file_name(name)
                    .data(aws_smithy_types::Blob::new(bytes.clone()))
                    .build()
            })
            .collect();
        let output = client
            .add_attachments_to_set()
            .set_attachments(Some(attachments))
            .customize()
            .config_override(sent_once())
            .send()
            .await
            .map_err(classify)?;
        output
            .attachment_set_id()
            .map(str::to_owned)
            .ok_or_else(|| CaseError::Rejected("AWS returned no attachment set id".to_owned()))
    }

    #[tracing::instrument(name = "aws.describe_severity_levels", skip_all, fields(account = account.map(AccountId::as_str)))]
    async fn severity_levels(&self, account: Option<&AccountId>) -> Result<Vec<Severity>, CaseError> {
        let client = self.client(account).await?;
        let output = client
            .describe_severity_levels()
            .language("en")
            .send()
            .await
            .map_err(classify)?;
        // Codes this bot does not know (none today) are left out.
        Ok(output
            .severity_levels()
            .iter()
            .filter_map(|level| level.code()?.parse().ok())
            .collect())
    }

    #[tracing::instrument(name = "aws.describe_services", skip_all)]
    async fn services(&self, account: Option<&AccountId>) -> Result<Vec<SupportService>, CaseError> {
        if let Some(cached) = self.services.lock().await.as_ref() {
            return Ok(cached.as_ref().clone());
        }
        let client = self.client(account).await?;
        let output = client
            .describe_services()
            .language("en")
            .send()
            .await
            .map_err(classify)?;
        let services: Vec<SupportService> = output
            .services()
            .iter()
            .filter_map(|s| {
                Some(SupportService {
                    code: s.code()?.to_owned(),
                    name: s.name().unwrap_or_default().to_owned(),
                    category_codes: s
                        .categories()
                        .iter()
                        .filter_map(|c| c.code().map(str::to_owned))
                        .collect(),
                })
            })
            .collect();
        *self.services.lock().await = Some(Arc::new(services.clone()));
        Ok(services)
    }
}
