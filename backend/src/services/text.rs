//! Rules about characters that more than one kind of input shares.

/// Characters that change how the text around them is shown without being seen themselves: a
/// right-to-left override can make a display name in a sign-in mail read as something else, and
/// a soft hyphen makes an address that looks like another one.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}
