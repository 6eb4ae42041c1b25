//! The cache in front of paid AWS APIs: answers are kept in the store, keyed
//! by the exact query, for a configured time (so a restart does not pay
//! again), and concurrent identical questions make one request (single
//! flight: the second waits for the first and reads its answer), within a
//! process (a lock per query) and across the instances of a fleet (a lease
//! per query in the shared store, see `fleet`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::aws::AwsError;
use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// An answer, and whether it came from the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached<T> {
    pub value: T,
    pub fetched_at: String,
    pub from_cache: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct CostCache {
    store: Store,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// This instance, as the holder of fetch leases.
    holder: Arc<str>,
}

/// How long a fetch's lease lasts unless renewed (it is renewed while the
/// fetch runs); an instance killed mid-fetch holds the query up this long.
const FETCH_LEASE: Duration = Duration::from_secs(30);

/// How often an instance waiting for another's fetch looks for its answer.
const FETCH_WAIT_CHECK: Duration = Duration::from_millis(200);

impl CostCache {
    pub fn new(store: Store, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        let holder = store.instance_id();
        Self::for_holder(store, clock, ttl, holder)
    }

    /// A cache acting as the instance `holder` (tests run two instances in
    /// one process).
    pub fn for_holder(store: Store, clock: Arc<dyn Clock>, ttl: Duration, holder: Arc<str>) -> Self {
        Self {
            store,
            clock,
            ttl,
            in_flight: Mutex::new(HashMap::new()),
            holder,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The answer to `query` from `api`: cached if fresh, else fetched once
    /// (however many ask at the same time), stored, and logged as paid.
    pub async fn get_or_fetch<Q, T, F, Fut>(&self, api: &str, query: &Q, fetch: F) -> Result<Cached<T>, CacheError>
    where
        Q: Serialize,
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, u32), AwsError>>,
    {
        let key = format!("{api}:{}", serde_json::to_string(query).expect("queries serialize"));
        if let Some(hit) = self.lookup(&key).await? {
            return Ok(hit);
        }
        let gate = {
            let mut in_flight = self.in_flight.lock().expect("the in-flight map is never poisoned");
            in_flight.entry(key.clone()).or_default().clone()
        };
        let _turn = gate.lock().await;
        // Across instances: one fetches under the query's lease, the others
        // wait for its answer (or take the lease when it fails or dies).
        let lease = crate::fleet::Duty::with_holder(
            self.store.clone(),
            &format!("fetch:{key}"),
            self.holder.clone(),
            FETCH_LEASE,
        )
        .quiet();
        loop {
            // Whoever fetched before us (here or elsewhere) may have the answer.
            if let Some(hit) = self.lookup(&key).await? {
                return Ok(hit);
            }
            if self
                .store
                .acquire_lease(lease.name(), &self.holder, FETCH_LEASE)
                .await?
            {
                break;
            }
            tokio::time::sleep(FETCH_WAIT_CHECK).await;
        }
        let fetched = lease.renewing(self.fetch_and_store(api, &key, fetch)).await;
        lease.release().await;
        self.in_flight
            .lock()
            .expect("the in-flight map is never poisoned")
            .remove(&key);
        fetched
    }

    /// Fetches, stores the answer and logs the paid request.
    async fn fetch_and_store<T, F, Fut>(&self, api: &str, key: &str, fetch: F) -> Result<Cached<T>, CacheError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, u32), AwsError>>,
    {
        let fetched_at = self.clock.now();
        let result = fetch().await;
        match result {
            Ok((value, pages)) => {
                let json = serde_json::to_string(&value).expect("answers serialize");
                let expires = fetched_at + time::Duration::try_from(self.ttl).unwrap_or(time::Duration::HOUR);
                self.store
                    .cache_answer(key, &json, api, pages, fetched_at, expires)
                    .await?;
                Ok(Cached {
                    value,
                    fetched_at: crate::store::timestamp(fetched_at),
                    from_cache: false,
                })
            }
            Err(error) => {
                if !matches!(error, AwsError::NotConfigured) {
                    self.store.log_failed_request(api, fetched_at).await?;
                }
                Err(CacheError::Aws(error))
            }
        }
    }

    async fn lookup<T: DeserializeOwned>(&self, key: &str) -> Result<Option<Cached<T>>, CacheError> {
        let now: OffsetDateTime = self.clock.now();
        let Some(hit) = self.store.cached(key, now).await? else {
            return Ok(None);
        };
        // An entry this version cannot read is simply fetched again.
        Ok(serde_json::from_str(&hit.value).ok().map(|value| Cached {
            value,
            fetched_at: hit.fetched_at,
            from_cache: true,
        }))
    }
}
