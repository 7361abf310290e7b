//! Tokens of NMODL. Comments (`:` and `?` to the end of a line, `COMMENT ... ENDCOMMENT`) and the
//! rest of a `TITLE` line are dropped here; `VERBATIM ... ENDVERBATIM` becomes one token so that the
//! parser can refuse it with its line.

use super::{err_at, NResult};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Num(f64),
    /// Punctuation and operators: `{ } ( ) [ ] , ' ~ + - * / ^ < > = ! <-> -> << <= >= == != && ||`.
    P(&'static str),
    Verbatim,
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

const PUNCT: &[&str] = &[
    "<->", "->", "<<", "<=", ">=", "==", "!=", "&&", "||", "{", "}", "(", ")", "[", "]", ",", "'",
    "~", "+", "-", "*", "/", "^", "<", ">", "=", "!", "%", "@",
];

pub fn lex(file: &str, src: &str) -> NResult<Vec<Token>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b':' || c == b'?' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &src[s..i];
            match word {
                "COMMENT" => {
                    let start = line;
                    match find_word(src, i, "ENDCOMMENT") {
                        Some(end) => {
                            line += src[i..end].matches('\n').count();
                            i = end + "ENDCOMMENT".len();
                        }
                        None => return Err(err_at(file, start, "COMMENT without ENDCOMMENT")),
                    }
                }
                "VERBATIM" => {
                    let start = line;
                    match find_word(src, i, "ENDVERBATIM") {
                        Some(end) => {
                            line += src[i..end].matches('\n').count();
                            i = end + "ENDVERBATIM".len();
                            out.push(Token {
                                tok: Tok::Verbatim,
                                line: start,
                            });
                        }
                        None => return Err(err_at(file, start, "VERBATIM without ENDVERBATIM")),
                    }
                }
                "TITLE" => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => out.push(Token {
                    tok: Tok::Ident(word.to_string()),
                    line,
                }),
            }
        } else if c.is_ascii_digit() || (c == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit())
        {
            let s = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text = &src[s..i];
            let v: f64 = text
                .parse()
                .map_err(|_| err_at(file, line, format!("malformed number '{text}'")))?;
            out.push(Token {
                tok: Tok::Num(v),
                line,
            });
        } else {
            let rest = &src[i..];
            match PUNCT.iter().find(|p| rest.starts_with(**p)) {
                Some(p) => {
                    out.push(Token {
                        tok: Tok::P(p),
                        line,
                    });
                    i += p.len();
                }
                None => {
                    let ch = rest.chars().next().unwrap_or('?');
                    return Err(err_at(file, line, format!("unexpected character '{ch}'")));
                }
            }
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        line,
    });
    Ok(out)
}

/// Byte offset of the next occurrence of `word` as a whole word at or after `from`.
fn find_word(src: &str, from: usize, word: &str) -> Option<usize> {
    let mut at = from;
    while let Some(k) = src[at..].find(word) {
        let pos = at + k;
        let before_ok = pos == 0 || !is_word_byte(src.as_bytes()[pos - 1]);
        let end = pos + word.len();
        let after_ok = end >= src.len() || !is_word_byte(src.as_bytes()[end]);
        if before_ok && after_ok {
            return Some(pos);
        }
        at = pos + word.len();
    }
    None
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
