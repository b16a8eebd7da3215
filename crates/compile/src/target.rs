//! The one notion of "a target", shared by the library, the provisioners and the CLI, and the
//! registry that lists the targets.
//!
//! [`targets!`] is invoked once, in the crate root, with one entry per target; it defines
//! [`crate::Target`] (a target with its options: what to compile *with*) and
//! [`crate::TargetKind`] (only its name: what the CLI offers, what provisioners are told), and
//! dispatches [`crate::compile`] to the target's [`Converter`]. Adding a target is a module
//! under `targets/` whose options implement [`Converter`], plus its entry there.

use std::fmt;
use std::str::FromStr;

use score_spec::{Diagnostics, Workload};

use crate::{Compiled, TargetKind};

/// A target: converts workloads into its documents. Provisioning targets run the shared
/// steps through [`crate::pipeline::prepare`] first.
pub(crate) trait Converter {
    /// Compiles `workloads` together.
    fn convert(&self, workloads: &[Workload]) -> Result<Compiled, Diagnostics>;
}

/// Defines `Target` and `TargetKind` from one entry per target, and makes each target's module
/// public at the crate root: `Variant(module::Options) = "name" [aliases] "description",
/// "default output file";` (`Options<'a>` when the options borrow).
macro_rules! targets {
    ($(
        $(#[$doc:meta])*
        $variant:ident($module:ident::$options:ident $(<$lt:lifetime>)?)
            = $name:literal [$($alias:literal),*] $description:literal, $output:literal;
    )*) => {
        $(pub use targets::$module;)*

        /// What to compile to, with that target's options.
        #[non_exhaustive]
        pub enum Target<'a> {
            $($(#[$doc])* $variant($module::$options$(<$lt>)?),)*
        }

        impl Target<'_> {
            /// Which target this is.
            pub fn kind(&self) -> TargetKind {
                match self {
                    $(Target::$variant(_) => TargetKind::$variant,)*
                }
            }

            fn converter(&self) -> &dyn target::Converter {
                match self {
                    $(Target::$variant(options) => options,)*
                }
            }
        }

        /// Which output a compile produces: a target's name, without its options.
        ///
        /// ```
        /// use score_compile::TargetKind;
        ///
        /// let kind: TargetKind = "k8s".parse().unwrap();
        /// assert_eq!(kind, TargetKind::Kubernetes);
        /// assert_eq!(kind.to_string(), "kubernetes");
        /// assert_eq!(TargetKind::ALL.len(), 3);
        /// ```
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum TargetKind {
            #[default]
            $($(#[$doc])* $variant,)*
        }

        impl TargetKind {
            /// Every target, in the order the CLI lists them.
            pub const ALL: &'static [TargetKind] = &[$(TargetKind::$variant),*];

            /// The name (`kubernetes`, `compose`, `backstage`), as `--target` takes it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(TargetKind::$variant => $name,)*
                }
            }

            /// Other names `--target` accepts.
            pub fn aliases(self) -> &'static [&'static str] {
                match self {
                    $(TargetKind::$variant => &[$($alias),*],)*
                }
            }

            /// What it produces, in one line, for help texts.
            pub fn description(self) -> &'static str {
                match self {
                    $(TargetKind::$variant => $description,)*
                }
            }

            /// The file its output is conventionally written to (`score generate` writes it
            /// when no `-o` is given).
            pub fn default_output(self) -> &'static str {
                match self {
                    $(TargetKind::$variant => $output,)*
                }
            }
        }
    };
}
pub(crate) use targets;

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TargetKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        TargetKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s || k.aliases().contains(&s))
            .ok_or_else(|| {
                let names: Vec<&str> = TargetKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "`{s}` is not a target; the targets are {}",
                    names.join(", ")
                )
            })
    }
}
