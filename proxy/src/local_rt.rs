//! A small single-threaded async runtime for socket ABIs that come with none (WASIX).
//!
//! Two platform-free parts, so both are tested natively:
//! - [`Executor`]: runs the main future and the tasks it spawns, all on one thread,
//!   polling only tasks that were woken.
//! - [`Interests`]: which task waits for which fd to become readable or writable, and
//!   which waits for a deadline. The socket layer turns this table into one blocking
//!   system call (its [`Park`]) whenever no task can make progress.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// The id the main future's waker queues; spawned tasks use their slot index.
const MAIN: usize = usize::MAX;

/// Ids of tasks to poll next. std's wakers must be Send + Sync, hence the mutex; the
/// guest has a single thread, so it is never contended.
#[derive(Default)]
struct RunQueue(Mutex<VecDeque<usize>>);

impl RunQueue {
    fn push(&self, id: usize) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(id);
    }

    fn pop(&self) -> Option<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

struct TaskWaker {
    id: usize,
    /// Set while the id sits in the queue, so a burst of wakes polls the task once.
    queued: AtomicBool,
    queue: Arc<RunQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::SeqCst) {
            self.queue.push(self.id);
        }
    }
}

/// What the executor calls when every task is waiting: block until something a task
/// waits for may have happened, and wake that task.
pub trait Park {
    fn park(&self) -> io::Result<()>;
}

struct Slot {
    /// None while the task is being polled (it may spawn, which needs the slot table).
    task: Option<Task>,
    waker: Arc<TaskWaker>,
}

#[derive(Default)]
pub struct Executor {
    queue: Arc<RunQueue>,
    slots: RefCell<Vec<Option<Slot>>>,
    free: RefCell<Vec<usize>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Executor>>> = const { RefCell::new(None) };
}

impl Executor {
    fn waker_for(&self, id: usize) -> Arc<TaskWaker> {
        Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(true),
            queue: Arc::clone(&self.queue),
        })
    }

    fn insert(&self, task: Task) {
        let id = match self.free.borrow_mut().pop() {
            Some(id) => id,
            None => {
                let mut slots = self.slots.borrow_mut();
                slots.push(None);
                slots.len() - 1
            }
        };
        let waker = self.waker_for(id);
        self.slots.borrow_mut()[id] = Some(Slot {
            task: Some(task),
            waker,
        });
        self.queue.push(id);
    }

    /// Polls spawned task `id` once, if it still exists (wakers can outlive tasks).
    fn poll_task(&self, id: usize) {
        let (mut task, waker) = {
            let mut slots = self.slots.borrow_mut();
            let Some(Some(slot)) = slots.get_mut(id) else {
                return;
            };
            let Some(task) = slot.task.take() else {
                return;
            };
            (task, Arc::clone(&slot.waker))
        };
        waker.queued.store(false, Ordering::SeqCst);
        let std_waker = Waker::from(waker);
        let done = task
            .as_mut()
            .poll(&mut Context::from_waker(&std_waker))
            .is_ready();
        let mut slots = self.slots.borrow_mut();
        if done {
            slots[id] = None;
            self.free.borrow_mut().push(id);
        } else if let Some(Some(slot)) = slots.get_mut(id) {
            slot.task = Some(task);
        }
    }

    /// Runs `main` and every task it spawns until `main` finishes; spawned tasks still
    /// pending then are dropped. Fails only if `park` fails.
    pub fn block_on<F: Future>(main: F, park: &impl Park) -> io::Result<F::Output> {
        let executor = Rc::new(Executor::default());
        let previous = CURRENT.with(|c| c.replace(Some(Rc::clone(&executor))));
        let result = executor.run(main, park);
        CURRENT.with(|c| c.replace(previous));
        result
    }

    fn run<F: Future>(&self, main: F, park: &impl Park) -> io::Result<F::Output> {
        let mut main = std::pin::pin!(main);
        let main_waker = self.waker_for(MAIN);
        self.queue.push(MAIN);
        loop {
            while let Some(id) = self.queue.pop() {
                if id != MAIN {
                    self.poll_task(id);
                    continue;
                }
                main_waker.queued.store(false, Ordering::SeqCst);
                let waker = Waker::from(Arc::clone(&main_waker));
                if let Poll::Ready(out) = main.as_mut().poll(&mut Context::from_waker(&waker)) {
                    // Drop the remaining tasks (and the sockets they hold) while the
                    // executor is still the current one.
                    self.slots.borrow_mut().clear();
                    return Ok(out);
                }
            }
            park.park()?;
        }
    }

    /// Starts `task` beside the running ones. Outside [`Executor::block_on`] there is
    /// nothing to run it, and it is dropped.
    pub fn spawn(task: impl Future<Output = ()> + 'static) {
        CURRENT.with(|c| {
            if let Some(executor) = c.borrow().as_ref() {
                executor.insert(Box::pin(task));
            }
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

/// Who waits for what. One entry per (fd, direction): each socket half belongs to one
/// task, and a task re-polled before its fd is ready only refreshes its waker, so the
/// table never grows past the number of open sockets times two.
#[derive(Default)]
pub struct Interests {
    fds: RefCell<Vec<(u32, Direction, Waker)>>,
    timers: RefCell<Vec<(u64, Waker)>>,
}

impl Interests {
    pub fn register(&self, fd: u32, direction: Direction, waker: &Waker) {
        let mut fds = self.fds.borrow_mut();
        match fds.iter_mut().find(|(f, d, _)| *f == fd && *d == direction) {
            Some(entry) => entry.2.clone_from(waker),
            None => fds.push((fd, direction, waker.clone())),
        }
    }

    pub fn is_registered(&self, fd: u32, direction: Direction) -> bool {
        self.fds
            .borrow()
            .iter()
            .any(|(f, d, _)| *f == fd && *d == direction)
    }

    /// Drops every interest in `fd`: call before closing it, because waiting on a
    /// closed (or reused) descriptor fails the whole wait or wakes the wrong task.
    pub fn forget(&self, fd: u32) {
        self.fds.borrow_mut().retain(|(f, _, _)| *f != fd);
    }

    /// The current interests, in the order [`Interests::fire`] indices refer to.
    pub fn snapshot(&self) -> Vec<(u32, Direction)> {
        self.fds.borrow().iter().map(|(f, d, _)| (*f, *d)).collect()
    }

    /// The fd is ready (or failed) in that direction: wake its task, forget the interest.
    pub fn fire(&self, fd: u32, direction: Direction) {
        let mut fds = self.fds.borrow_mut();
        if let Some(i) = fds.iter().position(|(f, d, _)| *f == fd && *d == direction) {
            let (_, _, waker) = fds.swap_remove(i);
            drop(fds);
            waker.wake();
        }
    }

    /// Wakes `waker` once the monotonic clock reaches `deadline` (nanoseconds).
    pub fn add_timer(&self, deadline: u64, waker: &Waker) {
        self.timers.borrow_mut().push((deadline, waker.clone()));
    }

    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.borrow().iter().map(|(d, _)| *d).min()
    }

    pub fn fire_timers(&self, now: u64) {
        let expired: Vec<Waker> = {
            let mut timers = self.timers.borrow_mut();
            let (expired, pending) = timers.drain(..).partition(|(d, _)| *d <= now);
            *timers = pending;
            expired.into_iter().map(|(_, w)| w).collect::<Vec<_>>()
        };
        expired.into_iter().for_each(Waker::wake);
    }

    pub fn is_empty(&self) -> bool {
        self.fds.borrow().is_empty() && self.timers.borrow().is_empty()
    }
}

/// Resolves once [`Interests::fire`] was called for (fd, direction). The first poll
/// registers; later polls before that only refresh the waker.
pub struct Readiness<'a> {
    pub interests: &'a Interests,
    pub fd: u32,
    pub direction: Direction,
    pub registered: Cell<bool>,
}

impl Future for Readiness<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (fd, direction) = (self.fd, self.direction);
        if self.registered.get() && !self.interests.is_registered(fd, direction) {
            return Poll::Ready(());
        }
        self.interests.register(fd, direction, cx.waker());
        self.registered.set(true);
        Poll::Pending
    }
}

impl<'a> Readiness<'a> {
    pub fn new(interests: &'a Interests, fd: u32, direction: Direction) -> Self {
        Readiness {
            interests,
            fd,
            direction,
            registered: Cell::new(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A park that plays the OS: each call makes the next scripted fd ready.
    struct Script<'a> {
        interests: &'a Interests,
        events: RefCell<VecDeque<(u32, Direction)>>,
        parks: Cell<u32>,
    }

    impl Park for Script<'_> {
        fn park(&self) -> io::Result<()> {
            self.parks.set(self.parks.get() + 1);
            match self.events.borrow_mut().pop_front() {
                Some((fd, direction)) => {
                    self.interests.fire(fd, direction);
                    Ok(())
                }
                None => Err(io::Error::other("script exhausted")),
            }
        }
    }

    fn script<'a>(interests: &'a Interests, events: &[(u32, Direction)]) -> Script<'a> {
        Script {
            interests,
            events: RefCell::new(events.iter().copied().collect()),
            parks: Cell::new(0),
        }
    }

    #[test]
    fn spawned_tasks_run_beside_main_and_wake_on_their_own_fd() {
        let interests = Rc::new(Interests::default());
        let log = Rc::new(RefCell::new(Vec::new()));
        let park = script(&interests, &[(7, Direction::Read), (3, Direction::Write)]);
        let (i, l) = (Rc::clone(&interests), Rc::clone(&log));
        let out = Executor::block_on(
            async move {
                let (i2, l2) = (Rc::clone(&i), Rc::clone(&l));
                Executor::spawn(async move {
                    Readiness::new(&i2, 7, Direction::Read).await;
                    l2.borrow_mut().push("task saw fd 7");
                });
                Readiness::new(&i, 3, Direction::Write).await;
                l.borrow_mut().push("main saw fd 3");
                42
            },
            &park,
        )
        .unwrap();
        assert_eq!(out, 42);
        assert_eq!(*log.borrow(), ["task saw fd 7", "main saw fd 3"]);
        assert_eq!(park.parks.get(), 2);
        assert!(interests.is_empty());
    }

    #[test]
    fn repolling_a_waiting_future_does_not_duplicate_its_interest() {
        let interests = Interests::default();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut wait = std::pin::pin!(Readiness::new(&interests, 5, Direction::Read));
        for _ in 0..3 {
            assert!(wait.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(interests.snapshot(), [(5, Direction::Read)]);
        interests.fire(5, Direction::Read);
        assert!(wait.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn forgetting_an_fd_drops_both_directions_only_for_it() {
        let interests = Interests::default();
        let waker = Waker::noop();
        interests.register(4, Direction::Read, waker);
        interests.register(4, Direction::Write, waker);
        interests.register(9, Direction::Read, waker);
        interests.forget(4);
        assert_eq!(interests.snapshot(), [(9, Direction::Read)]);
    }

    #[test]
    fn timers_fire_in_deadline_order() {
        let interests = Interests::default();
        let waker = Waker::noop();
        interests.add_timer(300, waker);
        interests.add_timer(100, waker);
        assert_eq!(interests.next_deadline(), Some(100));
        interests.fire_timers(150);
        assert_eq!(interests.next_deadline(), Some(300));
        interests.fire_timers(300);
        assert!(interests.is_empty());
    }

    #[test]
    fn a_failing_park_ends_block_on_with_its_error() {
        let interests = Interests::default();
        let park = script(&interests, &[]);
        let err =
            Executor::block_on(Readiness::new(&interests, 1, Direction::Read), &park).unwrap_err();
        assert_eq!(err.to_string(), "script exhausted");
    }

    #[test]
    fn many_short_lived_tasks_all_run() {
        let interests = Interests::default();
        let park = script(&interests, &[]);
        let count = Rc::new(Cell::new(0));
        let c = Rc::clone(&count);
        Executor::block_on(
            async move {
                for _ in 0..100 {
                    let c = Rc::clone(&c);
                    Executor::spawn(async move { c.set(c.get() + 1) });
                    // Let the spawned task run before spawning the next one.
                    YieldOnce(false).await;
                }
            },
            &park,
        )
        .unwrap();
        assert_eq!(count.get(), 100);
    }

    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
