//! Every pod the built-in Kubernetes provisioners emit is admitted by a namespace enforcing
//! Pod Security "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
//! and meets our own bar on top: no service account token, CPU and memory requests.
//!
//! `restricted_violations` is the checker: it takes any pod spec and lists what the profile
//! forbids. The negative tests break a compliant pod one field at a time, so the checker is
//! shown to fail where it must.

use score_compile::kubernetes::{self, Options, Output};
use score_compile::{Provisioner, TargetKind, builtin_provisioners};
use serde_json::{Value, json};

fn kubernetes_defaults() -> &'static [Provisioner] {
    builtin_provisioners(TargetKind::Kubernetes)
}

/// Volume types the "restricted" profile allows.
const ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Sysctls the "baseline" profile (hence "restricted") allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// SELinux types the "baseline" profile allows (empty: unset).
const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// What a pod spec (`spec.template.spec` of a workload object) does that Pod Security
/// "restricted" forbids, or that we require beyond it (`automountServiceAccountToken: false`,
/// CPU and memory requests on every container). Empty when the pod is admitted.
fn restricted_violations(pod: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let pod_sc = &pod["securityContext"];
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[key] == true {
            found.push(format!("{key} is true"));
        }
    }
    if pod["automountServiceAccountToken"] != false {
        found.push("automountServiceAccountToken is not false".to_owned());
    }
    check_volumes(pod, &mut found);
    check_context("pod", pod_sc, &mut found);
    for sysctl in pod_sc["sysctls"].as_array().into_iter().flatten() {
        let name = sysctl["name"].as_str().unwrap_or_default();
        if !SAFE_SYSCTLS.contains(&name) {
            found.push(format!("sysctl {name} is not a safe one"));
        }
    }
    let containers = all_containers(pod);
    if containers.is_empty() {
        found.push("the pod has no containers".to_owned());
    }
    let pod_non_root = pod_sc["runAsNonRoot"] == true;
    let pod_seccomp = seccomp_ok(&pod_sc["seccompProfile"]);
    for c in containers {
        let name = format!("container {}", c["name"].as_str().unwrap_or("?"));
        check_container(&name, c, &mut found);
        let sc = &c["securityContext"];
        if sc["runAsNonRoot"] == false || !(pod_non_root || sc["runAsNonRoot"] == true) {
            found.push(format!(
                "{name}: runAsNonRoot is not true (on the pod or the container)"
            ));
        }
        let own = &sc["seccompProfile"];
        if (own.is_null() && !pod_seccomp) || (!own.is_null() && !seccomp_ok(own)) {
            found.push(format!(
                "{name}: seccompProfile is not RuntimeDefault or Localhost"
            ));
        }
    }
    found
}

/// Containers, init containers and ephemeral containers.
fn all_containers(pod: &Value) -> Vec<&Value> {
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .flat_map(|key| pod[*key].as_array().into_iter().flatten())
        .collect()
}

fn check_volumes(pod: &Value, found: &mut Vec<String>) {
    for volume in pod["volumes"].as_array().into_iter().flatten() {
        let name = volume["name"].as_str().unwrap_or("?");
        let types: Vec<&String> = volume
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| *k != "name")
            .collect();
        for t in types {
            if !ALLOWED_VOLUMES.contains(&t.as_str()) {
                found.push(format!("volume {name} is of type {t}"));
            }
        }
    }
}

fn seccomp_ok(profile: &Value) -> bool {
    matches!(
        profile["type"].as_str(),
        Some("RuntimeDefault" | "Localhost")
    )
}

/// What the pod's and each container's securityContext must not hold.
fn check_context(whose: &str, sc: &Value, found: &mut Vec<String>) {
    if sc["runAsUser"] == 0 {
        found.push(format!("{whose}: runAsUser is 0"));
    }
    if sc["windowsOptions"]["hostProcess"] == true {
        found.push(format!("{whose}: windowsOptions.hostProcess is true"));
    }
    let selinux = &sc["seLinuxOptions"];
    if !SELINUX_TYPES.contains(&selinux["type"].as_str().unwrap_or_default())
        || !selinux["user"].is_null()
        || !selinux["role"].is_null()
    {
        found.push(format!("{whose}: seLinuxOptions are not allowed"));
    }
    if let Some(t) = sc["appArmorProfile"]["type"].as_str()
        && !matches!(t, "RuntimeDefault" | "Localhost")
    {
        found.push(format!("{whose}: appArmorProfile is {t}"));
    }
    if sc["seccompProfile"]["type"] == "Unconfined" {
        found.push(format!("{whose}: seccompProfile is Unconfined"));
    }
}

fn check_container(name: &str, c: &Value, found: &mut Vec<String>) {
    let sc = &c["securityContext"];
    check_context(name, sc, found);
    if sc["privileged"] == true {
        found.push(format!("{name}: privileged is true"));
    }
    if sc["allowPrivilegeEscalation"] != false {
        found.push(format!("{name}: allowPrivilegeEscalation is not false"));
    }
    if !sc["procMount"].is_null() && sc["procMount"] != "Default" {
        found.push(format!("{name}: procMount is not Default"));
    }
    let caps = &sc["capabilities"];
    let drops = caps["drop"].as_array().into_iter().flatten();
    if !drops.into_iter().any(|d| d == "ALL") {
        found.push(format!("{name}: capabilities.drop does not hold ALL"));
    }
    for add in caps["add"].as_array().into_iter().flatten() {
        if add != "NET_BIND_SERVICE" {
            found.push(format!("{name}: capabilities.add holds {add}"));
        }
    }
    for port in c["ports"].as_array().into_iter().flatten() {
        if port["hostPort"].as_u64().unwrap_or(0) != 0 {
            found.push(format!("{name}: hostPort {} is set", port["hostPort"]));
        }
    }
    for resource in ["cpu", "memory"] {
        if c["resources"]["requests"][resource].is_null() {
            found.push(format!("{name}: no {resource} request"));
        }
    }
}

/// The pod spec of an object that has one (workload kinds, Jobs, CronJobs, bare Pods).
fn pod_spec(object: &Value) -> Option<&Value> {
    match object["kind"].as_str()? {
        "Pod" => Some(&object["spec"]),
        "CronJob" => Some(&object["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        _ => object["spec"]["template"]["spec"]
            .is_object()
            .then(|| &object["spec"]["template"]["spec"]),
    }
}

/// Params a resource of `type` needs to provision in the workload below.
fn params_for(r#type: &str) -> &'static str {
    match r#type {
        "service" => "\n    params:\n      workload: web",
        "service-port" => "\n    params:\n      workload: web\n      port: http",
        "route" => "\n    params:\n      host: example.com\n      port: 80",
        _ => "",
    }
}

/// One workload declaring a resource for every built-in Kubernetes provisioner (each type and
/// class), two of the shared kinds (s3, kafka-topic) so that shared infrastructure is rendered
/// more than once.
fn everything() -> Output {
    let mut resources = String::new();
    for (i, p) in kubernetes_defaults().iter().enumerate() {
        resources.push_str(&format!("\n  r{i}:\n    type: {}", p.r#type));
        if let Some(class) = &p.class {
            resources.push_str(&format!("\n    class: {class}"));
        }
        resources.push_str(params_for(&p.r#type));
    }
    resources.push_str("\n  more-s3:\n    type: s3\n  more-topic:\n    type: kafka-topic\n");
    let text = format!(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\nservice:\n  ports:\n    http:\n      port: 80\n      targetPort: 8080\ncontainers:\n  web:\n    image: nginx\nresources:{resources}"
    );
    let workload = score_spec::parse_workload(&text, "web.yaml")
        .unwrap_or_else(|d| panic!("does not parse:\n{d}\n{text}"))
        .workload;
    kubernetes::compile(&[workload], &Options::default())
        .unwrap_or_else(|d| panic!("compile failed:\n{d}"))
}

#[test]
fn every_pod_of_the_built_in_provisioners_is_restricted() {
    let out = everything();
    let mut checked = Vec::new();
    for object in &out.manifests {
        // The workload's own Deployment is the workload target's business, not a built-in's.
        if object["metadata"]["name"] == "web" {
            continue;
        }
        let Some(pod) = pod_spec(object) else {
            continue;
        };
        let who = format!(
            "{} {}",
            object["kind"].as_str().unwrap_or("?"),
            object["metadata"]["name"].as_str().unwrap_or("?")
        );
        let violations = restricted_violations(pod);
        assert!(violations.is_empty(), "{who}:\n{violations:#?}");
        checked.push(who);
    }
    // Each data store's StatefulSet, the shared MinIO and Kafka once each, and one Job per
    // bucket, per topic and per mssql database: nothing escaped the check by not being found.
    let count = |kind: &str| checked.iter().filter(|c| c.contains(kind)).count();
    assert_eq!(count("StatefulSet"), 10, "{checked:#?}");
    assert_eq!(count("Job"), 5, "{checked:#?}");
    assert_eq!(checked.len(), 15, "{checked:#?}");
}

#[test]
fn built_in_pods_run_as_the_images_own_users() {
    // The uid each image is built for (see the comments in kubernetes.provisioners.yaml).
    let expected = [
        ("postgres:17-alpine", 70, 70),
        ("mysql:8.4", 999, 999),
        ("redis:7-alpine", 999, 1000),
        ("mongo:8", 999, 999),
        ("rabbitmq:4-alpine", 100, 101),
        (
            "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z",
            1000,
            1000,
        ),
        ("apache/kafka:3.9.0", 1000, 1000),
        (
            "mcr.microsoft.com/mssql/server:2022-CU19-ubuntu-22.04",
            10001,
            10001,
        ),
        (
            "docker.elastic.co/elasticsearch/elasticsearch:8.19.10",
            1000,
            1000,
        ),
    ];
    let out = everything();
    let mut seen = std::collections::BTreeSet::new();
    for object in &out.manifests {
        let Some(pod) = pod_spec(object).filter(|_| object["metadata"]["name"] != "web") else {
            continue;
        };
        let image = pod["containers"][0]["image"].as_str().unwrap();
        let (_, uid, gid) = expected
            .iter()
            .find(|(i, ..)| *i == image)
            .unwrap_or_else(|| panic!("no expected user for image {image}"));
        let sc = &pod["securityContext"];
        assert_eq!(sc["runAsUser"], *uid, "{image}");
        assert_eq!(sc["runAsGroup"], *gid, "{image}");
        // A pod with a volume claim lets that group write it.
        if object["spec"]["volumeClaimTemplates"].is_array() {
            assert_eq!(sc["fsGroup"], *gid, "{image}");
            assert_eq!(sc["fsGroupChangePolicy"], "OnRootMismatch", "{image}");
        }
        seen.insert(image);
    }
    assert_eq!(seen.len(), expected.len(), "{seen:?}");
}

#[test]
fn the_test_workload_covers_every_built_in_type() {
    // A new built-in type is covered by the checks above without editing them; this makes
    // sure it also provisions there (a failure means `params_for` needs an entry).
    let out = everything();
    for (i, p) in kubernetes_defaults().iter().enumerate() {
        let uid = format!(
            "{}.{}#web.r{i}",
            p.r#type,
            p.class.as_deref().unwrap_or("default")
        );
        assert!(
            out.resources
                .iter()
                .any(|r| r.uid == uid && r.provisioner.as_deref() == Some(p.uri.as_str())),
            "{uid} was not provisioned by {}",
            p.uri
        );
    }
}

/// A pod spec that is admitted: the negative tests below break it one field at a time.
fn compliant() -> Value {
    json!({
        "automountServiceAccountToken": false,
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "initContainers": [container("init")],
        "containers": [container("main")],
        "volumes": [
            {"name": "scratch", "emptyDir": {}},
            {"name": "config", "configMap": {"name": "c"}},
        ],
    })
}

fn container(name: &str) -> Value {
    json!({
        "name": name,
        "image": "busybox",
        "ports": [{"containerPort": 80}],
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
    })
}

/// Sets (or, with `None`, removes) the value at JSON pointer `at`, whose parent exists.
fn set(pod: &mut Value, at: &str, value: Option<Value>) {
    let (parent, key) = at.rsplit_once('/').unwrap();
    match (pod.pointer_mut(parent).unwrap(), value) {
        (Value::Object(o), Some(v)) => drop(o.insert(key.to_owned(), v)),
        (Value::Object(o), None) => drop(o.remove(key)),
        (Value::Array(a), Some(v)) => a[key.parse::<usize>().unwrap()] = v,
        (other, _) => panic!("cannot change {at} in {other}"),
    }
}

fn remove(value: &mut Value, key: &str) {
    value.as_object_mut().unwrap().remove(key);
}

#[test]
fn the_checker_accepts_compliant_pods() {
    assert_eq!(restricted_violations(&compliant()), Vec::<String>::new());
    // runAsNonRoot and seccomp on every container instead of the pod; NET_BIND_SERVICE added.
    let mut pod = compliant();
    remove(&mut pod["securityContext"], "runAsNonRoot");
    remove(&mut pod["securityContext"], "seccompProfile");
    for key in ["containers", "initContainers"] {
        let sc = &mut pod[key][0]["securityContext"];
        sc["runAsNonRoot"] = json!(true);
        sc["seccompProfile"] = json!({"type": "Localhost", "localhostProfile": "p.json"});
        sc["capabilities"]["add"] = json!(["NET_BIND_SERVICE"]);
    }
    assert_eq!(restricted_violations(&pod), Vec::<String>::new());
}

/// What a violation says, where the compliant pod is changed, and the new value (or removal).
type Breakage = (&'static str, String, Option<Value>);

/// Breakages of the pod's own fields.
fn pod_breakages() -> Vec<Breakage> {
    let host = json!({"name": "host", "hostPath": {"path": "/"}});
    let nfs = json!({"name": "share", "nfs": {"server": "s", "path": "/"}});
    let sysctls = json!([{"name": "kernel.msgmax", "value": "1"}]);
    vec![
        (
            "automountServiceAccountToken",
            "/automountServiceAccountToken".into(),
            None,
        ),
        ("hostNetwork", "/hostNetwork".into(), Some(json!(true))),
        ("hostPID", "/hostPID".into(), Some(json!(true))),
        ("hostIPC", "/hostIPC".into(), Some(json!(true))),
        (
            "volume host is of type hostPath",
            "/volumes/1".into(),
            Some(host),
        ),
        (
            "volume share is of type nfs",
            "/volumes/1".into(),
            Some(nfs),
        ),
        ("runAsNonRoot", "/securityContext/runAsNonRoot".into(), None),
        (
            "pod: runAsUser is 0",
            "/securityContext/runAsUser".into(),
            Some(json!(0)),
        ),
        (
            "seccompProfile",
            "/securityContext/seccompProfile".into(),
            None,
        ),
        (
            "seLinuxOptions",
            "/securityContext/seLinuxOptions".into(),
            Some(json!({"type": "spc_t"})),
        ),
        (
            "appArmorProfile is Unconfined",
            "/securityContext/appArmorProfile".into(),
            Some(json!({"type": "Unconfined"})),
        ),
        (
            "sysctl kernel.msgmax",
            "/securityContext/sysctls".into(),
            Some(sysctls),
        ),
        (
            "the pod has no containers",
            "/containers".into(),
            Some(json!([])),
        ),
    ]
}

/// Breakages of one container's fields (init containers count too).
fn container_breakages() -> Vec<Breakage> {
    let main = "/containers/0/securityContext";
    let init = "/initContainers/0/securityContext";
    vec![
        (
            "hostPort",
            "/containers/0/ports/0/hostPort".into(),
            Some(json!(8080)),
        ),
        (
            "privileged",
            format!("{main}/privileged"),
            Some(json!(true)),
        ),
        (
            "container main: allowPrivilegeEscalation",
            format!("{main}/allowPrivilegeEscalation"),
            None,
        ),
        (
            "container init: allowPrivilegeEscalation",
            format!("{init}/allowPrivilegeEscalation"),
            Some(json!(true)),
        ),
        (
            "container init: runAsNonRoot",
            format!("{init}/runAsNonRoot"),
            Some(json!(false)),
        ),
        (
            "container main: runAsUser is 0",
            format!("{main}/runAsUser"),
            Some(json!(0)),
        ),
        (
            "seccompProfile is Unconfined",
            format!("{main}/seccompProfile"),
            Some(json!({"type": "Unconfined"})),
        ),
        (
            "container main: capabilities.drop",
            format!("{main}/capabilities"),
            None,
        ),
        (
            "container init: capabilities.drop",
            format!("{init}/capabilities/drop"),
            Some(json!(["NET_RAW"])),
        ),
        (
            "capabilities.add holds \"SYS_ADMIN\"",
            format!("{main}/capabilities/add"),
            Some(json!(["SYS_ADMIN"])),
        ),
        (
            "procMount",
            format!("{main}/procMount"),
            Some(json!("Unmasked")),
        ),
        (
            "hostProcess",
            format!("{main}/windowsOptions"),
            Some(json!({"hostProcess": true})),
        ),
        (
            "container main: no cpu request",
            "/containers/0/resources/requests/cpu".into(),
            None,
        ),
        (
            "container init: no memory request",
            "/initContainers/0/resources/requests".into(),
            None,
        ),
    ]
}

#[test]
fn the_checker_rejects_a_pod_missing_each_field() {
    for (expected, at, value) in pod_breakages().into_iter().chain(container_breakages()) {
        let mut pod = compliant();
        if at == "/containers" {
            remove(&mut pod, "initContainers");
        }
        set(&mut pod, &at, value);
        let violations = restricted_violations(&pod);
        assert!(
            violations.iter().any(|v| v.contains(expected)),
            "changing {at} was not reported as `{expected}`: {violations:?}"
        );
    }
}
