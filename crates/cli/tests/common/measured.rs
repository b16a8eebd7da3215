//! Running `score` and measuring that one child: its peak resident memory and the CPU time it
//! used, from `wait4`. CPU time, not wall-clock time: the machine running the tests may be
//! busy, the work the child does is not. A hang guard stops a child that never ends.
//!
//! Included with `#[path = "common/measured.rs"] mod measured;` by the tests that need it.

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// Far above any real run; only there so that a hang fails the test instead of the CI job.
pub const HANG_GUARD: Duration = Duration::from_secs(120);

/// The bounds every hostile input must stay within.
pub const MAX_CPU: Duration = Duration::from_secs(1);
pub const MAX_RSS_BYTES: u64 = 200 * 1024 * 1024;

/// What a child used.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size, in bytes.
    pub max_rss: u64,
}

impl Usage {
    /// Panics unless the child stayed within [`MAX_CPU`] and [`MAX_RSS_BYTES`].
    pub fn assert_bounded(&self, what: &str) {
        assert!(
            self.cpu < MAX_CPU,
            "{what}: used {:?} of CPU time, more than {MAX_CPU:?}",
            self.cpu
        );
        assert!(
            self.max_rss < MAX_RSS_BYTES,
            "{what}: peak RSS {} MiB, more than {} MiB",
            self.max_rss >> 20,
            MAX_RSS_BYTES >> 20
        );
    }
}

/// Spawns `command`, waits for it (killing it after [`HANG_GUARD`]) and returns its exit code
/// (-1 when a signal ended it) and what it used.
#[expect(
    clippy::zombie_processes,
    reason = "`wait4` reaps the child; `Child::wait` would lose its resource usage"
)]
pub fn wait_measured(command: &mut Command, what: &str) -> (i32, Usage) {
    let mut child = command.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `rusage` is plain data that `wait4` fills in; zeroed is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child, not yet reaped; the pointers are to live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
        if reaped == pid {
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            };
            return (code, usage_of(&usage));
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {HANG_GUARD:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn usage_of(usage: &libc::rusage) -> Usage {
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    // Linux reports kilobytes, macOS bytes.
    let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
    Usage {
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        max_rss: usage.ru_maxrss as u64 * unit,
    }
}
