//! Outages as an operator reads them: a dependency that goes away is logged once when
//! requests start being refused (ERROR, with the cause) and once when it answers again
//! (with how long it lasted and how many requests it refused), with at most one WARN
//! reminder per [`REMINDER_EVERY`] in between. Each refusal is counted in
//! `dependency_refusals_total{dependency}` instead of being logged: answering thousands of
//! fast 503s must not write thousands of identical lines exactly when the logs matter.
//!
//! The end is noticed by probing the dependency (the readiness probes) every
//! [`PROBE_EVERY`] while it is out; a dependency with no probe (SMTP, used by jobs only)
//! ends its outage at the next success reported with [`Outages::restored`].

use domain::health::DependencyProbe;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub const REMINDER_EVERY: Duration = Duration::from_secs(10);
pub const PROBE_EVERY: Duration = Duration::from_millis(250);

/// Attached to a `503` answer by the error type (`ApiError`): what refused it, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub dependency: &'static str,
    pub cause: String,
}

struct Open {
    since: Instant,
    refused: u64,
    reminded: Instant,
}

pub struct Outages {
    probes: HashMap<&'static str, Arc<dyn DependencyProbe>>,
    open: Mutex<HashMap<&'static str, Open>>,
}

impl Outages {
    pub fn new(probes: &[Arc<dyn DependencyProbe>]) -> Self {
        Self {
            probes: probes.iter().map(|p| (p.name(), p.clone())).collect(),
            open: Mutex::new(HashMap::new()),
        }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One request (or job) refused because `dependency` is away.
    pub fn refused(self: &Arc<Self>, dependency: &'static str, cause: &str) {
        metrics::counter!("dependency_refusals_total", "dependency" => dependency).increment(1);
        let now = Instant::now();
        let mut open = self.open();
        if let Some(outage) = open.get_mut(dependency) {
            outage.refused += 1;
            if now.duration_since(outage.reminded) >= REMINDER_EVERY {
                outage.reminded = now;
                let (lasted, refused) = (now.duration_since(outage.since), outage.refused);
                drop(open);
                tracing::warn!(
                    dependency,
                    refused,
                    "{dependency} still unavailable after {:.1} s; {refused} refused so far",
                    lasted.as_secs_f64()
                );
            }
            return;
        }
        open.insert(
            dependency,
            Open {
                since: now,
                refused: 1,
                reminded: now,
            },
        );
        drop(open);
        metrics::gauge!("dependency_up", "dependency" => dependency).set(0.0);
        tracing::error!(
            dependency,
            "{dependency} unavailable: {cause}; answering 503 to what needs it until it is back"
        );
        if let Some(probe) = self.probes.get(dependency).cloned() {
            let outages = self.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(PROBE_EVERY).await;
                    if probe.probe().await.ok {
                        outages.restored(dependency);
                        break;
                    }
                }
            });
        }
    }

    /// `dependency` answers again: ends its outage, if one was open.
    pub fn restored(&self, dependency: &'static str) {
        let Some(outage) = self.open().remove(dependency) else {
            return;
        };
        metrics::gauge!("dependency_up", "dependency" => dependency).set(1.0);
        tracing::warn!(
            dependency,
            refused = outage.refused,
            lasted_s = outage.since.elapsed().as_secs_f64(),
            "{dependency} available again after {:.1} s; {} refused meanwhile",
            outage.since.elapsed().as_secs_f64(),
            outage.refused
        );
    }

    /// Whether an outage of `dependency` is open (for tests and the worker).
    pub fn is_open(&self, dependency: &str) -> bool {
        self.open().contains_key(dependency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::health::{MockDependencyProbe, ProbeResult};
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn an_outage_opens_once_and_closes_when_its_probe_answers() {
        let up = Arc::new(AtomicBool::new(false));
        let mut probe = MockDependencyProbe::new();
        probe.expect_name().return_const("database");
        let answer = up.clone();
        probe.expect_probe().returning(move || ProbeResult {
            ok: answer.load(Ordering::SeqCst),
            latency: Duration::ZERO,
        });
        let probes: Vec<Arc<dyn DependencyProbe>> = vec![Arc::new(probe)];
        let outages = Arc::new(Outages::new(&probes));
        for _ in 0..100 {
            outages.refused("database", "connection refused");
        }
        assert!(outages.is_open("database"));
        assert_eq!(outages.open()["database"].refused, 100);
        up.store(true, Ordering::SeqCst);
        for _ in 0..40 {
            if !outages.is_open("database") {
                break;
            }
            tokio::time::sleep(PROBE_EVERY / 2).await;
        }
        assert!(!outages.is_open("database"), "closed by its probe");
    }

    #[test]
    fn a_dependency_without_a_probe_closes_on_a_reported_success() {
        let outages = Arc::new(Outages::new(&[]));
        // No runtime needed: nothing to probe, so nothing is spawned.
        outages.refused("smtp", "connection refused");
        outages.refused("smtp", "connection refused");
        assert!(outages.is_open("smtp"));
        outages.restored("smtp");
        assert!(!outages.is_open("smtp"));
        outages.restored("smtp");
        assert!(!outages.is_open("smtp"));
    }
}
