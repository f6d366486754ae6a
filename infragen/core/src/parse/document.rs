//! Editing the parsed document: field paths (`service[2].env."A.B"`) split
//! into segments, and a key removed by its path so that deserialization can
//! run again past a wrong type.
use toml::de::{DeTable, DeValue};

pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// `service[2].env."A.B"` → Key(service), Index(2), Key(env), Key(A.B).
pub(crate) fn split_path(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    let mut key = String::new();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if key.is_empty() && !quoted => quoted = true,
            '"' if quoted => quoted = false,
            '\\' if quoted => key.push(chars.next()?),
            '.' if !quoted => {
                if !key.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut key)));
                }
            }
            '[' if !quoted => {
                if !key.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut key)));
                }
                let mut n = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    n.push(c);
                }
                out.push(Seg::Index(n.parse().ok()?));
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Seg::Key(key));
    }
    Some(out)
}

fn table_at<'a, 'i>(table: &'a mut DeTable<'i>, segs: &[Seg]) -> Option<&'a mut DeTable<'i>> {
    match segs.split_first() {
        None => Some(table),
        Some((Seg::Key(k), rest)) => value_at(table.get_mut(k.as_str())?.get_mut(), rest),
        Some((Seg::Index(_), _)) => None,
    }
}

fn value_at<'a, 'i>(value: &'a mut DeValue<'i>, segs: &[Seg]) -> Option<&'a mut DeTable<'i>> {
    match (value, segs.split_first()) {
        (DeValue::Table(t), _) => table_at(t, segs),
        (DeValue::Array(a), Some((Seg::Index(i), rest))) => {
            value_at(a.get_mut(*i)?.get_mut(), rest)
        }
        _ => None,
    }
}

/// Remove the key holding `path` (an array element's whole array) from the document.
pub(crate) fn remove_key(root: &mut DeTable<'_>, path: &str) -> bool {
    let Some(mut segs) = split_path(path) else {
        return false;
    };
    while matches!(segs.last(), Some(Seg::Index(_))) {
        segs.pop();
    }
    let Some(Seg::Key(last)) = segs.pop() else {
        return false;
    };
    table_at(root, &segs).is_some_and(|t| t.remove(last.as_str()).is_some())
}
