//! CSV cells for every export the app writes: quoted when needed, and neutralised when a
//! spreadsheet would read them as a formula (OWASP: a leading `= + - @`, tab or CR gets `'`).
/// One cell of user-supplied text.
pub fn field(s: &str) -> String {
    let neutral = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(field("Rice"), "Rice");
        assert_eq!(field("Nails, 1 kg"), "\"Nails, 1 kg\"");
        assert_eq!(field("12\" pipe"), "\"12\"\" pipe\"");
        assert_eq!(field("=1+2"), "'=1+2");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("\rx"), "\"'\rx\"");
        assert_eq!(
            field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
    }
}
