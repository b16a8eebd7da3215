//! What `score_spec::parse_workload` says about images that are missing, empty or hold a
//! placeholder: real Score files leave `image:` for CI to fill in, and `${…}` in an image is
//! never substituted (by us or by the reference implementations).

use score_spec::{Diagnostic, Severity};

fn with_image(image: &str) -> String {
    format!(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: {image}\n"
    )
}

/// Every diagnostic of the file, errors or warnings.
fn diagnostics(image: &str) -> Vec<Diagnostic> {
    match score_spec::parse_workload(&with_image(image), "score.yaml") {
        Ok(parsed) => parsed.warnings.0,
        Err(diagnostics) => diagnostics.0,
    }
}

fn only(image: &str) -> Diagnostic {
    let mut all = diagnostics(image);
    assert_eq!(all.len(), 1, "{image}: {all:#?}");
    all.remove(0)
}

/// The help points at `image: "."` with `--image`, and never at quoting `null`.
fn assert_points_at_dot_and_flag(d: &Diagnostic) {
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.contains("image: \".\""), "{help}");
    assert!(help.contains("--image"), "{help}");
    assert!(help.contains("given when compiling"), "{help}");
    assert!(!help.contains("\"null\""), "{help}");
}

#[test]
fn an_image_left_blank_is_an_error_pointing_at_dot_and_the_flag() {
    for blank in ["   # set by CI", "null", "~"] {
        let d = only(blank);
        assert_eq!(d.severity, Severity::Error, "{blank}");
        assert_eq!(d.code, "score::schema::type", "{blank}");
        assert_eq!(d.pointer, "/containers/web/image", "{blank}");
        assert_eq!(d.span.unwrap().line, 6, "{blank}");
        assert_eq!(d.message, "`containers.web.image` has no value", "{blank}");
        assert_points_at_dot_and_flag(&d);
    }
}

#[test]
fn an_empty_image_is_an_error_pointing_at_dot_and_the_flag() {
    let d = only("\"\"");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.code, "score::schema::format");
    assert_eq!(d.pointer, "/containers/web/image");
    let span = d.span.unwrap();
    assert_eq!((span.line, span.column), (6, 12));
    assert!(d.message.contains("is empty"), "{}", d.message);
    assert_points_at_dot_and_flag(&d);
}

#[test]
fn a_placeholder_in_an_image_is_a_warning_at_the_placeholder() {
    let parsed = score_spec::parse_workload(&with_image("\"${IMAGE}\""), "score.yaml")
        .expect("a warning does not make the file invalid");
    assert_eq!(*parsed.workload.containers["web"].image, "${IMAGE}");
    let d = only("\"${IMAGE}\"");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.code, "score::image::placeholder");
    assert_eq!(d.pointer, "/containers/web/image");
    let span = d.span.unwrap();
    assert_eq!(
        (span.line, span.column, span.len),
        (6, 13, "${IMAGE}".len())
    );
    assert!(d.message.contains("`${IMAGE}`"), "{}", d.message);
    assert_points_at_dot_and_flag(&d);
}

#[test]
fn a_placeholder_inside_an_image_reference_is_a_warning_at_the_placeholder() {
    let image = "\"repo/${metadata.name}:1\"";
    assert!(score_spec::parse_workload(&with_image(image), "score.yaml").is_ok());
    let d = only(image);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.code, "score::image::placeholder");
    let span = d.span.unwrap();
    // Underlines `${metadata.name}`, after `image: "repo/`.
    assert_eq!(
        (span.line, span.column, span.len),
        (6, 18, "${metadata.name}".len())
    );
    assert!(
        d.message.contains("`repo/${metadata.name}:1`"),
        "{}",
        d.message
    );
    assert_points_at_dot_and_flag(&d);
}

#[test]
fn ordinary_images_and_dot_get_no_diagnostic() {
    for image in [
        "nginx:1.27",
        "\".\"",
        "ghcr.io/acme/web@sha256:abc",
        "\"$HOME\"",
    ] {
        assert!(diagnostics(image).is_empty(), "{image}");
    }
}
