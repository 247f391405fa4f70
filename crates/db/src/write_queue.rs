//! The process's queue of SQLite writers, and group commit.
//!
//! SQLite has one writer at a time, and a durable commit (WAL, `synchronous=FULL`) waits for
//! the disk — longer here than the rest of a small write. Writers of this process wait their
//! turn in a FIFO queue, without a time limit, instead of in SQLite's busy handler (which
//! sleeps, retries and gives up with "database is locked"), so a long import makes other
//! writes wait, never fail.
//!
//! A writer that finishes while others wait does not commit: it leaves the transaction open for
//! the next writer and waits (group commit). Each writer works inside its own savepoint, so one
//! that fails or rolls back undoes only its own work; the last writer of a group commits for
//! all, and every member learns the outcome of that one commit before it answers — nothing is
//! acknowledged before it is on disk, and nothing a member wrote is visible to readers before
//! then. A group holds at most [`MAX_GROUP`] writers, so its first waits a bounded time.

use crate::DbError;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::LockedSqliteHandle;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// Writers per group: 16 concurrent writers on 2 cores form groups of 10–16.
const MAX_GROUP: usize = 32;

/// Far longer than any import; only a bug (a write begun inside another write of the same
/// task) could wait this long, and it should fail, not hang.
const TURN_TIMEOUT: Duration = Duration::from_secs(600);

/// How often a member waiting for its group's commit checks that the group was not left
/// behind (the writer it was handed to went away before taking it).
const LEFT_BEHIND_CHECK: Duration = Duration::from_millis(50);

pub struct WriteQueue {
    turn: Arc<Semaphore>,
    waiting: AtomicUsize,
    /// The transaction a finished writer left open for the next one.
    open: std::sync::Mutex<Option<Group>>,
    /// Groups committed, and the writers they held (for tests and benchmarks).
    groups: AtomicU64,
    members: AtomicU64,
}

impl std::fmt::Debug for WriteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteQueue")
            .field("waiting", &self.waiting.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

/// The outcome of a group's commit, `None` until it is known; every member holds the sender.
type Outcome = Arc<watch::Sender<Option<Result<(), String>>>>;

/// Writers sharing one SQLite transaction (`BEGIN IMMEDIATE` ran on `conn`).
///
/// Its state is marked before each statement is awaited, because a request can be cancelled
/// at any await (its client went away) and a statement sent to SQLite runs regardless: a group
/// dropped unfinished ends itself in a task of its own (see `Drop`), from what the marks say.
struct Group {
    /// The connection locked away from sqlx's worker thread while statements run on the
    /// writers' own threads (dropped before `conn`, and before any sqlx statement).
    held: Option<Held>,
    /// Some until the group has ended.
    conn: Option<PoolConnection<Sqlite>>,
    /// Some while a writer works in the group.
    turn: Option<OwnedSemaphorePermit>,
    /// `BEGIN IMMEDIATE` ran: a group dropped before has no transaction to end or hand on.
    begun: bool,
    /// The working writer's savepoint is (being) set.
    in_savepoint: bool,
    /// COMMIT was sent.
    committing: bool,
    members: usize,
    outcome: Outcome,
    queue: Weak<WriteQueue>,
    /// Already handed to a task of its own once for the working writer: dropped again (the
    /// task never ran, as when the runtime is shutting down), it closes instead of spawning
    /// another. Cleared when the next writer takes the group.
    rescued: bool,
}

/// One writer's part of a group: its savepoint is open on the group's connection, and it holds
/// the process's write turn until it commits or rolls back (or is dropped, which rolls back).
pub struct Member {
    group: Option<Group>,
}

/// Counts a writer as waiting while its future waits, also when the future is dropped.
struct Waiting<'a>(&'a AtomicUsize);
impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        Waiting(n)
    }
}
impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The group's connection on the writer's own thread: the sqlite3 handle of its sqlx connection,
/// locked out of sqlx's worker thread, wrapped by rusqlite (which does not close it).
///
/// sqlx runs every statement of a SQLite connection on a thread of its own, a message there and
/// an answer back: a write of a dozen statements (its savepoint, its reads, its rows, its audit
/// row, the chain's head) spent more time handing statements over than running them, and all
/// of it inside the one write turn every writer waits for. The lock is taken once and kept
/// while the group's writers follow one another, so their statements (cached here for the
/// group) run where the writer runs; a repository that still goes through sqlx gives it back
/// first ([`Group::conn`]).
struct Held {
    // Field order is drop order: rusqlite finalizes its cached statements while the handle
    // is still ours, then the lock goes back to the worker thread.
    conn: rusqlite::Connection,
    _lock: LockedSqliteHandle<'static>,
}

// SAFETY: a `Held` is reached only through `&mut` (its group's), so a shared reference to it
// lets no other thread use the connection, which is not `Sync`.
unsafe impl Sync for Held {}

impl Held {
    async fn lock(conn: &mut SqliteConnection) -> Result<Held, DbError> {
        let mut lock = conn.lock_handle().await?;
        let raw = lock.as_raw_handle();
        // SAFETY: the guard borrows the connection only to reach its worker's shared state, an
        // `Arc` that outlives the guard (the worker thread holds a clone while it runs); the
        // group drops `held` before it uses, moves into the pool or closes `conn`.
        let lock: LockedSqliteHandle<'static> = unsafe { std::mem::transmute(lock) };
        // SAFETY: the handle is open and, while `lock` is held, used by nobody else; rusqlite
        // does not close a handle it did not open.
        let c = unsafe { rusqlite::Connection::from_handle(raw.as_ptr().cast())? };
        c.set_prepared_statement_cache_capacity(32);
        Ok(Held {
            conn: c,
            _lock: lock,
        })
    }
}

fn lost(e: tokio::task::JoinError) -> DbError {
    DbError::Commit(format!("写入任务中断：{e}"))
}

impl Group {
    /// The sqlx connection (given back to sqlx's worker thread if it was held).
    fn conn(&mut self) -> &mut SqliteConnection {
        self.held = None;
        // `conn` is taken only when the group ends, after which nothing runs in it
        self.conn
            .as_mut()
            .expect("a group runs statements until it ends")
    }

    /// The connection on this thread (see [`Held`]).
    async fn direct(&mut self) -> Result<&rusqlite::Connection, DbError> {
        if self.held.is_none() {
            let conn = self
                .conn
                .as_mut()
                .ok_or_else(|| DbError::Commit("写入事务已结束".into()))?;
            self.held = Some(Held::lock(conn).await?);
        }
        Ok(&self.held.as_mut().expect("held just now").conn)
    }

    /// Runs one of the group's own statements (BEGIN, savepoints, the end).
    async fn exec(&mut self, sql: &'static str) -> Result<(), DbError> {
        self.direct().await?;
        self.run(sql)
    }

    /// Runs one of the group's own statements on the connection [`Group::direct`] took, without
    /// an await: a writer cancelled before it sent nothing, and one cancelled after has its mark.
    fn run(&self, sql: &'static str) -> Result<(), DbError> {
        let held = self
            .held
            .as_ref()
            .ok_or_else(|| DbError::Commit("写入连接未就绪".into()))?;
        Ok(held.conn.execute_batch(sql)?)
    }

    /// Takes the connection out of the group: given back to sqlx first.
    fn take_conn(&mut self) -> Option<PoolConnection<Sqlite>> {
        self.held = None;
        self.conn.take()
    }

    /// Ends the group without its work: the connection is closed (SQLite rolls back what it
    /// had not committed) and the members are told.
    fn close(mut self, why: &str) {
        if let Some(mut c) = self.take_conn() {
            c.close_on_drop();
        }
        self.outcome.send_replace(Some(Err(why.to_string())));
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let held = self.held.take();
        let Some(conn) = self.conn.take() else {
            return; // ended
        };
        if !self.begun {
            // cancelled before its BEGIN ran: no transaction, no member; the connection goes
            // back as it came (the lock first), and the turn with the group
            drop(held);
            drop(conn);
            return;
        }
        // Dropped unfinished: the future holding it was cancelled.
        let rest = Group {
            held,
            conn: Some(conn),
            turn: self.turn.take(),
            begun: true,
            in_savepoint: self.in_savepoint,
            committing: self.committing,
            members: self.members,
            outcome: self.outcome.clone(),
            queue: self.queue.clone(),
            rescued: true,
        };
        match (tokio::runtime::Handle::try_current(), self.queue.upgrade()) {
            (Ok(rt), Some(queue)) if rest.turn.is_some() && !self.rescued => {
                rt.spawn(async move { queue.abandon(rest).await });
            }
            // no runtime or queue (the process is ending), left open with no writer in it, or
            // its rescue never ran
            _ => rest.close("进程结束，写入未保存"),
        }
    }
}

impl WriteQueue {
    pub fn new() -> Arc<WriteQueue> {
        Arc::new(WriteQueue {
            turn: Arc::new(Semaphore::new(1)),
            waiting: AtomicUsize::new(0),
            open: std::sync::Mutex::new(None),
            groups: AtomicU64::new(0),
            members: AtomicU64::new(0),
        })
    }

    /// Writers waiting for their turn.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Groups committed so far and the writers they held.
    pub fn commits(&self) -> (u64, u64) {
        (
            self.groups.load(Ordering::SeqCst),
            self.members.load(Ordering::SeqCst),
        )
    }

    fn open(&self) -> std::sync::MutexGuard<'_, Option<Group>> {
        // the lock guards a swap of an Option; a panic cannot leave it half done
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the write turn, then joins the open group or opens one.
    pub async fn begin(self: &Arc<Self>, pool: &SqlitePool) -> Result<Member, DbError> {
        let turn = {
            let _waiting = Waiting::new(&self.waiting);
            tokio::time::timeout(TURN_TIMEOUT, self.turn.clone().acquire_owned())
                .await
                .map_err(|_| DbError::Config("数据库写入排队超时".into()))?
                .map_err(|_| DbError::Config("写入队列已关闭".into()))?
        };
        let left_open = self.open().take();
        let mut group = match left_open {
            Some(mut g) => {
                g.turn = Some(turn);
                // A writer before this one may have been dropped and its part undone by a
                // rescue task: that task ran, and this writer, if dropped, needs one of its
                // own. (Left set, a second dropped writer in one group — two refused forms —
                // closed the group and failed every writer in it.)
                g.rescued = false;
                g
            }
            None => {
                let conn = pool.acquire().await?;
                let mut g = Group {
                    held: None,
                    conn: Some(conn),
                    turn: Some(turn),
                    begun: false,
                    in_savepoint: false,
                    committing: false,
                    members: 0,
                    outcome: Arc::new(watch::channel(None).0),
                    queue: Arc::downgrade(self),
                    rescued: false,
                };
                // Cancelled at this await, the group is dropped unbegun (see `Drop`). Marked
                // only once BEGIN ran: left open unbegun, the next writer's SAVEPOINT began a
                // transaction of its own and its RELEASE committed it, so the group's COMMIT
                // found none and a committed write was answered as failed.
                let begun = match g.direct().await {
                    Ok(_) => g.run("BEGIN IMMEDIATE"),
                    Err(e) => Err(e),
                };
                if let Err(e) = begun {
                    // no transaction began: the connection goes back as it came
                    drop(g.take_conn());
                    return Err(e);
                }
                g.begun = true;
                g
            }
        };
        // the same for the savepoint: marked with no await between the mark and the statement
        let savepoint = match group.direct().await {
            Ok(_) => {
                group.in_savepoint = true;
                group.run("SAVEPOINT kp_writer")
            }
            Err(e) => Err(e),
        };
        if let Err(e) = savepoint {
            // the connection is broken; the members before this one learn it
            let queue = self.clone();
            tokio::spawn(async move { queue.fail(group, &e).await });
            return Err(DbError::Commit("写入未能开始".into()));
        }
        group.members += 1;
        Ok(Member { group: Some(group) })
    }

    /// Keeps the working writer's part and ends its turn.
    async fn end_turn(&self, mut g: Group) -> Result<(), DbError> {
        if let Err(e) = g.exec("RELEASE SAVEPOINT kp_writer").await {
            self.fail(g, &e).await;
            return Err(e);
        }
        g.in_savepoint = false;
        self.finish(g, false).await;
        Ok(())
    }

    /// Undoes the working writer's part and ends its turn; if its part cannot be undone alone
    /// (the transaction itself failed), the whole group fails.
    async fn abandon(&self, mut g: Group) {
        if g.committing {
            return self.settle(g).await;
        }
        if g.in_savepoint {
            let undone = async {
                g.exec("ROLLBACK TO SAVEPOINT kp_writer").await?;
                g.exec("RELEASE SAVEPOINT kp_writer").await
            }
            .await;
            if let Err(e) = undone {
                return self.fail(g, &e).await;
            }
            g.in_savepoint = false;
        }
        self.finish(g, false).await
    }

    /// Ends a group's turn: leaves it open for the next writer if one waits (and it is not
    /// full), else commits it and tells its members. `force` commits in any case.
    async fn finish(&self, mut g: Group, force: bool) {
        if !force && self.waiting() > 0 && g.members < MAX_GROUP {
            let turn = g.turn.take();
            *self.open() = Some(g);
            drop(turn);
            return;
        }
        g.committing = true;
        let committed = g.exec("COMMIT").await;
        g.committing = false;
        match committed {
            Ok(()) => self.committed(g),
            Err(e) => {
                // the transaction may still be open (a busy or failed commit)
                self.fail(g, &e).await
            }
        }
    }

    fn committed(&self, mut g: Group) {
        self.groups.fetch_add(1, Ordering::SeqCst);
        self.members.fetch_add(g.members as u64, Ordering::SeqCst);
        g.outcome.send_replace(Some(Ok(())));
        drop(g.take_conn()); // back to the pool; the turn goes with `g`
    }

    /// A group whose COMMIT was sent but whose answer was lost (its writer was cancelled):
    /// if a ROLLBACK finds a transaction, the commit had failed.
    async fn settle(&self, mut g: Group) {
        g.committing = false;
        match g.exec("ROLLBACK").await {
            Err(_) => self.committed(g),
            Ok(()) => {
                tracing::error!(members = g.members, "group commit failed");
                g.outcome.send_replace(Some(Err("提交失败".into())));
                drop(g.take_conn());
            }
        }
    }

    /// Rolls the whole group back: its transaction is broken.
    async fn fail(&self, mut g: Group, e: &DbError) {
        tracing::error!(error = %e, members = g.members, "write group rolled back");
        g.in_savepoint = false;
        if g.exec("ROLLBACK").await.is_err() {
            // still inside a transaction, or unusable: not back to the pool
            return g.close(&e.to_string());
        }
        g.outcome.send_replace(Some(Err(e.to_string())));
        drop(g.take_conn());
    }

    /// Waits for the commit of the group a member left, committing it if it was left behind:
    /// handed to a writer that went away before taking it, with no writer after.
    async fn outcome(self: &Arc<Self>, outcome: Outcome) -> Result<(), DbError> {
        let mut rx = outcome.subscribe();
        loop {
            if let Some(r) = rx.borrow_and_update().clone() {
                return r.map_err(DbError::Commit);
            }
            tokio::select! {
                changed = rx.changed() => {
                    // the sender lives in `outcome`, held here: it cannot be dropped
                    if changed.is_err() {
                        return Err(DbError::Commit("提交结果丢失".into()));
                    }
                }
                _ = tokio::time::sleep(LEFT_BEHIND_CHECK) => {
                    if let Ok(turn) = self.turn.clone().try_acquire_owned() {
                        let left = self.open().take();
                        if let Some(mut g) = left {
                            g.turn = Some(turn);
                            let queue = self.clone();
                            tokio::spawn(async move { queue.finish(g, true).await });
                        }
                    }
                }
            }
        }
    }
}

impl Member {
    /// The connection, inside this member's savepoint.
    pub fn connection(&mut self) -> &mut SqliteConnection {
        // `group` is taken only by commit and rollback, which consume the member
        self.group
            .as_mut()
            .expect("a live member holds its group")
            .conn()
    }

    /// The connection on this thread, inside this member's savepoint (see [`Held`]).
    pub(crate) async fn direct(&mut self) -> Result<&rusqlite::Connection, DbError> {
        self.group
            .as_mut()
            .ok_or_else(|| DbError::Commit("写入事务已结束".into()))?
            .direct()
            .await
    }

    fn take(&mut self) -> Result<(Group, Arc<WriteQueue>), DbError> {
        let g = self
            .group
            .take()
            .ok_or_else(|| DbError::Commit("写入事务已结束".into()))?;
        let queue = g
            .queue
            .upgrade()
            .ok_or_else(|| DbError::Commit("写入队列已关闭".into()))?;
        Ok((g, queue))
    }

    /// Keeps this member's work and answers once it is committed with its group's. Ending
    /// the turn runs as a task of its own: a request cancelled meanwhile must not leave the
    /// group's transaction open or its other members waiting.
    pub async fn commit(mut self) -> Result<(), DbError> {
        let (g, queue) = self.take()?;
        let outcome = g.outcome.clone();
        let q = queue.clone();
        tokio::spawn(async move { q.end_turn(g).await })
            .await
            .map_err(lost)??;
        queue.outcome(outcome).await
    }

    /// Undoes this member's work (the group's other members keep theirs).
    pub async fn rollback(mut self) -> Result<(), DbError> {
        let (g, queue) = self.take()?;
        tokio::spawn(async move { queue.abandon(g).await })
            .await
            .map_err(lost)
    }
}
