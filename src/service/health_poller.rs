//! Follows AWS Health: lists the issue events, asks for details and affected
//! accounts only for events that are new or whose last-updated time moved,
//! and records them (deduplicated by ARN and last-updated time). Failures are
//! logged and recorded, and the next poll waits longer (doubling, with
//! jitter, up to a cap); nothing here can stop the rest of the bot.

use std::sync::Arc;
use std::time::Duration;

use crate::access::Directory;
use crate::aws::AwsError;
use crate::aws::health::Health;
use crate::clock::Clock;
use crate::config::OutagesConfig;
use crate::store::{OutageSource, Recorded, Store, StoreError, timestamp};

use super::outage::health_record;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one poll found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    pub listed: usize,
    pub new: usize,
    pub changed: usize,
    /// Newer last-updated time, nothing a reader would see.
    pub touched: usize,
    pub unchanged: usize,
}

/// Events completed (details, affected accounts) and recorded together.
const CHUNK: usize = 10;

pub struct HealthPoller {
    store: Store,
    health: Arc<dyn Health>,
    directory: Arc<Directory>,
    clock: Arc<dyn Clock>,
    config: OutagesConfig,
}

impl HealthPoller {
    pub fn new(
        store: Store,
        health: Arc<dyn Health>,
        directory: Arc<Directory>,
        clock: Arc<dyn Clock>,
        config: OutagesConfig,
    ) -> Self {
        Self {
            store,
            health,
            directory,
            clock,
            config,
        }
    }

    /// One poll; its outcome is recorded for the outage answers.
    #[tracing::instrument(name = "health.poll", skip_all)]
    pub async fn poll_once(&self) -> Result<PollReport, PollError> {
        let result = self.poll().await;
        let now = self.clock.now();
        match &result {
            Ok(report) => {
                self.store.record_poll(now, None).await?;
                tracing::debug!(?report, "AWS Health read");
            }
            Err(error) => {
                let failures = self.store.record_poll(now, Some(&error.to_string())).await?;
                tracing::warn!(%error, failures, "could not read AWS Health");
            }
        }
        result
    }

    async fn poll(&self) -> Result<PollReport, PollError> {
        let events = self.health.issues().await?;
        let known = self.store.outage_versions(OutageSource::Aws).await?;
        let mut report = PollReport {
            listed: events.len(),
            ..PollReport::default()
        };
        let mut changed: Vec<_> = events
            .into_iter()
            .filter(|event| {
                let stored = known.get(&event.arn);
                let fresh = timestamp(
                    event
                        .last_updated
                        .or(event.start)
                        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
                );
                let same = stored == Some(&fresh);
                if same {
                    report.unchanged += 1;
                }
                !same
            })
            .collect();
        if changed.is_empty() {
            return Ok(report);
        }
        // Completed and recorded a chunk at a time, so that a throttled
        // call late in a long list keeps what was read before it.
        for chunk in changed.chunks_mut(CHUNK) {
            self.health.complete(chunk).await?;
            let now = self.clock.now();
            for event in chunk.iter() {
                match self
                    .store
                    .record_outage(&health_record(event, &self.directory), now)
                    .await?
                {
                    Recorded::New(id) => {
                        tracing::info!(outage = id, arn = %event.arn, status = %event.status, "new AWS Health event");
                        report.new += 1;
                    }
                    Recorded::Changed(id) => {
                        tracing::info!(outage = id, arn = %event.arn, status = %event.status, "AWS Health event changed");
                        report.changed += 1;
                    }
                    Recorded::Touched(_) => report.touched += 1,
                    Recorded::Unchanged(_) => report.unchanged += 1,
                }
            }
        }
        Ok(report)
    }

    /// How long to wait after `failures` failed polls in a row.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let interval = self.config.poll_interval_seconds;
        if failures == 0 {
            return Duration::from_secs(interval);
        }
        let cap = self.config.max_backoff_seconds;
        let doubled = interval.saturating_mul(1u64 << failures.min(16)).min(cap);
        // Up to a quarter less, so that restarted bots do not poll in step.
        let jitter = fastrand::u64(0..=doubled / 4);
        Duration::from_secs((doubled - jitter).max(interval.min(cap)))
    }

    /// Polls until the process stops, while this instance holds the
    /// `health-poll` duty (one poll per interval for the whole fleet; see
    /// `fleet`).
    pub async fn run(self: Arc<Self>) {
        let duty = crate::fleet::Duty::new(self.store.clone(), "health-poll");
        let mut failures = 0u32;
        loop {
            let polled = duty.run_if_held(self.poll_once()).await;
            match &polled {
                None => {}
                Some(Ok(_)) => failures = 0,
                Some(Err(_)) => failures = failures.saturating_add(1),
            }
            let delay = self.delay_after(failures);
            if failures > 0 && polled.is_some() {
                tracing::info!(
                    failures,
                    retry_in_seconds = delay.as_secs(),
                    "AWS Health poll backing off"
                );
            }
            duty.wait(delay, polled.is_some()).await;
        }
    }
}
