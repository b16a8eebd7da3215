//! Compiles validated Score workloads into deployable outputs.
//!
//! The pipeline, for a set of workloads compiled together:
//!
//! 1. [`resources`]: every resource gets a uid; resources with the same uid are shared; the
//!    references between their params decide the provisioning order;
//! 2. [`provisioners`]: each resource is provisioned by the first matching provisioner
//!    (minijinja templates, or a program run through the caller's
//!    [`CommandRunner`](provisioners::CommandRunner)), giving its outputs and the manifests
//!    that back it;
//! 3. [`placeholders`]: `${…}` in variables, files and volumes are substituted from the
//!    workload's metadata and the resources' outputs; secret outputs stay references
//!    ([`secrets`]);
//! 4. a target ([`targets::kubernetes`], [`targets::compose`]) turns workloads and resource
//!    manifests into output.
//!
//! The Backstage target ([`targets::backstage`]) needs only step 1: a catalog describes
//! workloads and the resources they use, not how they are provisioned.
//!
//! ```
//! use score_compile::kubernetes;
//!
//! let text = "\
//! apiVersion: score.dev/v1b1
//! metadata:
//!   name: web
//! containers:
//!   web:
//!     image: nginx:1.27
//!     variables:
//!       DB_HOST: ${resources.db.host}
//!       DB_PASSWORD: ${resources.db.password}
//! resources:
//!   db:
//!     type: postgres
//! ";
//! let workload = score_spec::parse_workload(text, "score.yaml").unwrap().workload;
//! let output = kubernetes::compile(&[workload], &kubernetes::Options::default()).unwrap();
//! let yaml = output.to_yaml();
//! assert!(yaml.contains("kind: Deployment"));
//! // The password is a reference to the Secret the postgres provisioner created.
//! assert!(yaml.contains("secretKeyRef:"));
//! ```

pub mod files;
pub mod placeholders;
pub mod provisioners;
pub mod resources;
pub mod secrets;
pub mod seed;
pub mod targets;
pub mod yaml;

pub use files::{NoSourceFiles, SourceFiles};
pub use provisioners::{Provisioner, parse_provisioners};
pub use score_spec::Workload;
pub use seed::Seed;
pub use targets::{backstage, compose, kubernetes};
