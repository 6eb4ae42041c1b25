//! Interaction ids already handled: Discord may deliver an interaction twice,
//! and the bot must act on it once.

use time::OffsetDateTime;

use super::{Store, StoreError, timestamp};

impl Store {
    /// Records an interaction id; true the first time it is seen, false on
    /// every later delivery.
    pub async fn first_sighting(&self, interaction_id: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO seen_interactions (interaction_id, seen_at) VALUES ($1, $2)
             ON CONFLICT (interaction_id) DO NOTHING",
        )
        .bind(interaction_id)
        .bind(timestamp(at))
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Forgets interactions seen before `cutoff` (Discord never redelivers
    /// one after its 15-minute token lifetime).
    pub async fn forget_interactions_before(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM seen_interactions WHERE seen_at < $1")
            .bind(timestamp(cutoff))
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}
