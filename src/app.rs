//! The application: configuration, policy, classifier, store and services,
//! built once and shared; and the pipeline that takes an [`Inbound`] through
//! intent and service to an [`Answer`].

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::access::Directory;
use crate::answer::Answer;
use crate::aws::AwsServices;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::error::{ServiceError, StartupError, UserError, cause_chain, error_reference};
use crate::inbound::{Content, Inbound};
use crate::intent::{Classifier, Intent, IntentKind, SlashCommand, SlashError};
use crate::policy::{Policy, PolicyMatcher, Verdict};
use crate::reply::{Embed, Reply, colour};
use crate::service::case_worker::CaseWorker;
use crate::service::contact::ContactService;
use crate::service::cost_cache::CostCache;
use crate::service::coverage::CoverageService;
use crate::service::escalation::EscalationService;
use crate::service::health_poller::HealthPoller;
use crate::service::help;
use crate::service::outage::OutageService;
use crate::service::scope::{ScopeOutcome, ScopeService};
use crate::service::spend::SpendService;
use crate::service::suggest::{SuggestService, Suggestion};
use crate::service::tickets::TicketService;
use crate::service::troubleshoot::TroubleshootService;
use crate::store::Store;

pub struct App {
    config: Config,
    policy: Arc<Policy>,
    classifier: Classifier,
    store: Store,
    scope: ScopeService,
    contact: ContactService,
    troubleshoot: TroubleshootService,
    escalation: EscalationService,
    tickets: TicketService,
    spend: SpendService,
    coverage: CoverageService,
    suggest: SuggestService,
    outage: OutageService,
    case_worker: Arc<CaseWorker>,
    directory: Arc<Directory>,
    health: Arc<dyn crate::aws::health::Health>,
    clock: Arc<dyn Clock>,
}

/// What the pipeline decided, before a service ran.
/// Where the files given with a command come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Files {
    /// Fetched by the adapter (Discord's attachments); paths are refused.
    Fetched,
    /// The console or `ask`: paths are read from this machine.
    LocalPaths,
}

/// The intent with the files typed as paths read (the console, `ask`), or
/// a refusal when paths may not be read (a message from Discord). A file
/// over AWS's size limit is read no further than the limit: the service
/// refuses it by its size.
async fn with_local_files(mut intent: Intent, files: Files) -> Result<Intent, UserError> {
    use crate::intent::slash::FileSource;
    let Intent::Ticket(crate::intent::TicketRequest::Note { files: uploads, .. }) = &mut intent else {
        return Ok(intent);
    };
    for upload in uploads.iter_mut() {
        let FileSource::Local { path } = &upload.source else {
            continue;
        };
        if files == Files::Fetched {
            return Err(UserError::BadFile(
                "Attach files with the command's file options; typed paths are read only in the console.".to_owned(),
            ));
        }
        let (bytes, claimed) = crate::local_files::read(path).await?;
        upload.size = claimed.max(bytes.len() as u64);
        upload.bytes = Some(bytes.into());
    }
    Ok(intent)
}

enum Parsed {
    Intent(Intent),
    /// A slash command that could not be used; the kind it was reaching for.
    BadCommand(IntentKind, SlashError),
    /// An empty message addressed to the bot.
    Empty,
}

impl App {
    /// Loads the policy, compiles its vocabulary, opens the database, and
    /// connects AWS when AWS is configured.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let aws = AwsServices::from_config(&config.aws, &config.outages).await;
        Self::build_with(config, aws, Arc::new(SystemClock)).await
    }

    /// Builds the app on the given AWS implementations and clock (tests use
    /// in-memory fakes and fixed clocks).
    pub async fn build_with(config: Config, aws: AwsServices, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let policy = Arc::new(load_policy(&config)?);
        let matcher = PolicyMatcher::new(&policy)?;
        let store = Store::open(&config.database.url).await?;
        let directory = Arc::new(
            Directory::new(config.customers.clone())
                .with_internal(config.internal_channels(), config.discord.internal_guild_ids.clone()),
        );
        let case_worker = Arc::new(CaseWorker::new(
            store.clone(),
            aws.cases.clone(),
            config.escalations.clone(),
            clock.clone(),
            Duration::from_secs(config.aws.call_timeout_seconds),
        ));
        let cost_cache = Arc::new(CostCache::new(
            store.clone(),
            clock.clone(),
            Duration::from_secs(config.spend.cache_ttl_seconds),
        ));
        Ok(Self {
            classifier: Classifier::new(matcher.clone()),
            scope: ScopeService::new(policy.clone(), matcher.clone()),
            contact: ContactService::new(policy.clone(), matcher.clone()),
            troubleshoot: TroubleshootService::new(policy.clone(), matcher),
            escalation: EscalationService::new(
                store.clone(),
                case_worker.clone(),
                directory.clone(),
                policy.clone(),
                clock.clone(),
            ),
            tickets: TicketService::new(
                store.clone(),
                case_worker.clone(),
                directory.clone(),
                policy.clone(),
                clock.clone(),
            )
            .approving_customer_replies(config.escalations.approve_customer_replies),
            spend: SpendService::new(
                aws.billing.clone(),
                aws.accounts.clone(),
                cost_cache.clone(),
                directory.clone(),
                clock.clone(),
                config.spend.clone(),
            ),
            coverage: CoverageService::new(
                aws.accounts.clone(),
                cost_cache,
                directory.clone(),
                config.spend.clone(),
            ),
            suggest: SuggestService::new(store.clone(), directory.clone(), case_worker.plans()),
            outage: OutageService::new(
                store.clone(),
                directory.clone(),
                policy.clone(),
                clock.clone(),
                config.follows_health(),
                config.discord.outage_channel_id.clone(),
            ),
            directory,
            health: aws.health.clone(),
            case_worker,
            clock,
            config,
            policy,
            store,
        })
    }

    /// Suggestions for an option being typed (Discord's autocomplete); an
    /// internal failure suggests nothing, and is logged.
    pub async fn suggest(
        &self,
        actor: &crate::inbound::Actor,
        command: &str,
        option: &str,
        typed: &str,
        account: Option<&str>,
    ) -> Vec<Suggestion> {
        match self.suggest.suggest(actor, command, option, typed, account).await {
            Ok(suggestions) => suggestions,
            Err(error) => {
                tracing::error!(error = %cause_chain(&error), "no suggestions");
                Vec::new()
            }
        }
    }

    /// The AWS Health poller, when this deployment follows AWS Health.
    pub fn health_poller(&self) -> Option<Arc<HealthPoller>> {
        self.config.follows_health().then(|| {
            Arc::new(HealthPoller::new(
                self.store.clone(),
                self.health.clone(),
                self.directory.clone(),
                self.clock.clone(),
                self.config.outages.clone(),
            ))
        })
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The worker that opens, updates and follows AWS cases.
    /// Before the process exits: deliveries started in the background end
    /// (and are recorded), then the database is closed.
    pub async fn close(&self) {
        self.case_worker.finish_background().await;
        self.store.close().await;
    }

    pub fn case_worker(&self) -> Arc<CaseWorker> {
        self.case_worker.clone()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Runs one inbound message or command through the pipeline. Never fails:
    /// user mistakes become polite replies, internal failures a reply with a
    /// reference that is also in the log.
    /// Answers one inbound message or command from Discord (or a test):
    /// files are what its adapter fetched; a path typed as a file is refused.
    pub async fn handle(&self, inbound: Inbound) -> Answer {
        self.handle_from(inbound, Files::Fetched).await
    }

    /// Answers one line typed in the console or `ask`: a path given as a
    /// file is read from this machine (the person typing is on it).
    pub async fn handle_local(&self, inbound: Inbound) -> Answer {
        self.handle_from(inbound, Files::LocalPaths).await
    }

    /// A note with files is allowed (the asker sees the ticket, it is open,
    /// the note goes to AWS) before any of its files is read.
    async fn files_allowed(&self, actor: &crate::inbound::Actor, intent: &Intent) -> Result<(), ServiceError> {
        match intent {
            Intent::Ticket(crate::intent::TicketRequest::Note { id, to, files, .. }) if !files.is_empty() => {
                self.tickets.may_attach(actor, *id, *to).await
            }
            _ => Ok(()),
        }
    }

    /// Saves the files of a ticket's latest case messages (those `/ticket
    /// show` lists) under `attachments/ticket-N/` in the current directory,
    /// fetching only those not saved yet; their paths, one a line, or None
    /// when the messages carry no file. Only called for a ticket the asker
    /// was just shown.
    async fn save_case_files(&self, ticket_id: i64) -> Option<String> {
        let messages = match self
            .store
            .case_messages(ticket_id, crate::service::ticket_view::CONVERSATION_SHOWN)
            .await
        {
            Ok(messages) => messages,
            Err(error) => {
                tracing::warn!(error = %cause_chain(&error), "could not list the case's files");
                return None;
            }
        };
        let files: Vec<_> = messages.iter().flat_map(|m| m.attachments.iter()).collect();
        if files.is_empty() {
            return None;
        }
        let account = self
            .store
            .ticket(ticket_id)
            .await
            .ok()
            .flatten()
            .and_then(|t| t.account_id);
        let dir = std::path::PathBuf::from("attachments").join(format!("ticket-{ticket_id}"));
        let mut lines = Vec::new();
        for (index, file) in files.iter().enumerate() {
            // The index keeps two files of one name apart.
            let name = format!("{}-{}", index + 1, crate::reply::limits::file_name(&file.name));
            let path = dir.join(&name);
            if !crate::local_files::is_saved(&path).await {
                let saved = match self.case_worker.case_file(account.as_ref(), &file.id).await {
                    Ok((_, bytes)) => crate::local_files::save_whole(&dir, &name, &bytes)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(error) => Err(error.to_string()),
                };
                if let Err(error) = saved {
                    tracing::warn!(%error, file = %file.name, "could not save a file of the case");
                    lines.push(format!("{} (not saved: {error})", file.name));
                    continue;
                }
            }
            lines.push(format!("`{}`", path.display()));
        }
        Some(lines.join("\n"))
    }

    async fn handle_from(&self, inbound: Inbound, files: Files) -> Answer {
        let span = tracing::info_span!(
            "inbound",
            user = %inbound.actor.user_id,
            role = %inbound.actor.role,
            intent = tracing::field::Empty,
        );
        async move {
            let parsed = self.parse(&inbound.content);
            let kind = match &parsed {
                Parsed::Intent(intent) => intent.kind(),
                Parsed::BadCommand(kind, _) => *kind,
                Parsed::Empty => IntentKind::Help,
            };
            tracing::Span::current().record("intent", kind.as_str());
            let mut answer = match parsed {
                Parsed::Intent(intent) => match self.files_allowed(&inbound.actor, &intent).await {
                    Err(error) => self.answer_error(kind, error),
                    Ok(()) => match with_local_files(intent, files).await {
                        Ok(intent) => self.run(&inbound.actor, intent).await,
                        Err(error) => self.answer_error(kind, ServiceError::User(error)),
                    },
                },
                Parsed::BadCommand(kind, error) => {
                    self.answer_error(kind, ServiceError::User(UserError::Command(error)))
                }
                Parsed::Empty => Answer {
                    intent: IntentKind::Help,
                    scope: None,
                    ticket: None,
                    reply: help::reply(&self.policy, Some("Your message was empty, so here is what I can do.")),
                    alerts: Vec::new(),
                    failed: false,
                },
            };
            // The console and `ask` save the case's files next to them and
            // say where (Discord uploads them with the thread's messages).
            if files == Files::LocalPaths
                && answer.intent == IntentKind::Ticket
                && !answer.failed
                && let Some(ticket) = &answer.ticket
                && let Some(saved) = self.save_case_files(ticket.id).await
                && let Some(embed) = answer.reply.embeds.first_mut()
            {
                *embed = std::mem::take(embed).field("Files from the AWS case, saved here", saved);
            }
            // Where others may read, customers' data is for the asker only.
            if self.directory.answers_privately(&inbound.actor, answer.intent.as_str()) {
                answer.reply = answer.reply.ephemeral();
            }
            answer.reply = answer.reply.fit_to_discord();
            tracing::debug!(embeds = answer.reply.embeds.len(), "answered");
            answer
        }
        .instrument(span)
        .await
    }

    fn parse(&self, content: &Content) -> Parsed {
        match content {
            Content::Command(command) => {
                let name = command.name.clone();
                match command.clone().into_intent() {
                    Ok(intent) => Parsed::Intent(intent),
                    Err(error) => Parsed::BadCommand(error.intended(&name), error),
                }
            }
            Content::Text { text, .. } if text.trim().is_empty() => Parsed::Empty,
            Content::Text { text, .. } if is_slash_line(text) => {
                let name = text.trim_start()[1..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                match SlashCommand::parse_line(text).and_then(SlashCommand::into_intent) {
                    Ok(intent) => Parsed::Intent(intent),
                    Err(error) => Parsed::BadCommand(error.intended(&name), error),
                }
            }
            Content::Text { text, addressing } => {
                let classification = self.classifier.classify_as(text, *addressing);
                tracing::debug!(
                    kind = %classification.kind,
                    score = classification.score,
                    form = ?classification.address.form,
                    rescued = classification.rescued,
                    "classified"
                );
                Parsed::Intent(classification.intent)
            }
        }
    }

    async fn run(&self, actor: &crate::inbound::Actor, intent: Intent) -> Answer {
        let kind = intent.kind();
        let plain = |reply: Reply| Answer {
            intent: kind,
            scope: None,
            ticket: None,
            reply,
            alerts: Vec::new(),
            failed: false,
        };
        let result: Result<Answer, ServiceError> = match intent {
            Intent::Scope { question } => {
                // A question naming an account is answered from the account's
                // state in AWS Organizations.
                let answer = match crate::intent::account_in(&question) {
                    Some(account) => {
                        let coverage = self.coverage.check(actor, &account).await;
                        let mut answer = self.scope.account_answer(&question, account.as_str(), &coverage);
                        // Engineers also see what the account's support plan allows.
                        if actor.role == crate::domain::Role::Engineer
                            && matches!(coverage, crate::service::coverage::Coverage::Covered { .. })
                            && let Some(plan) = self.case_worker.plans().plan_within(Some(&account)).await
                            && let Some(embed) = answer.reply.embeds.first_mut()
                        {
                            *embed = std::mem::take(embed).field("AWS support plan", plan.describe());
                        }
                        answer
                    }
                    None => self.scope.answer(&question),
                };
                Ok(Answer {
                    intent: kind,
                    scope: Some(answer.outcome),
                    ticket: None,
                    reply: answer.reply,
                    alerts: Vec::new(),
                    failed: false,
                })
            }
            Intent::Contact { region, text } => self
                .contact
                .answer(region.as_deref(), text.as_deref())
                .map(plain)
                .map_err(ServiceError::from),
            Intent::Troubleshoot { topic, text } => self
                .troubleshoot
                .answer(topic.as_deref(), text.as_deref())
                .map(plain)
                .map_err(ServiceError::from),
            Intent::Help => Ok(plain(help::reply(&self.policy, None))),
            Intent::Escalate(request) => self.escalation.open(actor, request).await.map(|outcome| Answer {
                intent: kind,
                scope: None,
                ticket: outcome.ticket,
                reply: outcome.reply,
                alerts: outcome.alerts,
                failed: false,
            }),
            Intent::Ticket(request) => self.tickets.handle(actor, request).await.map(|outcome| Answer {
                intent: kind,
                scope: None,
                ticket: outcome.ticket,
                reply: outcome.reply,
                alerts: Vec::new(),
                failed: false,
            }),
            Intent::Spend(request) => self.spend.month_to_date(actor, &request).await.map(|o| plain(o.reply)),
            Intent::Estimate(request) => self.spend.estimate(actor, &request).await.map(|o| plain(o.reply)),
            Intent::Outage(request) => self.outage.handle(actor, request).await.map(plain),
            Intent::None => Ok(plain(Reply::silent())),
        };
        result.unwrap_or_else(|error| self.answer_error(kind, error))
    }

    /// The one place where errors become replies.
    fn answer_error(&self, kind: IntentKind, error: ServiceError) -> Answer {
        let reply = match &error {
            ServiceError::User(user) => {
                tracing::warn!(error = %user, "request refused");
                Reply::embed(
                    Embed::new("🙏 I couldn't do that", colour::ERROR)
                        .description(user.to_string())
                        .footer("Type /help to see what I can do."),
                )
            }
            ServiceError::Internal(internal) => {
                let reference = error_reference();
                tracing::error!(reference = %reference, error = %cause_chain(internal.as_ref()), "internal error");
                let embed = Embed::new("Something went wrong on our side", colour::ERROR);
                if kind == IntentKind::Escalate {
                    // Say plainly that nothing was logged, and how to reach a
                    // person now.
                    let phones: Vec<String> = self
                        .policy
                        .contacts
                        .regions
                        .iter()
                        .map(|r| format!("{}: **{}**", r.name, r.phone))
                        .collect();
                    Reply::embed(
                        embed
                            .description(format!(
                                "Sorry: your escalation was **not logged**, nothing was saved. Please try again in a minute. If it keeps happening, e-mail {} and quote reference **{reference}**.",
                                self.policy.provider.incident_email
                            ))
                            .field("Critical? Call us now", phones.join("\n")),
                    )
                } else {
                    Reply::embed(embed.description(format!(
                        "Sorry, I couldn't answer that. If it keeps happening, e-mail {} and quote reference **{reference}**.",
                        self.policy.provider.incident_email
                    )))
                }
            }
        };
        // A scope question always reports a verdict; with no usable question
        // the honest one is "unclear".
        let scope = (kind == IntentKind::Scope).then_some(ScopeOutcome {
            verdict: Verdict::Unclear,
            topic: None,
        });
        Answer {
            intent: kind,
            scope,
            ticket: None,
            reply: reply.ephemeral(),
            alerts: Vec::new(),
            failed: matches!(error, ServiceError::Internal(_)),
        }
    }
}

/// Whether a text line is a slash command written out: `/name` followed by
/// its options. A path ("/var/log/elasticbox/... is empty, why?") is a
/// message.
fn is_slash_line(text: &str) -> bool {
    let Some(rest) = text.trim_start().strip_prefix('/') else {
        return false;
    };
    let name = rest.split_whitespace().next().unwrap_or_default();
    !name.contains(['/', '.', '\\'])
}

/// The policy the configuration names, or the embedded default.
pub fn load_policy(config: &Config) -> Result<Policy, StartupError> {
    Ok(match &config.policy.file {
        Some(path) => Policy::from_file(path)?,
        None => Policy::embedded_default()?,
    })
}
