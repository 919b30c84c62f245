//! What a benchmark run was asked for: `cargo bench --bench NAME [-- PART…]`.

/// The command line of a benchmark binary.
pub struct Args(Vec<String>);

impl Args {
    /// This process's arguments.
    pub fn get() -> Args {
        Args(std::env::args().skip(1).collect())
    }

    /// A real run (`cargo bench` passes `--bench`), not the single quick pass of
    /// `cargo test --benches`.
    pub fn full(&self) -> bool {
        self.0.iter().any(|a| a == "--bench")
    }

    /// Whether the part `name` was asked for (every part when none was named).
    pub fn wants(&self, name: &str) -> bool {
        let mut named = self.0.iter().filter(|a| !a.starts_with("--")).peekable();
        named.peek().is_none() || named.any(|a| a == name)
    }
}
