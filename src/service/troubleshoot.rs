//! Troubleshooting guidance from the policy: where the agent logs are and
//! what to send for API problems and box errors.

use std::sync::Arc;

use crate::error::UserError;
use crate::policy::{Policy, PolicyMatcher};
use crate::reply::{Embed, Reply, colour};
use crate::text;

pub struct TroubleshootService {
    policy: Arc<Policy>,
    matcher: PolicyMatcher,
}

impl TroubleshootService {
    pub fn new(policy: Arc<Policy>, matcher: PolicyMatcher) -> Self {
        Self { policy, matcher }
    }

    #[tracing::instrument(name = "troubleshoot", skip_all, fields(topic = topic))]
    pub fn answer(&self, topic: Option<&str>, text: Option<&str>) -> Result<Reply, UserError> {
        let topics = &self.policy.troubleshooting;
        let chosen: Vec<usize> = match topic {
            Some(id) => match topics.iter().position(|t| t.id == id) {
                Some(index) => vec![index],
                None => {
                    return Err(UserError::UnknownTopic {
                        given: crate::reply::quote_user_text(id, 40),
                        known: topics.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", "),
                    });
                }
            },
            None => text.map_or_else(Vec::new, |t| self.matcher.best_topics(&text::normalize(t))),
        };
        let shown: Vec<usize> = if chosen.is_empty() {
            (0..topics.len()).collect()
        } else {
            chosen
        };

        let policy = &*self.policy;
        let title = match shown.as_slice() {
            [only] => format!("🛠 {}", topics[*only].title),
            _ => "🛠 Troubleshooting".to_owned(),
        };
        let mut embed = Embed::new(title, colour::INFO);
        if let [only] = shown.as_slice() {
            embed = embed.description(&topics[*only].guidance);
        } else {
            for index in &shown {
                embed = embed.field(&topics[*index].title, &topics[*index].guidance);
            }
        }
        let others: Vec<&str> = topics
            .iter()
            .enumerate()
            .filter(|(i, _)| !shown.contains(i))
            .map(|(_, t)| t.id.as_str())
            .collect();
        if !others.is_empty() {
            embed = embed.field("More topics", format!("`/troubleshoot topic:` {}", others.join(", ")));
        }
        embed = embed.field(
            "Sending the files",
            "Attach logs and captures to your ticket with `/ticket note id:N text:... file1:...` (up to three files of 5 MB each); they go to the AWS case too. No ticket yet? Open one with `/escalate`.",
        );
        embed = embed.field(
            "Still stuck?",
            format!(
                "E-mail {} with details and screenshots. For a critical outage, call: `/contact`.",
                policy.provider.incident_email
            ),
        );
        Ok(Reply::embed(embed.footer(super::policy_footer(policy))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TroubleshootService {
        let policy = Arc::new(Policy::embedded_default().unwrap());
        let matcher = PolicyMatcher::new(&policy).unwrap();
        TroubleshootService::new(policy, matcher)
    }

    #[test]
    fn every_answer_says_how_to_attach_the_files_it_asks_for() {
        let reply = service().answer(Some("agent-log-linux"), None).unwrap();
        let text = serde_json::to_string(&reply.embeds).unwrap();
        assert!(text.contains("/var/log/elasticbox/elasticbox-agent.log"), "{text}");
        assert!(text.contains("`/ticket note id:N text:... file1:...`"), "{text}");
    }

    #[test]
    fn the_windows_log_question_gets_the_windows_path() {
        let reply = service()
            .answer(None, Some("where is the elasticbox-agent.log on a Windows machine?"))
            .unwrap();
        let embed = &reply.embeds[0];
        assert!(
            embed
                .description
                .as_ref()
                .unwrap()
                .contains(r"C:\ProgramData\ElasticBox\Logs\elasticbox-agent.log")
        );
    }

    #[test]
    fn a_vague_question_gets_every_topic() {
        let reply = service().answer(None, Some("help me troubleshoot")).unwrap();
        assert!(reply.embeds[0].fields.len() >= 5);
    }

    #[test]
    fn an_unknown_topic_lists_the_known_ones() {
        let err = service().answer(Some("printer"), None).unwrap_err().to_string();
        assert!(err.contains("agent-log-linux"), "{err}");
    }
}
