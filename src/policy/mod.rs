//! The provider's support policy as data: the scope catalogue, regional
//! contacts, troubleshooting guidance and the notes the bot repeats. The
//! default is embedded from `default.toml`; operators can load their own file,
//! which is validated once, with errors that name the offending line.

mod matcher;

pub use matcher::{ITEM_THRESHOLD, Overlap, PolicyMatcher, Reading, ScopeAssessment, Target, VocabularyError};

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::language::vocabulary::check_term;

/// The policy shipped inside the binary.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default.toml");

/// Whether the policy covers a piece of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    InScope,
    OutOfScope,
    Unclear,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::InScope => "in_scope",
            Verdict::OutOfScope => "out_of_scope",
            Verdict::Unclear => "unclear",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    pub product: String,
    pub incident_email: String,
    pub managed_services_url: String,
    pub managed_services: String,
}

#[derive(Debug, Clone)]
pub struct Notes {
    pub support_plan: String,
    pub free_operating_systems: String,
    pub free_operating_system_names: Vec<String>,
}

/// What recognizes a policy entry in a message: terms matched on stems (see
/// `crate::language::vocabulary` for the syntax and `default.toml` for the
/// weights).
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub keywords: Vec<String>,
    pub phrases: Vec<String>,
}

/// Words the intent classifier reads as one idea ("money", "the end of the
/// month"). Its weight is learned; its words are the operator's.
#[derive(Debug, Clone)]
pub struct Concept {
    pub id: String,
    /// Naming it makes a question one for the support desk.
    pub on_topic: bool,
    pub words: Vec<String>,
}

/// Hands-on work on the customer's own resources: a question naming it is
/// never answered "in scope".
#[derive(Debug, Clone, Default)]
pub struct HandsOn {
    /// Verbs that ask for such work whatever follows ("delete", "nuke",
    /// "scale down").
    pub verbs: Vec<String>,
    /// Verbs that do when one of `objects` follows within four words
    /// ("change the instance type", not "any change on my bill").
    pub verbs_with_object: Vec<String>,
    pub objects: Vec<String>,
}

/// At most this many scope items: the matcher counts points on the stack.
pub const MAX_SCOPE_ITEMS: usize = 64;

/// At most this many concepts: the classifier keeps them in one bit set.
pub const MAX_CONCEPTS: usize = 64;

#[derive(Debug, Clone)]
pub struct ScopeItem {
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    pub explanation: String,
    pub vocabulary: Vocabulary,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Contacts {
    pub critical_note: String,
    pub email_note: String,
    pub regions: Vec<Region>,
}

#[derive(Debug, Clone)]
pub struct TroubleshootingTopic {
    pub id: String,
    pub title: String,
    pub guidance: String,
    pub keywords: Vec<String>,
}

/// The whole policy, validated.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where it came from: "embedded default" or a file path.
    pub origin: String,
    pub provider: Provider,
    pub notes: Notes,
    pub scope: Vec<ScopeItem>,
    pub contacts: Contacts,
    pub troubleshooting: Vec<TroubleshootingTopic>,
    pub hands_on: HandsOn,
    pub concepts: Vec<Concept>,
}

/// A policy that cannot be used, with the line to look at.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file {path}: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}, line {line}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        message: String,
    },
}

impl Policy {
    pub fn embedded_default() -> Result<Self, PolicyError> {
        Self::from_toml_str(DEFAULT_POLICY_TOML, "embedded default policy")
    }

    pub fn from_file(path: &Path) -> Result<Self, PolicyError> {
        let text = crate::config::read_text_file(path).map_err(|source| PolicyError::Unreadable {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and validates a policy document. `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, PolicyError> {
        let raw: raw::PolicyFile = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            origin: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        Validator { text, origin }.validate(raw)
    }

    pub fn scope_item(&self, id: &str) -> Option<&ScopeItem> {
        self.scope.iter().find(|item| item.id == id)
    }

    pub fn region(&self, id: &str) -> Option<&Region> {
        self.contacts.regions.iter().find(|r| r.id == id)
    }

    pub fn troubleshooting_topic(&self, id: &str) -> Option<&TroubleshootingTopic> {
        self.troubleshooting.iter().find(|t| t.id == id)
    }

    pub fn count_by_verdict(&self, verdict: Verdict) -> usize {
        self.scope.iter().filter(|i| i.verdict == verdict).count()
    }
}

struct Validator<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Validator<'_> {
    fn line_of(&self, span: std::ops::Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn invalid<T>(&self, at: &Spanned<T>, message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            origin: self.origin.to_owned(),
            line: self.line_of(at.span()),
            message: message.into(),
        }
    }

    fn text_field(&self, field: &Spanned<String>, what: &str) -> Result<String, PolicyError> {
        let value = field.get_ref().trim();
        if value.is_empty() {
            return Err(self.invalid(field, format!("{what} must not be empty")));
        }
        Ok(value.to_owned())
    }

    fn id_field(&self, field: &Spanned<String>, seen: &mut Vec<String>, what: &str) -> Result<String, PolicyError> {
        let id = field.get_ref();
        let well_formed = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(self.invalid(
                field,
                format!("{what} id {id:?} must be 1 to 64 characters of a-z, 0-9 and '-'"),
            ));
        }
        if seen.contains(id) {
            return Err(self.invalid(field, format!("{what} id {id:?} is used twice")));
        }
        seen.push(id.clone());
        Ok(id.clone())
    }

    /// Vocabulary terms must be lower case (messages are lower-cased before
    /// matching) and well formed (`*` between words, `a|b` alternatives,
    /// known `<special>` names).
    fn words(&self, words: &[Spanned<String>], what: &str) -> Result<Vec<String>, PolicyError> {
        let mut out = Vec::with_capacity(words.len());
        for word in words {
            let value = word.get_ref().trim();
            if value.is_empty() {
                return Err(self.invalid(word, format!("an empty entry in {what}")));
            }
            check_term(value).map_err(|error| self.invalid(word, format!("{what} entry {value:?} {error}")))?;
            if !value
                .split_whitespace()
                .any(|piece| piece.starts_with('<') || piece.bytes().any(|b| b.is_ascii_alphanumeric()))
            {
                return Err(self.invalid(word, format!("{what} entry {value:?} has no word in it")));
            }
            out.push(value.to_owned());
        }
        Ok(out)
    }

    fn validate(&self, raw: raw::PolicyFile) -> Result<Policy, PolicyError> {
        let provider = Provider {
            name: self.text_field(&raw.provider.name, "provider.name")?,
            product: self.text_field(&raw.provider.product, "provider.product")?,
            incident_email: self.text_field(&raw.provider.incident_email, "provider.incident_email")?,
            managed_services_url: self
                .text_field(&raw.provider.managed_services_url, "provider.managed_services_url")?,
            managed_services: self.text_field(&raw.provider.managed_services, "provider.managed_services")?,
        };
        if !provider.incident_email.contains('@') {
            return Err(self.invalid(
                &raw.provider.incident_email,
                "provider.incident_email must be an e-mail address",
            ));
        }
        let notes = Notes {
            support_plan: self.text_field(&raw.notes.support_plan, "notes.support_plan")?,
            free_operating_systems: self
                .text_field(&raw.notes.free_operating_systems, "notes.free_operating_systems")?,
            free_operating_system_names: self.words(
                &raw.notes.free_operating_system_names,
                "notes.free_operating_system_names",
            )?,
        };

        let mut seen = Vec::new();
        let mut scope = Vec::with_capacity(raw.scope.len());
        for item in &raw.scope {
            let id = self.id_field(&item.id, &mut seen, "scope item")?;
            if scope.len() == MAX_SCOPE_ITEMS {
                return Err(self.invalid(&item.id, format!("at most {MAX_SCOPE_ITEMS} scope items")));
            }
            if *item.verdict.get_ref() == Verdict::Unclear {
                return Err(self.invalid(&item.verdict, "a scope item's verdict is in_scope or out_of_scope; unclear is what the bot says when nothing matches"));
            }
            if let Some(pattern) = item.patterns.first() {
                return Err(self.invalid(
                    pattern,
                    "`patterns` (regular expressions) were replaced by phrases matched on word stems: write \"restart * server\" for words in between and \"restart|reboot\" for alternatives",
                ));
            }
            let vocabulary = Vocabulary {
                keywords: self.words(&item.keywords, "keywords")?,
                phrases: self.words(&item.phrases, "phrases")?,
            };
            if vocabulary.phrases.is_empty() && vocabulary.keywords.len() < 2 {
                return Err(self.invalid(
                    &item.id,
                    format!("scope item {id:?} needs a phrase or two keywords, or it can never be recognized"),
                ));
            }
            scope.push(ScopeItem {
                id,
                title: self.text_field(&item.title, "title")?,
                verdict: *item.verdict.get_ref(),
                explanation: self.text_field(&item.explanation, "explanation")?,
                vocabulary,
            });
        }
        for verdict in [Verdict::InScope, Verdict::OutOfScope] {
            if !scope.iter().any(|i| i.verdict == verdict) {
                return Err(PolicyError::Invalid {
                    origin: self.origin.to_owned(),
                    line: 1,
                    message: format!("the policy has no [[scope]] item with verdict {}", verdict.as_str()),
                });
            }
        }

        let mut region_ids = Vec::new();
        let mut regions = Vec::with_capacity(raw.contacts.regions.len());
        for region in &raw.contacts.regions {
            let aliases = self.words(&region.aliases, "aliases")?;
            if aliases.is_empty() {
                return Err(self.invalid(&region.id, "a region needs at least one alias"));
            }
            regions.push(Region {
                id: self.id_field(&region.id, &mut region_ids, "region")?,
                name: self.text_field(&region.name, "region name")?,
                phone: self.text_field(&region.phone, "region phone")?,
                aliases,
            });
        }
        if regions.is_empty() {
            return Err(PolicyError::Invalid {
                origin: self.origin.to_owned(),
                line: 1,
                message: "the policy needs at least one [[contacts.regions]] entry".to_owned(),
            });
        }
        let contacts = Contacts {
            critical_note: self.text_field(&raw.contacts.critical_note, "contacts.critical_note")?,
            email_note: self.text_field(&raw.contacts.email_note, "contacts.email_note")?,
            regions,
        };

        let mut topic_ids = Vec::new();
        let mut troubleshooting = Vec::with_capacity(raw.troubleshooting.len());
        for topic in &raw.troubleshooting {
            troubleshooting.push(TroubleshootingTopic {
                id: self.id_field(&topic.id, &mut topic_ids, "troubleshooting topic")?,
                title: self.text_field(&topic.title, "title")?,
                guidance: self.text_field(&topic.guidance, "guidance")?,
                keywords: self.words(&topic.keywords, "keywords")?,
            });
        }

        let mut concept_ids = Vec::new();
        let mut concepts = Vec::with_capacity(raw.concepts.len());
        for concept in &raw.concepts {
            let id = self.id_field(&concept.id, &mut concept_ids, "concept")?;
            if concepts.len() == MAX_CONCEPTS {
                return Err(self.invalid(&concept.id, format!("at most {MAX_CONCEPTS} concepts")));
            }
            let words = self.words(&concept.words, "words")?;
            if words.is_empty() {
                return Err(self.invalid(&concept.id, format!("concept {id:?} needs at least one word")));
            }
            concepts.push(Concept {
                id,
                on_topic: concept.on_topic,
                words,
            });
        }

        let hands_on = HandsOn {
            verbs: self.words(&raw.hands_on.verbs, "hands_on.verbs")?,
            verbs_with_object: self.words(&raw.hands_on.verbs_with_object, "hands_on.verbs_with_object")?,
            objects: self.words(&raw.hands_on.objects, "hands_on.objects")?,
        };

        Ok(Policy {
            origin: self.origin.to_owned(),
            provider,
            notes,
            scope,
            contacts,
            troubleshooting,
            hands_on,
            concepts,
        })
    }
}

/// The file's shape, with spans kept so validation can name lines.
mod raw {
    use super::Verdict;
    use serde::Deserialize;
    use toml::Spanned;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PolicyFile {
        pub provider: Provider,
        pub notes: Notes,
        #[serde(default)]
        pub scope: Vec<ScopeItem>,
        pub contacts: Contacts,
        #[serde(default)]
        pub troubleshooting: Vec<Topic>,
        #[serde(default)]
        pub hands_on: HandsOn,
        #[serde(default)]
        pub concepts: Vec<Concept>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct HandsOn {
        #[serde(default)]
        pub verbs: Vec<Spanned<String>>,
        #[serde(default)]
        pub verbs_with_object: Vec<Spanned<String>>,
        #[serde(default)]
        pub objects: Vec<Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Concept {
        pub id: Spanned<String>,
        #[serde(default)]
        pub on_topic: bool,
        #[serde(default)]
        pub words: Vec<Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Provider {
        pub name: Spanned<String>,
        pub product: Spanned<String>,
        pub incident_email: Spanned<String>,
        pub managed_services_url: Spanned<String>,
        pub managed_services: Spanned<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Notes {
        pub support_plan: Spanned<String>,
        pub free_operating_systems: Spanned<String>,
        #[serde(default)]
        pub free_operating_system_names: Vec<Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ScopeItem {
        pub id: Spanned<String>,
        pub title: Spanned<String>,
        pub verdict: Spanned<Verdict>,
        pub explanation: Spanned<String>,
        #[serde(default)]
        pub keywords: Vec<Spanned<String>>,
        #[serde(default)]
        pub phrases: Vec<Spanned<String>>,
        #[serde(default)]
        pub patterns: Vec<Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Contacts {
        pub critical_note: Spanned<String>,
        pub email_note: Spanned<String>,
        #[serde(default)]
        pub regions: Vec<Region>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Region {
        pub id: Spanned<String>,
        pub name: Spanned<String>,
        pub phone: Spanned<String>,
        #[serde(default)]
        pub aliases: Vec<Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Topic {
        pub id: Spanned<String>,
        pub title: Spanned<String>,
        pub guidance: Spanned<String>,
        #[serde(default)]
        pub keywords: Vec<Spanned<String>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_policy_loads_with_every_item_of_the_seed_document() {
        let policy = Policy::embedded_default().unwrap();
        assert_eq!(policy.count_by_verdict(Verdict::InScope), 14);
        // The five of the document, plus vendor support for free operating systems.
        assert_eq!(policy.count_by_verdict(Verdict::OutOfScope), 6);
        for id in [
            "remote-administration",
            "monitoring-remediation",
            "change-management",
            "patching",
            "unoptimized-accounts",
        ] {
            assert_eq!(policy.scope_item(id).unwrap().verdict, Verdict::OutOfScope, "{id}");
        }
        assert_eq!(policy.contacts.regions.len(), 4);
        assert_eq!(policy.region("emea").unwrap().phone, "00800 72884743");
        assert!(
            policy
                .troubleshooting_topic("agent-log-linux")
                .unwrap()
                .guidance
                .contains("/var/log/elasticbox/elasticbox-agent.log")
        );
    }

    fn default_with(find: &str, replace: &str) -> String {
        assert!(
            DEFAULT_POLICY_TOML.contains(find),
            "fixture text {find:?} not in the default policy"
        );
        DEFAULT_POLICY_TOML.replacen(find, replace, 1)
    }

    fn line_containing(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn a_malformed_term_is_reported_with_its_line() {
        let text = default_with("\"fix * automatically\"", "\"fix * * automatically\"");
        let err = Policy::from_toml_str(&text, "custom.toml").unwrap_err();
        let expected_line = line_containing(&text, "fix * * automatically");
        match err {
            PolicyError::Invalid { line, ref message, .. } => {
                assert_eq!(line, expected_line);
                assert!(message.contains("two `*` in a row"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn regular_expression_patterns_are_refused_with_what_to_write_instead() {
        let text = default_with("id = \"patching\"\n", "id = \"patching\"\npatterns = ['\\bpatch']\n");
        let err = Policy::from_toml_str(&text, "custom.toml").unwrap_err().to_string();
        assert!(err.contains("restart * server"), "{err}");
    }

    #[test]
    fn concepts_are_loaded_with_their_topic_flag() {
        let policy = Policy::embedded_default().unwrap();
        let money = policy.concepts.iter().find(|c| c.id == "money").unwrap();
        assert!(money.on_topic);
        assert!(money.words.iter().any(|w| w == "invoice"));
        assert!(!policy.concepts.iter().find(|c| c.id == "social").unwrap().on_topic);
    }

    #[test]
    fn a_duplicate_scope_id_is_reported_with_its_line() {
        let text = default_with("id = \"billing\"", "id = \"iam-policies\"");
        let err = Policy::from_toml_str(&text, "custom.toml").unwrap_err().to_string();
        let expected_line = text
            .lines()
            .collect::<Vec<_>>()
            .iter()
            .rposition(|l| l.contains("id = \"iam-policies\""))
            .unwrap()
            + 1;
        assert!(err.contains(&format!("line {expected_line}")), "{err}");
        assert!(err.contains("used twice"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_a_syntax_error_naming_the_line() {
        let text = default_with("[provider]\n", "[provider]\nnmae = \"typo\"\n");
        let err = Policy::from_toml_str(&text, "custom.toml").unwrap_err().to_string();
        assert!(err.contains("custom.toml"), "{err}");
        assert!(err.contains("nmae"), "{err}");
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn an_unknown_verdict_is_rejected() {
        let text = default_with("verdict = \"in_scope\"", "verdict = \"maybe\"");
        assert!(Policy::from_toml_str(&text, "custom.toml").is_err());
    }

    #[test]
    fn an_item_may_not_claim_to_be_unclear() {
        let text = default_with("verdict = \"in_scope\"", "verdict = \"unclear\"");
        let err = Policy::from_toml_str(&text, "custom.toml").unwrap_err().to_string();
        assert!(err.contains("unclear"), "{err}");
    }

    #[test]
    fn upper_case_vocabulary_is_rejected_because_it_could_never_match() {
        let text = default_with("\"console user\"", "\"Console User\"");
        let err = Policy::from_toml_str(&text, "custom.toml").unwrap_err().to_string();
        assert!(err.contains("lower-case"), "{err}");
    }

    #[test]
    fn a_missing_file_is_reported_with_its_path() {
        let err = Policy::from_file(Path::new("/nonexistent/policy.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/policy.toml"), "{err}");
    }
}
