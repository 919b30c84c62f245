//! The complete rule in docs/rules.md compiles with the shipped lexicons and passes its own
//! examples.

use std::path::Path;
use std::sync::Arc;

use marketbot::rules::{SourceFile, compile, read_dir};

#[test]
fn the_documented_rule_compiles_and_passes_its_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules_md = std::fs::read_to_string(root.join("docs/rules.md")).unwrap();
    let start = rules_md
        .find("A complete rule, every key explained:")
        .expect("the section exists");
    let block = &rules_md[start..];
    let open = block.find("```toml\n").unwrap() + "```toml\n".len();
    let close = block[open..].find("\n```").unwrap();
    let rule = &block[open..open + close];
    let (_, lexicons, problems) = read_dir(&root.join("rules"));
    assert!(problems.is_empty());
    let file = SourceFile {
        path: root.join("rules/readme-example.toml"),
        text: rule.to_string(),
    };
    let set = Arc::new(compile(vec![file], lexicons).unwrap_or_else(|p| panic!("{p:#?}")));
    let outcomes = marketbot::examples::run_all(&set);
    assert_eq!(outcomes.len(), 3);
    for o in outcomes {
        assert!(o.passed, "{:?}: {}", o.kind, o.detail);
    }
}
