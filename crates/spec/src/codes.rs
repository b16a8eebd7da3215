//! Every diagnostic code, listed once, with what it means and how to fix it: what a user reads
//! when they look a code up (`docs/diagnostics.md` is generated from this list).
//!
//! Codes are `score::<area>::<what>` and never change meaning once published: they appear in
//! JSON output, GitHub annotations and users' scripts. Call sites write the code as a string
//! literal; `xtask/tests/diagnostics.rs` holds this list and the code together: a code used
//! in `crates/*/src` but not listed, a listed code nothing uses, an entry without a meaning or
//! a fix, and a stale `docs/diagnostics.md` each fail `cargo test`, naming the file and line.
//!
//! Where to add a code: in the [`Area`] of its middle part, sorted by its last part; then
//! regenerate the page with `cargo run -p xtask -- diagnostics --write`.

/// One diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// `score::<area>::<what>`, as diagnostics carry it.
    pub code: &'static str,
    /// What the problem is, in one line.
    pub meaning: &'static str,
    /// How to fix it, in one line.
    pub fix: &'static str,
}

/// The codes of one area (the middle part of a code), in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    /// The middle part of the codes: `schema` for `score::schema::type`.
    pub name: &'static str,
    /// What the area covers, in a few words.
    pub about: &'static str,
    /// Its codes, sorted by their last part.
    pub codes: &'static [Code],
}

/// The code listed as `code`, if any.
pub fn find(code: &str) -> Option<&'static Code> {
    all().find(|c| c.code == code)
}

/// Every listed code, area by area.
pub fn all() -> impl Iterator<Item = &'static Code> {
    AREAS.iter().flat_map(|a| a.codes.iter())
}

const fn code(code: &'static str, meaning: &'static str, fix: &'static str) -> Code {
    Code { code, meaning, fix }
}

/// Every area, in the order a file meets them: reading, validating, then compiling.
pub const AREAS: &[Area] = &[
    INPUT,
    YAML,
    OVERRIDE,
    DEPRECATED,
    UPGRADE,
    SCHEMA,
    PLACEHOLDER,
    IMAGE,
    BEFORE,
    ROUTE,
    RESOURCES,
    RESOURCE,
    WORKLOAD,
    PROVISIONER,
    SERVICE,
    SEED,
    SECRET,
    FILE,
    VOLUME,
    KUBERNETES,
    COMPOSE,
    BACKSTAGE,
];

const INPUT: Area = Area {
    name: "input",
    about: "reading a Score or provisioner file",
    codes: &[
        code(
            "score::input::empty",
            "The file is empty or holds only comments.",
            "Write a workload: at least `apiVersion`, `metadata.name` and `containers`.",
        ),
        code(
            "score::input::encoding",
            "The file is not UTF-8 text.",
            "Save it as UTF-8: Score and provisioner files are YAML or JSON text.",
        ),
        code(
            "score::input::limit",
            "The document passes a safety limit of the YAML reader (nesting depth, number of nodes, aliases).",
            "Simplify the document: a workload needs neither deep nesting nor many aliases.",
        ),
        code(
            "score::input::not-a-file",
            "The path is not a regular file (a FIFO, a device, a socket); it was not read.",
            "Name a regular file.",
        ),
        code(
            "score::input::outside-root",
            "A symbolic link leads to a file outside the walked directory (or the working directory); it was not read.",
            "Replace the link with the file, link inside the directory, or name the file by its real path.",
        ),
        code(
            "score::input::too-large",
            "The file is larger than an input may be.",
            "Check that it is the file you meant: a workload or a provisioner file is small.",
        ),
        code(
            "score::input::unreadable",
            "The file cannot be read (it does not exist, or permission is denied).",
            "Check the path and the file's permissions.",
        ),
    ],
};

const YAML: Area = Area {
    name: "yaml",
    about: "YAML syntax",
    codes: &[
        code(
            "score::yaml::duplicate-key",
            "A mapping names the same key twice (other tools silently keep the last one).",
            "Delete one of the two, or merge them.",
        ),
        code(
            "score::yaml::multiple-documents",
            "The file holds more than one YAML document (`---`).",
            "Put each workload in its own file.",
        ),
        code(
            "score::yaml::syntax",
            "The text is not valid YAML (or JSON), for example an unclosed quote or bad indentation.",
            "Fix the syntax at the place shown.",
        ),
    ],
};

const OVERRIDE: Area = Area {
    name: "override",
    about: "`--overrides-file` and `--override-property`",
    codes: &[
        code(
            "score::override::not-a-mapping",
            "An overrides file is not a mapping of fields.",
            "Write the fields to change nested as in the Score file, e.g. `containers: {web: {image: nginx:1.27}}`.",
        ),
        code(
            "score::override::path",
            "An override's path cannot be applied to the Score file (a missing list index, a key below a scalar).",
            "Check the path against the file: keys separated by `.`, numbers index lists, `-1` appends.",
        ),
    ],
};

const DEPRECATED: Area = Area {
    name: "deprecated",
    about: "old forms, rewritten with a warning",
    codes: &[
        code(
            "score::deprecated::content-list",
            "A file's `content` is a list of lines, a deprecated form.",
            "Write one string, e.g. a block string `content: |`.",
        ),
        code(
            "score::deprecated::list-form",
            "`files` or `volumes` is a list, a deprecated form.",
            "Write a map keyed by the target path.",
        ),
        code(
            "score::deprecated::read-only",
            "`read_only` is the deprecated spelling.",
            "Rename the key to `readOnly`.",
        ),
    ],
};

const UPGRADE: Area = Area {
    name: "upgrade",
    about: "deprecated forms that cannot be rewritten",
    codes: &[
        code(
            "score::upgrade::duplicate-target",
            "Two entries of a list-form `files` or `volumes` are mounted at the same path.",
            "Give each a target of its own, or remove one.",
        ),
        code(
            "score::upgrade::missing-target",
            "An entry of a list-form `files` or `volumes` has no `target`, so there is nowhere to mount it.",
            "Add `target: /path/in/container`, or write the map form keyed by target.",
        ),
    ],
};

const SCHEMA: Area = Area {
    name: "schema",
    about: "the Score v1b1 schema",
    codes: &[
        code(
            "score::schema::enum",
            "A value is not one of those the field allows.",
            "Write one of the values the message lists.",
        ),
        code(
            "score::schema::file-content",
            "A file has no content, or more than one of `content`, `binaryContent` and `source`.",
            "Give exactly one of `content`, `binaryContent` or `source`.",
        ),
        code(
            "score::schema::format",
            "A string does not have the form the field needs (a memory quantity, a path, …).",
            "Write it in the form the message and help describe.",
        ),
        code(
            "score::schema::invalid",
            "A value breaks a schema rule not covered by a more specific code.",
            "Compare the value with the Score specification for that field.",
        ),
        code(
            "score::schema::key-format",
            "A name (of the workload, a container, a resource, a port, an annotation) is not valid.",
            "Rename it as the message says: most names are 2 to 63 lower-case letters, digits and `-`.",
        ),
        code(
            "score::schema::no-containers",
            "The workload has no containers.",
            "Add one under `containers`, with at least an `image`.",
        ),
        code(
            "score::schema::probe-kind",
            "A probe has neither `httpGet` nor `exec`.",
            "Add an `httpGet` or an `exec` check, or remove the probe.",
        ),
        code(
            "score::schema::range",
            "A number is out of the field's range (a port outside 1 to 65535).",
            "Write a value in the range the message gives.",
        ),
        code(
            "score::schema::required",
            "A required field is missing.",
            "Add the field the message names.",
        ),
        code(
            "score::schema::target-in-map",
            "`target` is written inside the map form of `files` or `volumes`, where the key already is the target.",
            "Remove `target`, or change the key to the path you meant.",
        ),
        code(
            "score::schema::type",
            "A value has the wrong type (a number where a string is needed, a list for a mapping, no value).",
            "Write a value of the type named; quote numbers and `yes`/`no` meant as strings.",
        ),
        code(
            "score::schema::unknown-field",
            "A field Score does not know at this place (often a typo).",
            "Rename it to the field meant (the help suggests one), or remove it.",
        ),
    ],
};

const PLACEHOLDER: Area = Area {
    name: "placeholder",
    about: "`${…}` placeholders",
    codes: &[
        code(
            "score::placeholder::environment-key",
            "A `${resources.ENV.KEY}` of an `environment` resource names a key that is not a variable name.",
            "Use letters, digits and `_`, not starting with a digit.",
        ),
        code(
            "score::placeholder::missing-key",
            "A placeholder stops too early: `${metadata}`, `${resources}` or `${resources.NAME}` without an output.",
            "Name what to use, e.g. `${metadata.name}` or `${resources.db.host}`.",
        ),
        code(
            "score::placeholder::syntax",
            "A placeholder is malformed: `${}` names nothing, or a key is empty (`${a..b}`).",
            "Write `${metadata.KEY}` or `${resources.NAME.OUTPUT}`, or `$${…}` to keep the text as it is.",
        ),
        code(
            "score::placeholder::unknown-metadata",
            "A `${metadata.…}` placeholder names a key the workload's metadata does not have.",
            "Use a key that exists (the help suggests one), or add it to `metadata`.",
        ),
        code(
            "score::placeholder::unknown-resource",
            "A `${resources.NAME…}` placeholder names a resource the workload does not declare.",
            "Declare the resource under `resources`, or use one of the declared names.",
        ),
        code(
            "score::placeholder::unknown-root",
            "A placeholder starts with something other than `metadata` or `resources`.",
            "Write `${metadata.…}` or `${resources.…}`, or escape it as `$${…}` to keep the text.",
        ),
        code(
            "score::placeholder::unresolved",
            "When compiling, a placeholder has no value: the resource has no such output.",
            "Use one of the outputs the help lists.",
        ),
    ],
};

const IMAGE: Area = Area {
    name: "image",
    about: "container images",
    codes: &[
        code(
            "score::image::missing",
            "A container has `image: \".\"` (given when compiling) but no image was given.",
            "Pass the image with `--image`, or write the image reference in the Score file.",
        ),
        code(
            "score::image::placeholder",
            "`image` holds a `${…}`, which is never substituted: the image is kept as written.",
            "Write the whole image reference, or `image: \".\"` and pass it with `--image`.",
        ),
    ],
};

const BEFORE: Area = Area {
    name: "before",
    about: "container start-up order (`before`)",
    codes: &[
        code(
            "score::before::cycle",
            "Containers start before each other in a cycle.",
            "Remove one of the `before` entries of the cycle.",
        ),
        code(
            "score::before::healthy-without-probe",
            "A container is to start once another is healthy, but that one has no probe to tell when it is.",
            "Add a readinessProbe to the container waited for, or use `ready: started`.",
        ),
        code(
            "score::before::self",
            "A container is to start before itself.",
            "Remove the entry: `before` names the other containers that start after this one.",
        ),
        code(
            "score::before::unknown-container",
            "`before` names a container the workload does not have.",
            "Use the name of one of the workload's containers.",
        ),
    ],
};

const ROUTE: Area = Area {
    name: "route",
    about: "`route` resource params",
    codes: &[
        code(
            "score::route::host",
            "A route's `params.host` is not a host name the Gateway API accepts (for example it holds `_`).",
            "Write a DNS host name: letters, digits, `-` and `.`.",
        ),
        code(
            "score::route::params",
            "A route lacks `params.host` or `params.port`.",
            "Add them, e.g. `params: {host: ${resources.dns.host}, port: 80, path: /}`.",
        ),
        code(
            "score::route::path",
            "A route's `params.path` is not a valid path prefix or regular expression.",
            "Write a path starting with `/`, or a valid regular expression.",
        ),
        code(
            "score::route::port",
            "A route's `params.port` is not a service port of the workload.",
            "Use the name or number of one of the workload's `service.ports`.",
        ),
    ],
};

const RESOURCES: Area = Area {
    name: "resources",
    about: "resources of one workload",
    codes: &[code(
        "score::resources::params-cycle",
        "Resource params refer to each other in a cycle, so none can be provisioned first.",
        "Remove one of the `${resources.…}` references of the cycle.",
    )],
};

const RESOURCE: Area = Area {
    name: "resource",
    about: "resources across workloads",
    codes: &[
        code(
            "score::resource::conflict",
            "A shared resource (same type, class and id) is declared with different params or metadata in two workloads.",
            "Make the declarations agree, or give them different ids.",
        ),
        code(
            "score::resource::unsupported",
            "No provisioner provides a resource of this type and class for the target.",
            "Use a type the help lists, or pass a provisioner file with `--provisioners`.",
        ),
    ],
};

const WORKLOAD: Area = Area {
    name: "workload",
    about: "workloads compiled together",
    codes: &[code(
        "score::workload::duplicate",
        "Two workloads compiled together have the same name.",
        "Rename one: workloads compiled together need distinct names.",
    )],
};

const PROVISIONER: Area = Area {
    name: "provisioner",
    about: "provisioner files and provisioning",
    codes: &[
        code(
            "score::provisioner::command-failed",
            "A command provisioner's program could not be started, failed, or timed out.",
            "Fix the program (its stderr is shown), or raise `--provisioner-timeout`.",
        ),
        code(
            "score::provisioner::command-output",
            "A command provisioner's program printed an answer that is not valid.",
            "Make it print the JSON the protocol expects (unknown fields are errors).",
        ),
        code(
            "score::provisioner::failed",
            "A provisioner template failed, on purpose (`fail(…)`) or through an error in the template.",
            "Read the message: change the resource's params, or fix the template.",
        ),
        code(
            "score::provisioner::go-template",
            "A template is a Go template (score-compose or score-k8s syntax); templates here are minijinja.",
            "Rewrite it in minijinja; the help gives the equivalent of the first Go construct.",
        ),
        code(
            "score::provisioner::invalid",
            "A provisioner file does not match the provisioner schema (an unknown field, a wrong type, a bad `cmd://` uri).",
            "Fix the entry as the message says.",
        ),
        code(
            "score::provisioner::missing-output",
            "A provisioner did not produce an output it promises in `expected_outputs`.",
            "Make its `outputs` template produce every promised output.",
        ),
        code(
            "score::provisioner::peer-field",
            "A provisioner file uses a field only score-compose knows (`files`, `directories`, `info_logs`, `models`).",
            "Do what the help says instead (files and directories become template outputs).",
        ),
        code(
            "score::provisioner::template-limit",
            "A template render would make more text or a longer list than the limit.",
            "Make the template produce less: 8 MiB of text, 100,000 list items.",
        ),
        code(
            "score::provisioner::template-syntax",
            "A template does not compile, or uses a construct that cannot be bounded (`include`, `{% filter %}`, `{% call %}`).",
            "Fix the template at the place shown.",
        ),
        code(
            "score::provisioner::unknown-param",
            "A resource has a param its provisioner does not list in `supported_params` (a warning for built-ins).",
            "Remove it, or rename it to a supported param (the help suggests one).",
        ),
        code(
            "score::provisioner::warning",
            "A provisioner template warned about the resource (`warn(…)`).",
            "Read the message and help the template gave.",
        ),
        code(
            "score::provisioner::wrong-target",
            "A provisioner renders the other target's output (`manifests` on Compose, `services` on Kubernetes).",
            "Give the provisioner file for this target, or fix the provisioner's `uri` match.",
        ),
    ],
};

const SERVICE: Area = Area {
    name: "service",
    about: "`service` and `service-port` resources",
    codes: &[
        code(
            "score::service::external",
            "A resource names a workload that is not compiled along; it is assumed deployed elsewhere (an error with `--deny-external-workloads`).",
            "Compile that workload along, or allow external workloads.",
        ),
        code(
            "score::service::port",
            "A `service-port` resource names a port the workload does not have, or a named port of a workload not compiled along.",
            "Use one of the workload's service ports; for a workload not compiled along, a number.",
        ),
        code(
            "score::service::workload",
            "A resource's `params.workload` is not a workload name.",
            "Write the name of the workload to reach.",
        ),
    ],
};

const SEED: Area = Area {
    name: "seed",
    about: "generated values",
    codes: &[code(
        "score::seed::public",
        "Generated passwords come from the public default seed: anyone with the Score files can compute them.",
        "Pass a seed of your own with `--seed`, `--seed-file`, `SCORE_SEED` or `SCORE_SEED_FILE`.",
    )],
};

const SECRET: Area = Area {
    name: "secret",
    about: "secret outputs",
    codes: &[
        code(
            "score::secret::misplaced",
            "A secret output would be written in plain text (Kubernetes), or a secret or environment reference where Compose cannot resolve it.",
            "Use secret outputs only in container variables and files.",
        ),
        code(
            "score::secret::mixed-file",
            "A file's content mixes text with a secret output.",
            "Make the file exactly one secret output, or text without secrets; split it in two files.",
        ),
        code(
            "score::secret::unsupported",
            "A Compose variable uses a secret reference, which Compose cannot resolve.",
            "Use a provisioner for the compose target that outputs the value itself.",
        ),
    ],
};

const FILE: Area = Area {
    name: "file",
    about: "`files` of containers",
    codes: &[
        code(
            "score::file::base64",
            "A file's `binaryContent` is not valid base64.",
            "Write standard base64 (A-Z, a-z, 0-9, `+`, `/`, `=` padding).",
        ),
        code(
            "score::file::encoding",
            "A file's content is not UTF-8 text, so placeholders in it cannot be expanded.",
            "Set `noExpand: true` to copy it as it is, or give it as `binaryContent`.",
        ),
        code(
            "score::file::unreadable",
            "A file's `source` cannot be read (missing, too large, not a regular file, or outside the Score file's directory).",
            "Give a path relative to the Score file's directory, to a regular file inside it.",
        ),
    ],
};

const VOLUME: Area = Area {
    name: "volume",
    about: "`volumes` of containers",
    codes: &[code(
        "score::volume::source",
        "A volume's `source` does not name a resource, or names one whose outputs cannot be mounted.",
        "Mount a resource of a volume type, such as `type: volume`, as `${resources.NAME}`.",
    )],
};

const KUBERNETES: Area = Area {
    name: "kubernetes",
    about: "the Kubernetes target",
    codes: &[
        code(
            "score::kubernetes::annotation-unsupported",
            "A known `k8s.score.dev/` annotation is written where nothing reads it.",
            "Move it where it is read, or remove it.",
        ),
        code(
            "score::kubernetes::claim-on-deployment",
            "A volume asks for a persistent volume claim per replica, which only a StatefulSet provides.",
            "Add `k8s.score.dev/kind: StatefulSet`, or use a volume provisioner that outputs a `source`.",
        ),
        code(
            "score::kubernetes::duplicate-object",
            "Two workloads or resources produce an object of the same kind, namespace and name with different content.",
            "Rename one of them: object names are unique per kind and namespace.",
        ),
        code(
            "score::kubernetes::env-name",
            "A variable name cannot name an environment variable in Kubernetes.",
            "Use letters, digits, `_`, `-` and `.`, not starting with a digit.",
        ),
        code(
            "score::kubernetes::environment-secret",
            "An `environment` resource's `params.secret` is not a valid Secret name.",
            "Name the Secret with a lower-case DNS name, or leave `secret` out for the default.",
        ),
        code(
            "score::kubernetes::kind",
            "`k8s.score.dev/kind` is not a workload kind this compiler produces.",
            "Use `Deployment` (the default) or `StatefulSet`.",
        ),
        code(
            "score::kubernetes::name",
            "The workload's name cannot make a valid Service or StatefulSet name (too long, starts with a digit).",
            "Shorten the workload name, or set `k8s.score.dev/service-name`.",
        ),
        code(
            "score::kubernetes::object-too-large",
            "A ConfigMap or Secret is over the API server's 1 MiB limit; Kubernetes will refuse it.",
            "Make the largest file smaller, or mount it from a volume.",
        ),
        code(
            "score::kubernetes::port-name",
            "Two service ports have the same name once lower-cased, as Kubernetes port names are.",
            "Rename one of them.",
        ),
        code(
            "score::kubernetes::probe-handlers",
            "A probe has both `httpGet` and `exec`; a Kubernetes probe has one handler, so `exec` is used.",
            "Keep only the handler you want.",
        ),
        code(
            "score::kubernetes::probe-on-init",
            "A container that runs to completion (an init container) has a probe, which Kubernetes does not allow.",
            "Remove the probe, or make its `before` entries `ready: started` or `healthy`.",
        ),
        code(
            "score::kubernetes::unknown-annotation",
            "An unknown `k8s.score.dev/` annotation (often a typo).",
            "Rename it to a known annotation (the help suggests one), or remove it.",
        ),
    ],
};

const COMPOSE: Area = Area {
    name: "compose",
    about: "the Compose target",
    codes: &[
        code(
            "score::compose::annotation",
            "A `compose.score.dev/` annotation has a value that is not valid (a host port that is not a number).",
            "Write a port from 1 to 65535 as a string, e.g. `\"15432\"`.",
        ),
        code(
            "score::compose::annotation-unsupported",
            "A `compose.score.dev/` annotation is written where nothing reads it (not read by the resource's provisioner, or a resource key on a workload).",
            "Move it where it is read, or remove it (the help says which).",
        ),
        code(
            "score::compose::before-healthy",
            "A container waits for another to be healthy, but that one has no exec probe for a Compose healthcheck.",
            "Give it a readinessProbe with `exec`, or use `ready: started`.",
        ),
        code(
            "score::compose::binary-file",
            "A file's content is not UTF-8 text, which a Compose config cannot hold inline.",
            "Mount binary files from a volume resource instead.",
        ),
        code(
            "score::compose::build",
            "`--build` names a container no workload has, or one several workloads have.",
            "Name an existing container, as `WORKLOAD.CONTAINER` when several have it.",
        ),
        code(
            "score::compose::env-file",
            "The file given with `--env-file` is not an env file (a line that is not `KEY=value`, an unclosed quote).",
            "Name an env file, or a file that does not exist yet.",
        ),
        code(
            "score::compose::file-reference",
            "A file's content uses a secret reference, which a Compose config cannot resolve.",
            "Use a provisioner for the compose target that outputs the value itself.",
        ),
        code(
            "score::compose::http-probe",
            "Compose cannot run an httpGet probe, so the container gets no healthcheck from it.",
            "Add an exec probe, e.g. `[\"wget\", \"-q\", \"--spider\", \"http://localhost:PORT/PATH\"]`.",
        ),
        code(
            "score::compose::port-clash",
            "Two services are published on the same host port.",
            "Publish each on a host port of its own (`--publish`, `--route-port`).",
        ),
        code(
            "score::compose::publish",
            "`--publish` names a workload that is not compiled.",
            "Name one of the workloads compiled.",
        ),
        code(
            "score::compose::resource-minimum",
            "A CPU or memory value is below the minimum Docker accepts; Compose gets the minimum.",
            "Raise the value in the Score file to silence the warning.",
        ),
        code(
            "score::compose::service-name",
            "Two containers, or a workload and a provisioner, would make the same Compose service.",
            "Rename one of the containers or workloads.",
        ),
        code(
            "score::compose::service-port",
            "A service port cannot be reached in Compose: another port's target port is the same number.",
            "Use distinct numbers for `port` and the other ports' `targetPort`.",
        ),
        code(
            "score::compose::tmpfs-path",
            "A volume mounts a sub-path of a tmpfs, which has none.",
            "Remove `path`.",
        ),
        code(
            "score::compose::unknown-annotation",
            "An unknown `compose.score.dev/` annotation (often a typo).",
            "Rename it to a known annotation (the help suggests one), or remove it.",
        ),
    ],
};

const BACKSTAGE: Area = Area {
    name: "backstage",
    about: "the Backstage target",
    codes: &[
        code(
            "score::backstage::annotation",
            "A `backstage.score.dev/` annotation has a value Backstage does not accept.",
            "Write a value as the help describes (entity references, names, tags).",
        ),
        code(
            "score::backstage::option",
            "A Backstage option given on the command line is not valid.",
            "Write a value as the message describes.",
        ),
        code(
            "score::backstage::unknown-annotation",
            "An unknown `backstage.score.dev/` annotation (often a typo).",
            "Rename it to a known annotation (the help suggests one), or remove it.",
        ),
        code(
            "score::backstage::workload-reference",
            "A `service` or `service-port` resource's `params.workload` is not an entity name (or holds a placeholder), so the catalog cannot link to it.",
            "Write the workload's name itself.",
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_found_with_its_meaning_and_fix() {
        let code = find("score::resources::params-cycle").unwrap();
        assert!(code.meaning.contains("cycle"), "{code:?}");
        assert!(code.fix.starts_with("Remove"), "{code:?}");
        // The compiler's own name for that problem is gone: one code per problem.
        assert_eq!(find("score::resource::cycle"), None);
        assert_eq!(find("score::schema"), None);
        assert_eq!(
            all().count(),
            AREAS.iter().map(|a| a.codes.len()).sum::<usize>()
        );
    }
}
