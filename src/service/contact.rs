//! "Who do I call?": the regional phone numbers for critical outages and the
//! incident e-mail, for the region asked about or all of them.

use std::sync::Arc;

use crate::error::UserError;
use crate::policy::{Policy, PolicyMatcher};
use crate::reply::{Embed, Reply, colour};
use crate::text;

pub struct ContactService {
    policy: Arc<Policy>,
    matcher: PolicyMatcher,
}

impl ContactService {
    pub fn new(policy: Arc<Policy>, matcher: PolicyMatcher) -> Self {
        Self { policy, matcher }
    }

    /// `region` is a region id chosen explicitly; otherwise regions named in
    /// `text` are put first; otherwise all regions are listed.
    #[tracing::instrument(name = "contact", skip_all, fields(region = region))]
    pub fn answer(&self, region: Option<&str>, text: Option<&str>) -> Result<Reply, UserError> {
        let regions = &self.policy.contacts.regions;
        let chosen: Vec<usize> = match region {
            Some(id) => {
                let wanted = id.trim().to_ascii_lowercase();
                let found = regions
                    .iter()
                    .position(|r| r.id == wanted || r.aliases.contains(&wanted));
                match found {
                    Some(index) => vec![index],
                    None => {
                        return Err(UserError::UnknownRegion {
                            given: crate::reply::quote_user_text(id, 40),
                            known: regions
                                .iter()
                                .map(|r| format!("{} ({})", r.id, r.name))
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                }
            }
            None => text.map_or_else(Vec::new, |t| self.matcher.regions_named(&text::normalize(t))),
        };
        Ok(Reply::embed(self.embed(&chosen)))
    }

    fn embed(&self, chosen: &[usize]) -> Embed {
        let policy = &*self.policy;
        let contacts = &policy.contacts;
        let mut embed = Embed::new("📞 Contacting support", colour::INFO).description(format!(
            "{}\n\n**E-mail:** {}. {}",
            contacts.critical_note, policy.provider.incident_email, contacts.email_note
        ));
        for index in chosen {
            let region = &contacts.regions[*index];
            embed = embed.field(format!("{}: call now", region.name), format!("**{}**", region.phone));
        }
        let others: Vec<String> = contacts
            .regions
            .iter()
            .enumerate()
            .filter(|(i, _)| !chosen.contains(i))
            .map(|(_, r)| format!("{}: {}", r.name, r.phone))
            .collect();
        if !others.is_empty() {
            let name = if chosen.is_empty() {
                "Critical outage lines"
            } else {
                "Other regions"
            };
            embed = embed.field(name, others.join("\n"));
        }
        embed.footer(super::policy_footer(policy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> ContactService {
        let policy = Arc::new(Policy::embedded_default().unwrap());
        let matcher = PolicyMatcher::new(&policy).unwrap();
        ContactService::new(policy, matcher)
    }

    #[test]
    fn a_named_region_comes_first() {
        let reply = service().answer(None, Some("who do I call in Canada?")).unwrap();
        let fields = &reply.embeds[0].fields;
        assert_eq!(fields[0].name, "Canada: call now");
        assert!(fields[0].value.contains("1-866-296-5335"));
        assert!(fields[1].value.contains("1-888-638-6771"));
    }

    #[test]
    fn without_a_region_every_line_is_listed() {
        let reply = service()
            .answer(None, Some("what's the support phone number?"))
            .unwrap();
        let text = serde_json::to_string(&reply.embeds).unwrap();
        for phone in [
            "1-888-638-6771",
            "1-866-296-5335",
            "00800 72884743",
            "+65 6768 8099",
            "incident@CenturyLink.com",
        ] {
            assert!(text.contains(phone), "{phone}");
        }
    }

    #[test]
    fn a_region_may_be_chosen_by_id_or_alias() {
        assert!(service().answer(Some("emea"), None).is_ok());
        assert!(service().answer(Some("Europe"), None).is_ok());
        let err = service().answer(Some("mars"), None).unwrap_err().to_string();
        assert!(err.contains("apac (Asia Pacific)"), "{err}");
    }
}
