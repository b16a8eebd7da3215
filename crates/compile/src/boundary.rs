//! The API boundary, from outside: each of these does not compile, so internals stay internal
//! and options and outputs can gain fields without breaking callers. `tests/public_api.rs`
//! pins the other side (each public item compiles through its one path).
//!
//! The modules are private; a target is reached only as `score_compile::kubernetes` (and
//! `compose`, `backstage`):
//!
//! ```compile_fail
//! use score_compile::targets::kubernetes;
//! ```
//!
//! ```compile_fail
//! use score_compile::provisioners::Provisioner;
//! ```
//!
//! ```compile_fail
//! let _ = score_compile::yaml::to_yaml(&serde_json::Value::Null);
//! ```
//!
//! ```compile_fail
//! let _ = score_compile::seed::Seed::default();
//! ```
//!
//! ```compile_fail
//! let _ = score_compile::secrets::contains_secret("");
//! ```
//!
//! Inside a target module, only what a user of that target needs is public:
//!
//! ```compile_fail
//! let _ = score_compile::kubernetes::selector_labels("web");
//! ```
//!
//! ```compile_fail
//! let _ = score_compile::compose::ENVIRONMENT_PROVISIONER;
//! ```
//!
//! Options and outputs are `#[non_exhaustive]`: start from `Default` and set fields.
//!
//! ```compile_fail
//! let _ = score_compile::kubernetes::Options {
//!     namespace: None,
//!     ..Default::default()
//! };
//! ```
//!
//! ```compile_fail
//! let _ = score_compile::backstage::Options {
//!     owner: None,
//!     lifecycle: None,
//!     system: None,
//!     namespace: None,
//!     kubernetes_namespace: None,
//! };
//! ```
//!
//! ```compile_fail
//! let _ = score_compile::CommandOutput { stdout: Vec::new(), stderr: Vec::new() };
//! ```
//!
//! What those would be written as, which compiles:
//!
//! ```
//! let mut options = score_compile::kubernetes::Options::default();
//! options.namespace = None;
//! let mut catalog = score_compile::backstage::Options::default();
//! catalog.owner = None;
//! let _ = score_compile::CommandOutput::new(Vec::new(), Vec::new());
//! let _ = score_compile::Seed::default();
//! let _ = score_compile::kubernetes::is_dns1123_label("web");
//! ```
