//! Rewrites deprecated forms into the current ones, with a warning for each that says what to
//! write instead.
//!
//! Runs before schema validation, as the reference implementations do, so that a file using
//! the old forms is validated in the form the compiler will see. Spans are kept: a diagnostic
//! about an upgraded file still points at the line the user wrote.
//!
//! - `files` / `volumes` as a list of items with `target` → a map keyed by target;
//! - file `content` as a list of lines → one string joined with `\n`;
//! - volume `read_only` → `readOnly`.

use crate::diagnostics::Diagnostic;
use crate::node::{Entry, Node, Value, pointer_join};

pub(crate) fn upgrade(document: &mut Node) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let Value::Map(root) = &mut document.value else {
        return diagnostics;
    };
    let Some(containers) = root.iter_mut().find(|e| e.key == "containers") else {
        return diagnostics;
    };
    let Value::Map(containers) = &mut containers.value.value else {
        return diagnostics;
    };
    for container in containers.iter_mut() {
        let base = pointer_join("/containers", &container.key);
        let Value::Map(fields) = &mut container.value.value else {
            continue;
        };
        for field in fields.iter_mut() {
            let is_files = field.key == "files";
            if !is_files && field.key != "volumes" {
                continue;
            }
            let pointer = pointer_join(&base, &field.key);
            if matches!(field.value.value, Value::Seq(_)) {
                list_to_map(field, &pointer, &mut diagnostics);
            }
            if let Value::Map(entries) = &mut field.value.value {
                for entry in entries.iter_mut() {
                    let item_pointer = pointer_join(&pointer, &entry.key);
                    if is_files {
                        join_content_lines(&mut entry.value, &item_pointer, &mut diagnostics);
                    } else {
                        rename_read_only(&mut entry.value, &item_pointer, &mut diagnostics);
                    }
                }
            }
        }
    }
    diagnostics
}

/// `files: [{target: /a, ...}]` → `files: {/a: {...}}`.
fn list_to_map(field: &mut Entry, pointer: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Value::Seq(items) = std::mem::replace(&mut field.value.value, Value::Null) else {
        return;
    };
    let noun = if field.key == "files" {
        "file"
    } else {
        "volume"
    };
    diagnostics.push(
        Diagnostic::warning(
            "score::deprecated::list-form",
            format!(
                "`{}` as a list is deprecated; write a map keyed by target path",
                field.key
            ),
        )
        .at(pointer, field.key_span)
        .with_label("list form")
        .with_help(format!(
            "write\n  {}:\n    /target/path:\n      ...the other fields, without `target`",
            field.key
        )),
    );
    let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
    for (index, mut item) in items.into_iter().enumerate() {
        let item_pointer = format!("{pointer}/{index}");
        let target = match &mut item.value {
            Value::Map(fields) => fields
                .iter()
                .position(|e| e.key == "target")
                .map(|i| fields.remove(i)),
            _ => None,
        };
        let Some(target) = target else {
            // Not a map at all is the schema's to report; a map without `target` is ours.
            if matches!(item.value, Value::Map(_)) {
                diagnostics.push(
                    Diagnostic::error(
                        "score::upgrade::missing-target",
                        format!("this {noun} in the list form has no `target`, so there is nowhere to mount it"),
                    )
                    .at(item_pointer, item.span)
                    .with_label("no `target`")
                    .with_help(format!("add `target: /path/in/container` to this {noun}")),
                );
            }
            continue;
        };
        let Some(path) = target.value.as_str().map(str::to_owned) else {
            continue; // a non-string target is reported by the schema
        };
        if let Some(first) = entries.iter().find(|e| e.key == path) {
            diagnostics.push(
                Diagnostic::error(
                    "score::upgrade::duplicate-target",
                    format!("two {noun}s are mounted at `{path}`"),
                )
                .at(format!("{item_pointer}/target"), target.value.span)
                .with_label("second mount here")
                .with_related(first.key_span, "first mount here")
                .with_help(format!("give each {noun} its own target path")),
            );
            continue;
        }
        entries.push(Entry {
            key: path,
            key_span: target.value.span,
            value: item,
        });
    }
    field.value.value = Value::Map(entries);
}

/// `content: [line, line]` → `content: "line\nline"`.
fn join_content_lines(file: &mut Node, pointer: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Value::Map(fields) = &mut file.value else {
        return;
    };
    let Some(content) = fields.iter_mut().find(|e| e.key == "content") else {
        return;
    };
    let Value::Seq(lines) = &content.value.value else {
        return;
    };
    let Some(lines) = lines
        .iter()
        .map(|l| l.as_str())
        .collect::<Option<Vec<&str>>>()
    else {
        return; // non-string lines: leave it for the schema to reject
    };
    let joined = lines.join("\n");
    diagnostics.push(
        Diagnostic::warning(
            "score::deprecated::content-list",
            "file `content` as a list of lines is deprecated; write one string",
        )
        .at(pointer_join(pointer, "content"), content.key_span)
        .with_label("list of lines")
        .with_help("use a block string:\n  content: |\n    first line\n    second line"),
    );
    content.value.value = Value::String(joined);
}

/// `read_only` → `readOnly`.
fn rename_read_only(volume: &mut Node, pointer: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Value::Map(fields) = &mut volume.value else {
        return;
    };
    if fields.iter().any(|e| e.key == "readOnly") {
        return; // both given: the schema reports `read_only` as unknown
    }
    if let Some(entry) = fields.iter_mut().find(|e| e.key == "read_only") {
        diagnostics.push(
            Diagnostic::warning(
                "score::deprecated::read-only",
                "`read_only` is deprecated; write `readOnly`",
            )
            .at(pointer_join(pointer, "read_only"), entry.key_span)
            .with_label("old spelling")
            .with_help("rename the key to `readOnly`"),
        );
        entry.key = "readOnly".to_owned();
    }
}
