//! Developer tasks for score-rs, run as `cargo run -p xtask -- TASK`. A library as well, so
//! that tests can run the tasks in process.

pub mod diagnostics;
pub mod function_length;
pub mod module_graph;
pub mod mutate;
pub mod mutations;
