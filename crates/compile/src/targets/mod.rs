//! The outputs workloads compile to.

pub mod kubernetes;
