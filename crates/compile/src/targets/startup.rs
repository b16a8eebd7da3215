//! The start-up order of a workload's containers, read from `before`.
//!
//! `containers.A.before.B.ready: X` means **A starts first**, and B starts once A has reached
//! X: `started`, `healthy` (A passes its probe) or `complete` (A exited successfully). This is
//! how score-go's types, score-compose (which turns it into `depends_on` on B) and score-k8s's
//! proposal #291 (A becomes an init container) read it.
//!
//! Both converters take the roles and the order from here, so the two targets cannot disagree
//! about which container runs first:
//!
//! - a container with no `before` entry is a **main** container;
//! - one that must complete before another (any entry `complete`) runs to completion first:
//!   an **init** container;
//! - one that must only be started or healthy before others keeps running beside them: a
//!   **sidecar**.
//!
//! Validation (`score_spec`) has already rejected unknown names, self-references and cycles;
//! this module still never panics on such input (it falls back to declaration order).

use score_spec::Workload;
use score_spec::model::Readiness;

/// How a container takes part in the workload's start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Runs for the workload's lifetime; nothing waits for it.
    Main,
    /// Runs to completion before the containers it is `before` (some entry is `complete`).
    Init,
    /// Started (and, for `healthy`, passing its probe) before the containers it is `before`,
    /// then keeps running beside them.
    Sidecar {
        /// Some container waits for it to be healthy, not just started.
        healthy: bool,
    },
}

impl Role {
    /// Runs for the workload's lifetime (main containers and sidecars).
    pub fn is_long_running(self) -> bool {
        self != Role::Init
    }
}

/// The roles of a workload's containers and what each one waits for.
pub(crate) struct Startup<'w> {
    names: Vec<&'w str>,
    roles: Vec<Role>,
    /// Per container: the containers it waits for (those that are `before` it), with the state
    /// they must reach, in declaration order of the waited-for container.
    waits: Vec<Vec<(usize, Readiness)>>,
    /// The network owner (see [`Startup::network_owner`]), decided once.
    owner: usize,
    /// Per container: the owner waits for it, directly or not.
    before_owner: Vec<bool>,
}

impl<'w> Startup<'w> {
    /// Reads `before` from every container of `workload`.
    pub fn of(workload: &'w Workload) -> Self {
        let containers = &workload.containers;
        let names: Vec<&str> = containers.keys().map(String::as_str).collect();
        let mut roles = vec![Role::Main; names.len()];
        let mut waits: Vec<Vec<(usize, Readiness)>> = vec![Vec::new(); names.len()];
        for (first, container) in containers.values().enumerate() {
            let mut strongest: Option<Readiness> = None;
            for (other, before) in &container.before {
                let Some(then) = containers.get_index_of(other) else {
                    continue;
                };
                if then == first {
                    continue;
                }
                waits[then].push((first, *before.ready));
                strongest = Some(strongest.map_or(*before.ready, |s| stronger(s, *before.ready)));
            }
            roles[first] = match strongest {
                None => Role::Main,
                Some(Readiness::Complete) => Role::Init,
                Some(r) => Role::Sidecar {
                    healthy: r == Readiness::Healthy,
                },
            };
        }
        for list in &mut waits {
            list.sort_by_key(|(i, _)| *i);
        }
        let mut startup = Startup {
            before_owner: vec![false; names.len()],
            names,
            roles,
            waits,
            owner: 0,
        };
        startup.owner = startup.choose_owner();
        startup.before_owner = startup.reached_from(startup.owner);
        startup
    }

    /// Per container: `from` waits for it, directly or through others.
    fn reached_from(&self, from: usize) -> Vec<bool> {
        let mut seen = vec![false; self.names.len()];
        let mut stack = vec![from];
        while let Some(i) = stack.pop() {
            for &(j, _) in &self.waits[i] {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        seen
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    /// The containers `name` waits for, with the state each must reach first.
    pub fn waits_for(&self, name: &str) -> impl Iterator<Item = (&'w str, Readiness)> + '_ {
        self.index(name)
            .into_iter()
            .flat_map(|i| self.waits[i].iter())
            .map(|&(j, r)| (self.names[j], r))
    }

    /// Every container in an order in which each starts after all it waits for: init
    /// containers and sidecars first (in a dependency order, ties by declaration order), then
    /// the main containers in declaration order. This is the order of a Kubernetes pod, whose
    /// init containers start one after the other.
    pub fn order(&self) -> Vec<(&'w str, Role)> {
        let edges: Vec<Vec<usize>> = self
            .waits
            .iter()
            .map(|w| w.iter().map(|(j, _)| *j).collect())
            .collect();
        let order = score_spec::graph::dependency_order(&edges)
            .unwrap_or_else(|| (0..self.names.len()).collect());
        let (mut first, main): (Vec<usize>, Vec<usize>) = order
            .into_iter()
            .partition(|&i| self.roles[i] != Role::Main);
        let mut main = main;
        main.sort_unstable();
        first.extend(main);
        first
            .into_iter()
            .map(|i| (self.names[i], self.roles[i]))
            .collect()
    }

    /// Everything `name` waits for, directly or through others, in declaration order.
    #[cfg(test)]
    pub fn waits_for_transitively(&self, name: &str) -> Vec<&'w str> {
        let Some(i) = self.index(name) else {
            return Vec::new();
        };
        let seen = self.reached_from(i);
        (0..self.names.len())
            .filter(|&j| seen[j])
            .map(|j| self.names[j])
            .collect()
    }

    /// The container whose network the others join where a target has no pod (Compose): one
    /// that runs for the workload's lifetime, preferring one that waits for nothing, else one
    /// that waits for no other long-running container (only for init containers, which have
    /// finished by the time it starts). The first such in declaration order. Joining its
    /// network makes a container start after it, so it must not wait for any joiner: see
    /// [`Startup::joins_network`].
    pub fn network_owner(&self) -> &'w str {
        self.names.get(self.owner).copied().unwrap_or_default()
    }

    fn choose_owner(&self) -> usize {
        let long_running = |i: usize| self.roles[i].is_long_running();
        let candidates = || (0..self.names.len()).filter(|&i| long_running(i));
        let waits_for_no_long_running = |i: usize| {
            let reached = self.reached_from(i);
            (0..self.names.len()).all(|j| !reached[j] || !long_running(j))
        };
        candidates()
            .find(|&i| self.waits[i].is_empty())
            .or_else(|| candidates().find(|&i| waits_for_no_long_running(i)))
            .or_else(|| candidates().next())
            .unwrap_or(0)
    }

    /// True when `name` can join the network owner's network: it is not the owner, and the
    /// owner does not wait for it (directly or not), so joining (which makes it start after
    /// the owner) creates no cycle.
    pub fn joins_network(&self, name: &str) -> bool {
        self.index(name)
            .is_some_and(|i| i != self.owner && !self.before_owner[i])
    }
}

/// The stronger of two readiness conditions: `complete` implies `healthy` implies `started`.
fn stronger(a: Readiness, b: Readiness) -> Readiness {
    let rank = |r| match r {
        Readiness::Started => 0,
        Readiness::Healthy => 1,
        Readiness::Complete => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(containers: &str) -> Workload {
        let text =
            format!("apiVersion: score.dev/v1b1\nmetadata:\n  name: wl\ncontainers:\n{containers}");
        match score_spec::parse_workload(&text, "w.yaml") {
            Ok(p) => p.workload,
            Err(d) => panic!("{d}"),
        }
    }

    fn order(s: &Startup) -> Vec<String> {
        s.order()
            .into_iter()
            .map(|(n, r)| format!("{n}:{r:?}"))
            .collect()
    }

    #[test]
    fn the_container_that_declares_before_runs_first() {
        let w = workload(
            "  migrate:\n    image: m\n    before:\n      web:\n        ready: complete\n  web:\n    image: w\n",
        );
        let s = Startup::of(&w);
        assert_eq!(order(&s), ["migrate:Init", "web:Main"]);
        assert_eq!(
            s.waits_for("web").collect::<Vec<_>>(),
            [("migrate", Readiness::Complete)]
        );
        assert_eq!(s.waits_for("migrate").count(), 0);
        assert_eq!(s.network_owner(), "web");
        assert!(!s.joins_network("migrate"));
    }

    #[test]
    fn chains_come_out_in_dependency_order_whatever_the_declaration_order() {
        let w = workload(
            "  main:\n    image: n\n  two:\n    image: b\n    before:\n      main:\n        ready: started\n  one:\n    image: b\n    before:\n      two:\n        ready: started\n",
        );
        let s = Startup::of(&w);
        let healthy = false;
        assert_eq!(
            order(&s),
            [
                format!("one:{:?}", Role::Sidecar { healthy }),
                format!("two:{:?}", Role::Sidecar { healthy }),
                "main:Main".to_owned()
            ]
        );
        assert_eq!(s.waits_for_transitively("main"), ["two", "one"]);
        // `one` waits for nothing and runs throughout: the others join its network.
        assert_eq!(s.network_owner(), "one");
        assert!(s.joins_network("two") && s.joins_network("main"));
    }

    #[test]
    fn complete_is_stronger_than_started_and_the_owner_never_waits_for_a_joiner() {
        let w = workload(
            "  init:\n    image: b\n    before:\n      main:\n        ready: complete\n      side:\n        ready: started\n  side:\n    image: e\n    before:\n      main:\n        ready: started\n  main:\n    image: n\n",
        );
        let s = Startup::of(&w);
        assert!(order(&s).contains(&"init:Init".to_owned()));
        // `side` waits for `init` only: an init container, finished before it starts.
        assert_eq!(s.network_owner(), "side");
        assert!(s.joins_network("main"));
        assert!(!s.joins_network("init"));
    }
}
