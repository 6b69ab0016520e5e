//! "Did you mean ...?" for names the user typed: options, `-cmd` values, `-infotype` names, config
//! sections. The nearest candidates by edit distance (a swap of two neighbouring letters counts as one
//! edit), else the candidates the typed word abbreviates. Only names from our own tables or the
//! user's own config file are ever shown, so a hint cannot leak a value.

/// Edit distance with adjacent transpositions (optimal string alignment), on bytes folded to lower case.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<u8> = a.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<u8> = b.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// How many edits still count as a misspelling of a word this long: short words allow one, longer
/// ones a third of their length, at most three.
fn tolerance(word: &str) -> usize {
    (word.len() / 3).clamp(1, 3)
}

/// At most this many names are suggested.
const MAX_SHOWN: usize = 4;

/// The candidates nearest to `typed` (all at the smallest distance within the tolerance), else those
/// that `typed` is the start of (at least 3 letters typed), in the candidates' order.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let all: Vec<&str> = candidates.into_iter().collect();
    if all.contains(&typed) {
        return Vec::new();
    }
    let scored: Vec<(usize, &str)> = all
        .iter()
        .map(|c| (distance(typed, c), *c))
        .filter(|(d, c)| *d <= tolerance(typed).min(tolerance(c)) && *d > 0)
        .collect();
    if let Some(best) = scored.iter().map(|(d, _)| *d).min() {
        return scored
            .into_iter()
            .filter(|(d, _)| *d == best)
            .map(|(_, c)| c)
            .take(MAX_SHOWN)
            .collect();
    }
    if typed.len() >= 3 {
        let lower = typed.to_ascii_lowercase();
        return all
            .into_iter()
            .filter(|c| c.to_ascii_lowercase().starts_with(&lower) && c.len() > typed.len())
            .take(MAX_SHOWN)
            .collect();
    }
    Vec::new()
}

/// `did you mean X?` / `did you mean one of X, Y?`, each name shown through `show`; `None` when
/// nothing is near.
pub fn did_you_mean<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    show: impl Fn(&str) -> String,
) -> Option<String> {
    let near = nearest(typed, candidates);
    match near.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {}?", show(one))),
        many => Some(format!(
            "did you mean one of {}?",
            many.iter().map(|c| show(c)).collect::<Vec<_>>().join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ir", "ri"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("ABC", "abc"), 0);
    }

    #[test]
    fn nearest_names() {
        let cmds = ["ir", "cr", "kur", "p10cr", "rr", "genm"];
        assert_eq!(nearest("ri", cmds), ["ir", "rr"]);
        assert_eq!(nearest("iir", cmds), ["ir"]);
        assert_eq!(nearest("gen", cmds), ["genm"]);
        assert_eq!(nearest("xyzzy", cmds), Vec::<&str>::new());
        assert_eq!(
            nearest("ir", cmds),
            Vec::<&str>::new(),
            "an exact match is no suggestion"
        );
        assert_eq!(
            nearest("implicitconfirm", ["implicit_confirm", "disable_confirm"]),
            ["implicit_confirm"]
        );
        assert_eq!(nearest("tls_use", ["tls_used", "tls_host"]), ["tls_used"]);
        assert_eq!(
            nearest("verif", ["verify_name", "verify_depth", "ref"]),
            ["verify_name", "verify_depth"]
        );
    }

    #[test]
    fn sentence() {
        let show = |c: &str| format!("-{c}");
        assert_eq!(
            did_you_mean("serer", ["server", "secret"], show).as_deref(),
            Some("did you mean -server?")
        );
        assert_eq!(
            did_you_mean("kr", ["ir", "cr", "rr"], |c| c.to_string()).as_deref(),
            Some("did you mean one of ir, cr, rr?")
        );
        assert_eq!(did_you_mean("zzzzzz", ["ir"], show), None);
    }
}
