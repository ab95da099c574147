//! The tree form: a heading per layer with its fields indented below.

use core::fmt::{self, Write};

use super::{Dissection, Field};

/// Indentation per tree level.
const INDENT: &str = "    ";

impl Dissection {
    /// Writes the dissection as an indented tree: each layer's heading at
    /// the margin, its fields one level in, flag bits and option details
    /// further in. A failed layer ends the tree with a `[Malformed …]` line.
    ///
    /// # Errors
    /// Only those of the writer.
    pub fn write_tree<W: Write>(&self, out: &mut W) -> fmt::Result {
        for p in &self.protocols {
            writeln!(out, "{}", p.summary)?;
            for f in &p.fields {
                write_field(out, f, 1)?;
            }
        }
        if let Some(e) = &self.error {
            writeln!(out, "[Malformed {} layer: {}]", e.layer, e.reason)?;
        }
        Ok(())
    }

    /// [`write_tree`](Dissection::write_tree) into a new string.
    #[must_use]
    pub fn tree(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_tree(&mut s);
        s
    }
}

fn write_field<W: Write>(out: &mut W, field: &Field, depth: usize) -> fmt::Result {
    for _ in 0..depth {
        out.write_str(INDENT)?;
    }
    writeln!(out, "{}", field.text)?;
    for child in &field.children {
        write_field(out, child, depth + 1)?;
    }
    Ok(())
}
