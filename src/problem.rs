//! Problems in files a person wrote (library documents, config): always named by file and line,
//! collected rather than stopping at the first, so `lantern check` can list them all.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One thing wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as given to the loader.
    pub file: PathBuf,
    /// 1-based line, when the problem has a place.
    pub line: Option<usize>,
    /// What is wrong, in words a moderator can act on.
    pub message: String,
}

impl Problem {
    /// A problem at a line (`None` for the file as a whole).
    pub fn new(file: &Path, line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    /// A TOML parse or schema error, placed at its line. `first_line` is the file line the TOML
    /// text starts on (front matter starts after a `+++` line).
    pub fn from_toml(
        file: &Path,
        source: &str,
        first_line: usize,
        err: &toml::de::Error,
    ) -> Problem {
        let line = err
            .span()
            .map(|span| first_line + line_of(source, span.start) - 1);
        Problem::new(file, line, err.message().trim().to_string())
    }

    /// A problem at a byte span of a TOML text (for checks made after parsing).
    pub fn at_span(
        file: &Path,
        source: &str,
        first_line: usize,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Problem {
        Problem::new(
            file,
            Some(first_line + line_of(source, span.start) - 1),
            message,
        )
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Problems found in one or more files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Reads a file as UTF-8, naming the line of the first invalid byte when it is not.
pub fn read_utf8(path: &Path) -> Result<String, Problem> {
    let bytes =
        std::fs::read(path).map_err(|e| Problem::new(path, None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Problem::new(
            path,
            Some(line),
            format!("not UTF-8 text (invalid byte at offset {valid}); save the file as UTF-8"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_newlines_before_offset() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
        assert_eq!(line_of("a", 99), 1);
    }

    #[test]
    fn toml_errors_are_placed_on_their_line() {
        let src = "a = 1\nb = \n";
        let err = toml::from_str::<toml::Table>(src).unwrap_err();
        let p = Problem::from_toml(Path::new("x.toml"), src, 1, &err);
        assert_eq!(p.line, Some(2), "{p}");
        let p = Problem::from_toml(Path::new("x.md"), src, 5, &err);
        assert_eq!(p.line, Some(6));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.md");
        std::fs::write(&path, b"ok\nstill ok\nbad \xff here\n").unwrap();
        let p = read_utf8(&path).unwrap_err();
        assert_eq!(p.line, Some(3));
        assert!(p.message.contains("UTF-8"));
    }
}
