//! The alert-quality figures in README.md and QUALITY.md are what `eval` prints today.

use super::*;

/// Every `<!-- quality: ARGS -->` … `<!-- /quality -->` block of `text`: its arguments, its
/// body and the line it starts on.
fn quality_blocks(text: &str) -> Vec<(String, String, usize)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(args) = line
            .strip_prefix("<!-- quality:")
            .and_then(|l| l.strip_suffix("-->"))
        {
            assert!(open.is_none(), "line {}: a block inside a block", i + 1);
            open = Some((args.trim().to_string(), String::new(), i + 1));
        } else if line == "<!-- /quality -->" {
            blocks.push(open.take().expect("a block closed that was not opened"));
        } else if let Some((_, body, _)) = open.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    assert!(open.is_none(), "a quality block is not closed");
    blocks
}

#[test]
fn the_quality_figures_are_what_eval_prints_today() {
    let mut checked = 0;
    for rel in ["README.md", "QUALITY.md"] {
        let text = std::fs::read_to_string(root().join(rel)).expect("readable");
        for (args, body, line) in quality_blocks(&text) {
            let out = Command::new(env!("CARGO_BIN_EXE_marketbot"))
                .current_dir(root())
                .args([
                    "eval",
                    "--rules",
                    "rules",
                    "--labels",
                    "corpus/headlines.jsonl",
                ])
                .args(["--format", "markdown"])
                .args(args.split_whitespace())
                .output()
                .expect("marketbot runs");
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{rel}:{line}: eval {args}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                body,
                String::from_utf8_lossy(&out.stdout),
                "{rel}:{line}: the figures for `eval {args}` are out of date: run scripts/quality"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} quality blocks found");
}
