//! The shape of the test suite itself: cargo makes a test binary of every `tests/*.rs` and
//! `tests/*/main.rs`, and compiles a file in `tests/integration/` only if `main.rs` declares it. Both
//! fail silently (a new binary that relinks everything, a file that never runs), so they are checked.

use std::path::Path;

/// The test targets: this binary and the differential tester. (The fuzzing property tests and the
/// tests of internals are unit tests of the library: `src/**/tests_*.rs`.)
const TARGETS: [&str; 2] = ["differential/main.rs", "integration/main.rs"];

fn tests_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn names_in(dir: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn only_the_known_test_targets_exist() {
    let tests = tests_dir();
    let mut found = Vec::new();
    for name in names_in(&tests) {
        if name.ends_with(".rs") {
            found.push(name);
        } else if tests.join(&name).join("main.rs").is_file() {
            found.push(format!("{name}/main.rs"));
        }
    }
    assert_eq!(
        found, TARGETS,
        "a new integration test file belongs in tests/integration/ as a module of its main.rs"
    );
}

#[test]
fn every_file_here_is_a_module() {
    let dir = tests_dir().join("integration");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("read main.rs");
    for name in names_in(&dir) {
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if module != "main" {
            assert!(
                main.lines().any(|l| l == format!("mod {module};")),
                "tests/integration/{name} is not declared in main.rs, so it never runs"
            );
        }
    }
}
