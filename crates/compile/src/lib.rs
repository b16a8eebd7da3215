//! Compiles validated Score workloads into deployable outputs.
//!
//! This crate is where the resource graph, provisioners, placeholder substitution and the
//! Kubernetes, Compose and Backstage emitters will live. For now it only re-exports the
//! validated model it builds on, so that downstream code depends on one entry point.

pub use score_spec::Workload;
