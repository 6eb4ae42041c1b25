//! Ticket creations committed in groups. Every creation is durable before
//! its caller hears of it, but concurrent creations share one transaction:
//! the database syncs its log once per commit (and SQLite takes its one
//! write lock once), so a desk
//! opening many tickets at once (a region outage, a burst of escalations)
//! pays for one commit, not one each.
//!
//! One writer task per store takes whatever creations are waiting (up to
//! [`MAX_GROUP`]), writes them in one transaction and answers each caller
//! once it has committed. A caller that gives up waiting does not stop the
//! commit of its ticket. When a group fails (one ticket breaks a constraint,
//! the commit itself fails), nothing of it was written: when the database
//! refused what was written (a constraint, a trigger), each of its tickets
//! is tried again alone, so that one bad ticket fails alone and the others
//! are still written once; any other failure (the write lock not granted in
//! time, the disk) is every ticket's answer.

use sqlx::AnyPool;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::tickets::{NewTicket, Ticket, create_many};
use super::{Backend, StoreError};

/// The most creations one transaction takes.
pub const MAX_GROUP: usize = 256;

/// Creations waiting for the writer; past this, callers wait to queue.
const QUEUE: usize = 1024;

/// A creation waiting for its commit.
struct Pending {
    ticket: NewTicket,
    at: OffsetDateTime,
    done: oneshot::Sender<Result<Ticket, StoreError>>,
}

/// The queue to a store's writer task.
#[derive(Debug, Clone)]
pub(super) struct TicketWriter {
    queue: mpsc::Sender<Pending>,
}

impl TicketWriter {
    /// Starts the writer on the current tokio runtime (the one the pool
    /// lives on); it stops when the last handle is dropped.
    pub(super) fn start(pool: AnyPool, backend: Backend) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(pool, backend, waiting));
        Self { queue }
    }

    /// Queues a creation and waits until it is committed.
    pub(super) async fn create(&self, ticket: &NewTicket, at: OffsetDateTime) -> Result<Ticket, StoreError> {
        let (done, committed) = oneshot::channel();
        let pending = Pending {
            ticket: ticket.clone(),
            at,
            done,
        };
        self.queue.send(pending).await.map_err(|_| StoreError::WriterStopped)?;
        committed.await.map_err(|_| StoreError::WriterStopped)?
    }
}

async fn write_groups(pool: AnyPool, backend: Backend, mut waiting: mpsc::Receiver<Pending>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while waiting.recv_many(&mut group, MAX_GROUP).await > 0 {
        let size = group.len();
        match commit_group(&pool, backend, &group).await {
            Ok(tickets) => {
                tracing::debug!(tickets = size, "ticket creations committed together");
                for (pending, ticket) in group.drain(..).zip(tickets) {
                    // A caller that stopped waiting still has its ticket.
                    let _ = pending.done.send(Ok(ticket));
                }
            }
            Err(error) if size == 1 => {
                let pending = group.pop().expect("a group of one");
                let _ = pending.done.send(Err(error));
            }
            Err(error) if refused(&error, backend) => {
                tracing::warn!(tickets = size, %error, "the database refused a ticket of a group; each is tried alone");
                for pending in group.drain(..) {
                    let result = commit_group(&pool, backend, std::slice::from_ref(&pending))
                        .await
                        .map(|mut alone| alone.pop().expect("one ticket in, one out"));
                    let _ = pending.done.send(result);
                }
            }
            Err(error) => {
                // Not one ticket's fault (the lock not granted in time, the
                // disk): trying each alone would only hold the others up.
                tracing::error!(tickets = size, %error, "a group of ticket creations failed; none was written");
                let message = error.to_string();
                for pending in group.drain(..) {
                    let _ = pending.done.send(Err(StoreError::GroupFailed(message.clone())));
                }
            }
        }
    }
}

/// Whether the database refused what a statement wrote (a constraint or a
/// trigger), which may be one ticket's doing: on SQLite, the result codes of
/// the `SQLITE_CONSTRAINT` family; on PostgreSQL, the SQLSTATE class 23
/// (integrity constraint violation) and P0001 (raised by a trigger).
fn refused(error: &StoreError, backend: Backend) -> bool {
    const SQLITE_CONSTRAINT: i32 = 19;
    let StoreError::Query(sqlx::Error::Database(database)) = error else {
        return false;
    };
    let Some(code) = database.code() else {
        return false;
    };
    match backend {
        Backend::Sqlite => code.parse::<i32>().is_ok_and(|code| code & 0xff == SQLITE_CONSTRAINT),
        Backend::Postgres => code.starts_with("23") || code == "P0001",
    }
}

/// Writes a whole group in one transaction: all of it or none. The group is
/// written in parts whose sizes are powers of two (37 as 32, 4 and 1), so
/// that a connection caches at most nine forms of each statement. On SQLite
/// the transaction takes the write lock first (the ids are taken from what
/// is written); on PostgreSQL the ids come from the shared sequence and
/// nothing else is read, so groups of several instances commit side by side.
async fn commit_group(pool: &AnyPool, backend: Backend, group: &[Pending]) -> Result<Vec<Ticket>, StoreError> {
    let tickets: Vec<(&NewTicket, OffsetDateTime)> = group.iter().map(|p| (&p.ticket, p.at)).collect();
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    let mut created = Vec::with_capacity(tickets.len());
    let mut rest = tickets.as_slice();
    while !rest.is_empty() {
        let part = 1 << rest.len().ilog2();
        created.extend(create_many(&mut tx, backend, &rest[..part]).await?);
        rest = &rest[part..];
    }
    tx.commit().await?;
    Ok(created)
}
