//! Running as one of several instances on a shared database: each
//! instance's identity, and duties that one instance at a time performs.
//!
//! Two mechanisms keep the fleet from doing anything twice, and they are
//! layered:
//!
//! - **Duties** (this module): a loop that reads or writes for everyone (the
//!   AWS Health poll, the case worker's passes and status sync, the outage
//!   and thread posting loops, retention) runs a pass only while its
//!   instance holds the duty's lease (see `store::leases`). The holder keeps
//!   the lease, renewing it every third of [`LEASE_TTL`] from inside its
//!   loop (during passes and between them), so the duty keeps its cadence
//!   across the fleet (one Health poll per interval, not one per instance)
//!   and a holder whose loop is stuck loses it. The other instances look
//!   every [`STANDBY_CHECK`] and run a pass as soon as they take it: a
//!   killed holder's duty is taken over within `LEASE_TTL + STANDBY_CHECK`
//!   (20 seconds), and at once after a clean shutdown, which releases it.
//! - **Claims on work items**, which hold even when a lease is lost in the
//!   middle of a pass (a paused process, a network partition): a case
//!   attempt or case action is claimed by one conditional update before it
//!   is sent (`claim_case_attempt`, `claim_case_action`); a Discord post is
//!   a committed row with its nonce before it is sent, so a second sender
//!   resends the same nonce and Discord returns the message already made.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::store::Store;

/// How long a duty's lease lasts unless renewed.
pub const LEASE_TTL: Duration = Duration::from_secs(15);

/// How often an instance without a duty looks whether it is free.
pub const STANDBY_CHECK: Duration = Duration::from_secs(5);

/// A new instance's name among the fleet: host, process id and a random
/// part (a restarted process with the same pid is another instance). Each
/// opened store is one instance (see `Store::instance_id`).
pub fn new_instance_id() -> Arc<str> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!("{host}/{}/{:08x}", std::process::id(), fastrand::u32(..)).into()
}

/// A duty one instance of the fleet performs at a time.
#[derive(Debug, Clone)]
pub struct Duty {
    store: Store,
    name: Arc<str>,
    holder: Arc<str>,
    ttl: Duration,
    /// Whether this instance held it at the last look (to log changes).
    held: Arc<AtomicBool>,
    /// A short-lived duty (one fetch) logs its changes of hands at debug
    /// level only.
    quiet: bool,
}

impl Duty {
    /// The duty `name` (`"health-poll"`, `"case-worker"`, …) for the
    /// instance that opened `store`.
    pub fn new(store: Store, name: &str) -> Self {
        let holder = store.instance_id();
        Self::with_holder(store, name, holder, LEASE_TTL)
    }

    /// The duty for a given holder and lease time (tests run several
    /// holders in one process).
    pub fn with_holder(store: Store, name: &str, holder: Arc<str>, ttl: Duration) -> Self {
        Self {
            store,
            name: name.into(),
            holder,
            ttl,
            held: Arc::new(AtomicBool::new(false)),
            quiet: false,
        }
    }

    /// The same duty, logging its changes of hands at debug level only.
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `pass` if this instance holds the duty (taking it when free),
    /// renewing the lease while the pass runs; `None` (and `pass` dropped
    /// unrun) when another instance holds it or the database cannot say.
    pub async fn run_if_held<T>(&self, pass: impl Future<Output = T>) -> Option<T> {
        if !self.take().await {
            return None;
        }
        Some(self.renewing(pass).await)
    }

    /// Waits before the loop's next pass. The holder (`ran`) waits `every`,
    /// renewing its lease meanwhile; another instance waits at most `every`,
    /// looking every [`STANDBY_CHECK`] and returning as soon as it has
    /// taken the duty.
    pub async fn wait(&self, every: Duration, ran: bool) {
        if ran {
            self.renewing(tokio::time::sleep(every)).await;
            return;
        }
        let until = tokio::time::Instant::now() + every;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(STANDBY_CHECK)).await;
            if self.take().await {
                return;
            }
        }
    }

    /// Waits until this instance holds the duty, looking every
    /// [`STANDBY_CHECK`] (at once the first time).
    pub async fn acquire(&self) {
        while !self.take().await {
            tokio::time::sleep(STANDBY_CHECK).await;
        }
    }

    /// Renews the lease (already taken) every third of its time; returns
    /// when a renewal fails: another instance has it, or the database
    /// cannot say (the holder must then stop, as the lease may lapse).
    pub async fn until_lost(&self) {
        loop {
            tokio::time::sleep(self.ttl / 3).await;
            if !self.take().await {
                return;
            }
        }
    }

    /// `work`, with the lease (already taken) renewed every third of its
    /// time until done.
    pub async fn renewing<T>(&self, work: impl Future<Output = T>) -> T {
        let renew = async {
            loop {
                tokio::time::sleep(self.ttl / 3).await;
                self.take().await;
            }
        };
        tokio::select! {
            done = work => done,
            never = renew => never,
        }
    }

    /// Takes or renews the lease; logs when it changes hands. A database
    /// that does not answer within a third of the lease time counts as a
    /// lost lease: the lease may lapse meanwhile, and another instance take
    /// the duty (the gateway's holder then closes its connection before the
    /// lease has expired, not when the database's pool gives up).
    async fn take(&self) -> bool {
        let asked = self.store.acquire_lease(&self.name, &self.holder, self.ttl);
        let held = match tokio::time::timeout(self.ttl / 3, asked).await {
            Ok(Ok(held)) => held,
            Ok(Err(error)) => {
                tracing::warn!(duty = %self.name, %error, "cannot read the duty's lease; not acting on it");
                false
            }
            Err(_) => {
                tracing::warn!(duty = %self.name, "the database did not answer in time for the duty's lease; not acting on it");
                false
            }
        };
        let before = self.held.swap(held, Ordering::Relaxed);
        match (before, held) {
            (false, true) if self.quiet => tracing::debug!(duty = %self.name, "duty taken"),
            (false, true) => tracing::info!(duty = %self.name, holder = %self.holder, "duty taken"),
            (true, false) => tracing::warn!(
                duty = %self.name,
                "duty lost to another instance (or the database is away); the work items' own claims keep anything begun from being done twice"
            ),
            _ => {}
        }
        held
    }

    /// Gives the duty up (a clean shutdown), so that another instance takes
    /// it at once.
    pub async fn release(&self) {
        self.held.store(false, Ordering::Relaxed);
        match self.store.release_lease(&self.name, &self.holder).await {
            Ok(true) if self.quiet => tracing::debug!(duty = %self.name, "duty released"),
            Ok(true) => tracing::info!(duty = %self.name, "duty released"),
            Ok(false) => {}
            Err(error) => tracing::warn!(duty = %self.name, %error, "could not release the duty; it expires by itself"),
        }
    }
}
