//! URIs (RFC 3261 §19.1, §25.1; RFC 3966 tel) and the address header
//! fields built on them: From, To (§20.20, §20.39), Contact (§20.10),
//! Route and Record-Route (§20.34, §20.30), typed and borrowed.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::is_ws as is_lws;
use crate::header::host::{check_params, parse_host, Host, Params};
use crate::header::typed::Header;
use crate::text::chars::{is_token, uri_class};

/// A URI: for `sip:` and `sips:` every part of §19.1.1; for `tel:` the
/// number and parameters; for any other scheme (RFC 4475 "unksm2") the
/// scheme and the rest as sent.
///
/// ```
/// use sipline::{parse_uri, Host, ParserConfig};
///
/// let u = parse_uri(b"sips:alice:pw@[2001:db8::10]:5071;transport=tcp;lr?subject=hi")?;
/// assert_eq!((u.scheme, u.user, u.password), ("sips", Some("alice"), Some("pw")));
/// assert_eq!(u.host, Some(Host::Ipv6("2001:db8::10".parse().unwrap())));
/// assert_eq!(u.port, Some(5071));
/// assert_eq!(u.param("transport"), Some(Some("tcp")));
/// assert_eq!(u.param("lr"), Some(None));
/// assert_eq!(u.headers, Some("subject=hi"));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Uri<'a> {
    /// The scheme as sent (`sip`, `sips`, `tel`, …); compare case-insensitively.
    pub scheme: &'a str,
    /// The user part (SIP), or the number (tel), `%` escapes kept.
    pub user: Option<&'a str>,
    /// The password after the user (SIP; RFC 3261 advises against it).
    pub password: Option<&'a str>,
    /// The host (SIP URIs only).
    pub host: Option<Host<'a>>,
    /// The port, when sent (SIP URIs only).
    pub port: Option<u16>,
    /// The headers after `?` (SIP URIs only), as sent.
    pub headers: Option<&'a str>,
    params: &'a str,
    text: &'a str,
}

impl<'a> Uri<'a> {
    /// The whole URI as sent.
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// `true` for `sip:` and `sips:` URIs.
    pub fn is_sip(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("sip") || self.scheme.eq_ignore_ascii_case("sips")
    }

    /// The URI parameters (`;transport=tcp;lr`) in order.
    pub fn params(&self) -> Params<'a> {
        Params::new(self.params.as_bytes())
    }

    /// The first URI parameter named `name` (case-insensitive): `None` when
    /// absent, `Some(None)` when present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params().named(name)
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

/// Checks that every `%` in `b` starts two hex digits; the offset of the
/// first bad byte otherwise. `ok` says which other bytes may stand there.
fn check_chars(b: &[u8], class: u8) -> Result<(), usize> {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Err(i);
            }
            i += 3;
        } else if uri_class(c) & class != 0 {
            i += 1;
        } else {
            return Err(i);
        }
    }
    Ok(())
}

/// Parses a URI (no white space around it). Error offsets count from the
/// start of `b`.
///
/// SIP and SIPS URIs are checked byte by byte against §25.1 (user,
/// password, host as a name, IPv4 address or IPv6 reference, port,
/// parameters, headers); tel URIs for their characters; other schemes
/// need only a scheme and no white space or angle brackets.
pub fn parse_uri(b: &[u8]) -> Result<Uri<'_>, Error> {
    uri(b).map_err(|at| Error::at(ErrorKind::Uri, at))
}

pub(crate) fn uri(b: &[u8]) -> Result<Uri<'_>, usize> {
    uri_str(core::str::from_utf8(b).map_err(|e| e.valid_up_to())?)
}

/// [`uri`] on text already known to be UTF-8.
fn uri_str(text: &str) -> Result<Uri<'_>, usize> {
    let b = text.as_bytes();
    let colon = b.iter().position(|&c| c == b':').ok_or(b.len())?;
    let scheme = text.get(..colon).unwrap_or_default();
    let scheme_ok = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(0);
    }
    let rest = b.get(colon + 1..).unwrap_or_default();
    let base = colon + 1;
    let mut out = Uri {
        scheme,
        user: None,
        password: None,
        host: None,
        port: None,
        headers: None,
        params: "",
        text,
    };
    let sub = |s: usize, e: usize| text.get(s..e).unwrap_or_default();
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        // userinfo: up to the first '@' (user and password escape theirs).
        let mut i = 0;
        if let Some(at) = rest.iter().position(|&c| c == b'@') {
            let info = rest.get(..at).unwrap_or_default();
            let (user, pw) = match info.iter().position(|&c| c == b':') {
                Some(p) => (info.get(..p).unwrap_or_default(), Some(p)),
                None => (info, None),
            };
            if user.is_empty() {
                return Err(base);
            }
            check_chars(user, uri_class::USER).map_err(|e| base + e)?;
            out.user = Some(sub(base, base + user.len()));
            if let Some(p) = pw {
                let pw_b = info.get(p + 1..).unwrap_or_default();
                check_chars(pw_b, uri_class::PASSWORD).map_err(|e| base + p + 1 + e)?;
                out.password = Some(sub(base + p + 1, base + at));
            }
            i = at + 1;
        }
        // host
        let host_start = i;
        if rest.get(i) == Some(&b'[') {
            while rest.get(i).is_some_and(|&c| c != b']') {
                i += 1;
            }
            i += 1;
        } else {
            while rest
                .get(i)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
            {
                i += 1;
            }
        }
        out.host = Some(
            text.get(base + host_start..base + i.min(rest.len()))
                .and_then(parse_host)
                .ok_or(base + host_start)?,
        );
        if rest.get(i) == Some(&b':') {
            i += 1;
            let start = i;
            while rest.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let digits = rest.get(start..i).unwrap_or_default();
            let port = core::str::from_utf8(digits)
                .ok()
                .filter(|d| d.len() <= 5)
                .and_then(|d| d.parse::<u16>().ok())
                .ok_or(base + start)?;
            out.port = Some(port);
        }
        // parameters, then headers
        let params_start = i;
        while rest.get(i) == Some(&b';') {
            i += 1;
            let start = i;
            while rest.get(i).is_some_and(|&c| c != b';' && c != b'?') {
                i += 1;
            }
            let one = rest.get(start..i).unwrap_or_default();
            if one.is_empty() {
                return Err(base + start);
            }
            check_chars(one, uri_class::PARAM).map_err(|e| base + start + e)?;
        }
        out.params = sub(base + params_start, base + i);
        match rest.get(i) {
            None => {}
            Some(b'?') => {
                let h = rest.get(i + 1..).unwrap_or_default();
                if h.is_empty() {
                    return Err(base + i + 1);
                }
                check_chars(h, uri_class::HEADER).map_err(|e| base + i + 1 + e)?;
                out.headers = Some(sub(base + i + 1, b.len()));
            }
            Some(_) => return Err(base + i),
        }
        return Ok(out);
    }
    if scheme.eq_ignore_ascii_case("tel") {
        let end = rest.iter().position(|&c| c == b';').unwrap_or(rest.len());
        let number = rest.get(..end).unwrap_or_default();
        if number.is_empty() {
            return Err(base);
        }
        check_chars(number, uri_class::TEL).map_err(|e| base + e)?;
        let params = rest.get(end..).unwrap_or_default();
        let mut at = end;
        for p in params.split(|&c| c == b';').skip(1) {
            check_chars(p, uri_class::PARAM).map_err(|e| base + at + 1 + e)?;
            at += 1 + p.len();
        }
        out.user = Some(sub(base, base + end));
        out.params = sub(base + end, b.len());
        return Ok(out);
    }
    // Any other scheme: the opaque rest, with no white space, quotes or
    // angle brackets (those end or break a URI in a header).
    if rest.is_empty() {
        return Err(base);
    }
    check_chars(rest, uri_class::OPAQUE).map_err(|e| base + e)?;
    Ok(out)
}

/// An address: the value of From, To, Route, Record-Route, and one value
/// of Contact (§20.10): an optional display name, a URI, and header
/// parameters such as `tag`, `expires` or `q`.
///
/// ```
/// use sipline::{parse_name_addr, ParserConfig};
///
/// let v = br#""Alice \"A\"" <sip:alice@atlanta.example.com;transport=tcp>;tag=1928301774"#;
/// let a = parse_name_addr(v, &ParserConfig::strict())?;
/// assert_eq!(a.display_name, Some(r#"Alice \"A\""#));
/// assert_eq!(a.uri.host.unwrap().to_string(), "atlanta.example.com");
/// assert_eq!(a.uri.param("transport"), Some(Some("tcp")), "a URI parameter");
/// assert_eq!(a.tag(), Some("1928301774"), "a header parameter");
///
/// // Without angle brackets, the parameters belong to the header (§20.10).
/// let b = parse_name_addr(b"sip:bob@biloxi.example.com;tag=a6c85cf", &ParserConfig::strict())?;
/// assert_eq!(b.tag(), Some("a6c85cf"));
/// assert_eq!(b.uri.params().count(), 0);
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NameAddr<'a> {
    /// The display name: a quoted string's content (quotes removed, `\`
    /// escapes kept as sent) or the unquoted tokens.
    pub display_name: Option<&'a str>,
    /// The URI.
    pub uri: Uri<'a>,
    /// `true` when the URI was written in angle brackets (name-addr form).
    pub bracketed: bool,
    params: &'a [u8],
}

impl<'a> NameAddr<'a> {
    /// The header parameters in order (`;tag=…;expires=…`).
    pub fn params(&self) -> Params<'a> {
        Params::new(self.params)
    }

    /// The first header parameter named `name` (case-insensitive): `None`
    /// when absent, `Some(None)` when present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params().named(name)
    }

    /// The `tag` parameter (§19.3), which names a dialog's end.
    pub fn tag(&self) -> Option<&'a str> {
        self.param("tag").flatten()
    }
}

/// Two addresses are equal when their display names, URIs and header
/// parameters (names and values, in order) are, whether or not the URI
/// was bracketed and however the white space around parameters was written.
impl PartialEq for NameAddr<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.display_name == other.display_name
            && self.uri == other.uri
            && self.params().eq(other.params())
    }
}

impl Eq for NameAddr<'_> {}

impl core::hash::Hash for NameAddr<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.display_name, self.uri).hash(state);
        for p in self.params() {
            p.hash(state);
        }
    }
}

impl fmt::Display for NameAddr<'_> {
    /// Always the name-addr form: `"name" <uri>;params`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = self.display_name {
            write!(f, "\"{d}\" ")?;
        }
        write!(f, "<{}>", self.uri)?;
        self.params().write_to(f)
    }
}

/// The `tag` parameter of a From or To value, found without parsing the
/// rest (the URI is skipped: after `>` in the name-addr form, at the first
/// `;` in the addr-spec form). For the full, checked reading use
/// [`parse_name_addr`]; on a value that reading accepts, both give the same tag.
pub(crate) fn tag_param(value: &[u8]) -> Option<&str> {
    // Where the header parameters start.
    let params = match memchr::memchr(b'<', value) {
        Some(_) => {
            // After the first `>` outside a quoted display name (which may
            // hold `<`, `>` or `;`), found a run of plain bytes at a time.
            let mut i = 0;
            let gt = loop {
                let k = i + memchr::memchr2(b'"', b'>', value.get(i..)?)?;
                if value.get(k) == Some(&b'>') {
                    break k;
                }
                // A quoted string: to its closing quote, past quoted-pairs.
                i = k + 1;
                loop {
                    let q = i + memchr::memchr2(b'"', b'\\', value.get(i..)?)?;
                    if value.get(q) == Some(&b'"') {
                        i = q + 1;
                        break;
                    }
                    i = q + 2;
                }
            };
            value.get(gt + 1..)?
        }
        None => value.get(memchr::memchr(b';', value)?..)?,
    };
    let text = core::str::from_utf8(params).ok()?;
    Params::of_text(text).find_map(|(n, v)| n.eq_ignore_ascii_case("tag").then_some(v).flatten())
}

/// Parses one address (From, To, Route, Record-Route, one Contact value).
/// Error offsets count from the start of `value`.
pub fn parse_name_addr<'a>(value: &'a [u8], config: &ParserConfig) -> Result<NameAddr<'a>, Error> {
    name_addr(value, config, true).map_err(|at| Error::at(ErrorKind::NameAddr, at))
}

/// `single`: From and To, where a lenient reading may take any text before
/// `<` as the display name (there is no list whose comma it could eat).
fn name_addr<'a>(b: &'a [u8], cfg: &ParserConfig, single: bool) -> Result<NameAddr<'a>, usize> {
    // UTF-8 throughout (display names and quoted parameters, §25.1).
    let whole = core::str::from_utf8(b).map_err(|e| e.valid_up_to())?;
    let text = |s: usize, e: usize| whole.get(s..e).unwrap_or_default();
    let skip = |i: &mut usize| {
        while b.get(*i).is_some_and(|&c| is_lws(c)) {
            *i += 1;
        }
    };
    let mut i = 0;
    skip(&mut i);
    let mut display_name = None;
    // Lenient From/To: an unquoted display name of any text before `<`,
    // quotes and backslashes included (seen in the wild: `\"arik\"
    // <sip:…>`). A display name that opens a quote must close it (RFC 4475
    // "quotbal" is refused in both modes).
    let loose = single && cfg.allow_loose_addresses;
    if b.get(i) == Some(&b'"') {
        // quoted-string display name
        let start = i + 1;
        i += 1;
        loop {
            match b.get(i) {
                None => return Err(start - 1),
                Some(b'\\') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
            }
        }
        display_name = Some(text(start, i));
        i += 1;
        skip(&mut i);
        if b.get(i) != Some(&b'<') {
            return Err(i);
        }
    }
    if b.get(i) != Some(&b'<') {
        // Tokens then `<`, or an addr-spec.
        let lt = b.iter().position(|&c| c == b'<');
        let start = i;
        match lt {
            Some(lt) => {
                let name = b.get(start..lt).unwrap_or_default();
                let trimmed_end = name
                    .iter()
                    .rposition(|&c| !is_lws(c))
                    .map_or(start, |e| start + e + 1);
                let tokens_ok = name.iter().all(|&c| is_token(c) || is_lws(c));
                let loose_ok = loose;
                if !(tokens_ok || loose_ok) {
                    let bad = name.iter().position(|&c| !(is_token(c) || is_lws(c)));
                    return Err(start + bad.unwrap_or(0));
                }
                if trimmed_end > start {
                    display_name = Some(text(start, trimmed_end));
                }
                i = lt;
            }
            None => {
                // addr-spec: the URI runs to the first `;` (the header's
                // parameters, §20.10) or white space; a `?` or `,` there
                // means the brackets were needed (RFC 4475 "regbadct").
                let mut end = start;
                while b.get(end).is_some_and(|&c| c != b';' && !is_lws(c)) {
                    end += 1;
                }
                let u = text(start, end);
                if let Some(p) = u.bytes().position(|c| c == b'?' || c == b',') {
                    return Err(start + p);
                }
                let uri = uri_str(u).map_err(|e| start + e)?;
                let mut j = end;
                check_params(b, &mut j)?;
                return Ok(NameAddr {
                    display_name: None,
                    uri,
                    bracketed: false,
                    params: params_of(b, end, j),
                });
            }
        }
    }
    // `<` addr-spec `>`
    i += 1;
    let mut start = i;
    if cfg.allow_loose_addresses {
        skip(&mut start);
    }
    let gt = b
        .get(start..)
        .and_then(|r| r.iter().position(|&c| c == b'>'))
        .map(|p| start + p)
        .ok_or(b.len())?;
    let mut end = gt;
    if cfg.allow_loose_addresses {
        while end > start && b.get(end - 1).is_some_and(|&c| is_lws(c)) {
            end -= 1;
        }
    }
    let u = text(start, end);
    if let Some(p) = u.bytes().position(is_lws) {
        return Err(start + p);
    }
    let uri = uri_str(u).map_err(|e| start + e)?;
    let mut j = gt + 1;
    check_params(b, &mut j)?;
    Ok(NameAddr {
        display_name,
        uri,
        bracketed: true,
        params: params_of(b, gt + 1, j),
    })
}

fn params_of(b: &[u8], from: usize, to: usize) -> &[u8] {
    let p = b.get(from..to).unwrap_or_default();
    let s = p.iter().position(|&c| !is_lws(c)).unwrap_or(p.len());
    let e = p.iter().rposition(|&c| !is_lws(c)).map_or(s, |e| e + 1);
    p.get(s..e).unwrap_or_default()
}

/// The values of a Contact, Route or Record-Route field (`a, b, c`), each
/// parsed ([`parse_name_addrs`]). Commas inside quotes and angle brackets
/// do not split.
#[derive(Clone, Debug)]
pub struct NameAddrs<'a> {
    whole: &'a [u8],
    at: usize,
    done: bool,
    cfg: ParserConfig,
}

/// Parses a list of addresses: the value of Contact (but `*`, see
/// [`parse_contact`]), Route or Record-Route. Error offsets count from the
/// start of `value`.
///
/// ```
/// use sipline::{parse_name_addrs, ParserConfig};
///
/// let v = b"<sip:p1.example.com;lr>, \"x, y\" <sip:p2.example.com;lr>";
/// let hops: Vec<_> = parse_name_addrs(v, &ParserConfig::strict()).collect::<Result<_, _>>()?;
/// assert_eq!(hops.len(), 2);
/// assert_eq!(hops[1].display_name, Some("x, y"));
/// assert_eq!(hops[1].uri.param("lr"), Some(None));
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_name_addrs<'a>(value: &'a [u8], config: &ParserConfig) -> NameAddrs<'a> {
    NameAddrs {
        whole: value,
        at: 0,
        done: false,
        cfg: *config,
    }
}

/// The index of the first `,` outside quotes and angle brackets.
fn list_split(b: &[u8]) -> Option<usize> {
    let mut angle = false;
    let mut quoted = false;
    let mut escaped = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' if !angle => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => return Some(i),
            _ => {}
        }
    }
    None
}

impl<'a> NameAddrs<'a> {
    /// The bytes not read yet: the values after the ones already given.
    pub fn remaining(&self) -> &'a [u8] {
        if self.done {
            return b"";
        }
        self.whole.get(self.at..).unwrap_or_default()
    }
}

impl<'a> Iterator for NameAddrs<'a> {
    type Item = Result<NameAddr<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.whole.get(self.at..).unwrap_or_default();
        let end = list_split(rest).unwrap_or(rest.len());
        let one = rest.get(..end).unwrap_or_default();
        let base = self.at;
        self.at += end + 1;
        if end == rest.len() {
            self.done = true;
        }
        let r = name_addr(one, &self.cfg, false)
            .map_err(|at| Error::at(ErrorKind::NameAddr, base + at));
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// A Contact field's value: `*` (a REGISTER removing every binding,
/// §10.2.2) or addresses.
#[derive(Clone, Debug)]
pub enum Contact<'a> {
    /// `Contact: *`.
    Star,
    /// One or more addresses.
    Addrs(NameAddrs<'a>),
}

/// Parses a Contact value: `*` or a list of addresses.
///
/// ```
/// use sipline::{parse_contact, Contact, ParserConfig};
///
/// let cfg = ParserConfig::strict();
/// assert!(matches!(parse_contact(b" * ", &cfg), Contact::Star));
/// let Contact::Addrs(mut a) = parse_contact(b"<sip:a@192.0.2.4>;expires=60;q=0.5", &cfg) else { panic!() };
/// let a = a.next().unwrap()?;
/// assert_eq!(a.param("expires"), Some(Some("60")));
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_contact<'a>(value: &'a [u8], config: &ParserConfig) -> Contact<'a> {
    let t = crate::header::field::trim(value);
    if t == b"*" {
        Contact::Star
    } else {
        Contact::Addrs(parse_name_addrs(value, config))
    }
}

/// The From field (`From` or `f`) as a [`Header`]: one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct From;

/// The To field (`To` or `t`) as a [`Header`]: one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct To;

/// The Route field as a [`Header`]: its addresses, the next hop first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Route;

/// The Record-Route field as a [`Header`]: its addresses in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordRoute;

macro_rules! one_address {
    ($($t:ty => $name:literal),*) => {$(
        impl Header for $t {
            const NAME: &'static str = $name;
            type Value<'a> = NameAddr<'a>;
            type Values<'a> = core::iter::Once<Result<NameAddr<'a>, Error>>;

            /// [`parse_name_addr`] with the configuration's address leniency.
            fn parse<'a>(value: &'a [u8], config: &ParserConfig) -> Self::Values<'a> {
                core::iter::once(parse_name_addr(value, config))
            }
        }
    )*};
}
one_address!(From => "From", To => "To");

macro_rules! address_list {
    ($($t:ty => $name:literal),*) => {$(
        impl Header for $t {
            const NAME: &'static str = $name;
            type Value<'a> = NameAddr<'a>;
            type Values<'a> = NameAddrs<'a>;

            /// [`parse_name_addrs`] with the configuration's address leniency.
            fn parse<'a>(value: &'a [u8], config: &ParserConfig) -> Self::Values<'a> {
                parse_name_addrs(value, config)
            }
        }
    )*};
}
address_list!(Route => "Route", RecordRoute => "Record-Route");

/// Contact's addresses; `Contact: *` has none (see
/// [`Head::contact_star`](crate::Head::contact_star)).
impl Header for Contact<'_> {
    const NAME: &'static str = "Contact";
    type Value<'a> = NameAddr<'a>;
    type Values<'a> = NameAddrs<'a>;

    /// [`parse_contact`]'s addresses, none for `*`.
    fn parse<'a>(value: &'a [u8], config: &ParserConfig) -> Self::Values<'a> {
        match parse_contact(value, config) {
            Contact::Addrs(a) => a,
            Contact::Star => NameAddrs {
                whole: b"",
                at: 0,
                done: true,
                cfg: *config,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::lossy::Lossy;
    use proptest::prelude::*;

    /// The tag search as it was before it skipped by `memchr`: byte by
    /// byte, the reference.
    fn tag_param_bytewise(value: &[u8]) -> Option<&str> {
        let params = match memchr::memchr(b'<', value) {
            Some(_) => {
                let (mut i, mut quoted, mut gt) = (0, false, None);
                while let Some(&c) = value.get(i) {
                    match c {
                        b'\\' if quoted => i += 1,
                        b'"' => quoted = !quoted,
                        b'>' if !quoted => {
                            gt = Some(i);
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
                value.get(gt? + 1..)?
            }
            None => value.get(memchr::memchr(b';', value)?..)?,
        };
        let text = core::str::from_utf8(params).ok()?;
        Params::new(text.as_bytes())
            .find_map(|(n, v)| n.eq_ignore_ascii_case("tag").then_some(v).flatten())
    }

    #[test]
    fn tags_are_found_past_quoted_display_names() {
        let cases: [(&[u8], Option<&str>); 8] = [
            (b"<sip:a@h>;tag=1", Some("1")),
            (b"\"a>b;tag=x\" <sip:a@h>;TAG=2", Some("2")),
            (b"\"a\\\">\" <sip:a@h> ; tag = 3 ;x", Some("3")),
            (b"sip:a@h;tag=4", Some("4")),
            (b"<sip:a@h;tag=no>", None),
            (b"\"open <sip:a@h>;tag=5", None),
            (b"\"a\\", None),
            (b"<sip:a@h>;xtag=1;tag", None),
        ];
        for (value, tag) in cases {
            assert_eq!(tag_param(value), tag, "{:?}", Lossy(value));
            assert_eq!(tag_param_bytewise(value), tag, "{:?}", Lossy(value));
        }
    }

    proptest! {
        #[test]
        fn the_tag_search_agrees_with_its_bytewise_reference(
            value in proptest::collection::vec(
                prop::sample::select(&b"<>\";\\ =tagTAG:sip@h1\xff"[..]), 0..48)
        ) {
            prop_assert_eq!(tag_param(&value), tag_param_bytewise(&value));
        }
    }
}
