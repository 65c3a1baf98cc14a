//! Child processes the harness starts: each in its own process group, killed (whole
//! group) and reaped when its guard drops, on success, failure, timeout and panic.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal(signal) => write!(f, "signal {signal}"),
        }
    }
}

impl From<ExitStatus> for Exit {
    fn from(status: ExitStatus) -> Exit {
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            (None, None) => Exit::Code(-1),
        }
    }
}

/// Text a child wrote so far, shared with the thread draining its pipe.
#[derive(Default)]
struct Captured {
    text: Mutex<String>,
    /// Set when the pipe reached end of file: everything written has been read.
    closed: Mutex<bool>,
    changed: Condvar,
}

impl Captured {
    fn drain(self: Arc<Self>, pipe: impl Read + Send + 'static) {
        thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            // Lines, not fixed chunks, so waiters see whole lines; lossy so a stray
            // non-UTF-8 byte from a runtime cannot stop the capture.
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let mut text = self.text.lock().unwrap_or_else(|e| e.into_inner());
                text.push_str(&String::from_utf8_lossy(&line));
                line.clear();
                self.changed.notify_all();
            }
            *self.closed.lock().unwrap_or_else(|e| e.into_inner()) = true;
            self.changed.notify_all();
        });
    }

    /// Waits (bounded) until the pipe is drained to its end, so that output written
    /// just before an exit is not lost to a slow drain thread on a loaded machine.
    fn wait_closed(&self, timeout: Duration) {
        let closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .changed
            .wait_timeout_while(closed, timeout, |closed| !*closed);
    }

    fn snapshot(&self) -> String {
        self.text.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A running child with captured stdout/stderr. Dropping it kills and reaps the group.
pub struct ChildGuard {
    child: Child,
    stdout: Arc<Captured>,
    stderr: Arc<Captured>,
    exit: Option<Exit>,
}

impl ChildGuard {
    /// Spawns `command` with stdin closed (a runtime that asks a question gets EOF,
    /// never a hang) in a new process group. The child is killed when the harness
    /// dies, even by SIGKILL; the kernel ties that to the spawning *thread*, so spawn
    /// on a thread that lives at least as long as the guard (every caller does).
    pub fn spawn(mut command: Command) -> std::io::Result<ChildGuard> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // Its own group keeps the child out of the terminal's Ctrl-C and of a CI
        // timeout's kill, and a harness killed that way never runs this guard's drop:
        // the kernel must end the child when the harness dies.
        let harness = std::process::id();
        // SAFETY: the closure runs in the forked child before exec and calls only
        // prctl(2) and getppid(2), which are async-signal-safe; it allocates nothing.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The harness died between fork and prctl: do not run orphaned.
                if libc::getppid() as u32 != harness {
                    return Err(std::io::Error::other("the harness exited during the spawn"));
                }
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        let stdout = Arc::new(Captured::default());
        let stderr = Arc::new(Captured::default());
        if let Some(pipe) = child.stdout.take() {
            Arc::clone(&stdout).drain(pipe);
        }
        if let Some(pipe) = child.stderr.take() {
            Arc::clone(&stderr).drain(pipe);
        }
        Ok(ChildGuard {
            child,
            stdout,
            stderr,
            exit: None,
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        self.stdout.snapshot()
    }

    pub fn stderr(&self) -> String {
        self.stderr.snapshot()
    }

    /// The exit, if the process has ended (reaping it).
    pub fn try_exit(&mut self) -> Option<Exit> {
        if self.exit.is_none() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exit = Some(status.into());
            }
        }
        self.exit
    }

    /// Waits up to `timeout` for the process to end.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Exit> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(exit) = self.try_exit() {
                return Some(exit);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until stdout contains a line for which `find` returns a value, the
    /// process exits, or `timeout` passes.
    pub fn wait_for_stdout<T>(
        &mut self,
        timeout: Duration,
        find: impl Fn(&str) -> Option<T>,
    ) -> StdoutWait<T> {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let text = self.stdout.text.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(found) = text.lines().find_map(&find) {
                    return StdoutWait::Found(found);
                }
                // Wake on new output, or every few ms to notice an exit.
                let _ = self
                    .stdout
                    .changed
                    .wait_timeout(text, Duration::from_millis(10));
            }
            if let Some(exit) = self.try_exit() {
                self.drain_after_exit();
                if let Some(found) = self.stdout().lines().find_map(&find) {
                    return StdoutWait::Found(found);
                }
                return StdoutWait::Exited(exit);
            }
            if Instant::now() >= deadline {
                return StdoutWait::TimedOut;
            }
        }
    }

    /// After an exit: waits (up to 2 s; a helper the process left behind may keep a
    /// pipe open) until both pipes are drained.
    pub fn drain_after_exit(&self) {
        self.stdout.wait_closed(Duration::from_secs(2));
        self.stderr.wait_closed(Duration::from_secs(2));
    }

    /// Kills the whole process group and reaps the child; returns how it ended
    /// (a signal if it was still running).
    pub fn kill(&mut self) -> Exit {
        if let Some(exit) = self.try_exit() {
            // The group may still hold helpers the runtime started; end them too.
            kill_group(self.child.id());
            return exit;
        }
        kill_group(self.child.id());
        let exit = match self.child.wait() {
            Ok(status) => status.into(),
            Err(_) => Exit::Signal(libc::SIGKILL),
        };
        self.exit = Some(exit);
        exit
    }
}

pub enum StdoutWait<T> {
    Found(T),
    Exited(Exit),
    TimedOut,
}

fn kill_group(pid: u32) {
    // SAFETY: kill(2) with a negative pid signals the group we created for this child
    // (process_group(0) made its pgid equal its pid); no memory is touched.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs a short command to completion with a timeout (e.g. `--version`), killing it
/// if it overruns. Returns exit, stdout, stderr.
pub fn run_with_timeout(
    command: Command,
    timeout: Duration,
) -> std::io::Result<Option<(Exit, String, String)>> {
    let mut guard = ChildGuard::spawn(command)?;
    let Some(exit) = guard.wait_timeout(timeout) else {
        return Ok(None);
    };
    guard.drain_after_exit();
    Ok(Some((exit, guard.stdout(), guard.stderr())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    /// Running or stopped, not gone and not a zombie waiting for an init that may
    /// never reap it inside a container.
    fn alive(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
            Err(_) => false,
        }
    }

    #[test]
    fn drop_kills_the_whole_group() {
        let guard = ChildGuard::spawn(sh("sleep 60 & echo $!; wait")).unwrap();
        let mut guard = guard;
        let grandchild: u32 =
            match guard.wait_for_stdout(Duration::from_secs(5), |l| l.parse().ok()) {
                StdoutWait::Found(pid) => pid,
                _ => panic!("no pid printed"),
            };
        let pid = guard.id();
        drop(guard);
        assert!(!alive(pid), "child survived its guard");
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(grandchild) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(grandchild), "grandchild survived its group");
    }

    #[test]
    fn timeouts_and_exits_are_reported() {
        let mut guard = ChildGuard::spawn(sh("sleep 30")).unwrap();
        assert_eq!(guard.wait_timeout(Duration::from_millis(50)), None);
        assert_eq!(guard.kill(), Exit::Signal(libc::SIGKILL));
        let (exit, out, err) =
            run_with_timeout(sh("echo out; echo err >&2; exit 3"), Duration::from_secs(5))
                .unwrap()
                .unwrap();
        assert_eq!(
            (exit, out.as_str(), err.as_str()),
            (Exit::Code(3), "out\n", "err\n")
        );
    }

    #[test]
    fn waiting_for_stdout_sees_an_early_exit() {
        let mut guard = ChildGuard::spawn(sh("echo nope; exit 4")).unwrap();
        match guard.wait_for_stdout(Duration::from_secs(5), |l| {
            l.strip_prefix("yes").map(str::to_owned)
        }) {
            StdoutWait::Exited(exit) => assert_eq!(exit, Exit::Code(4)),
            _ => panic!("expected an exit"),
        }
    }
}
