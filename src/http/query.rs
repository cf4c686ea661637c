//! Query options. The service supports `$top` and `$skip` on collections
//! (advertised as `TopSkipQuery`). Any other option starting with `$` is
//! answered 501, as DSP0266 requires; options without `$` are ignored.

use axum::http::StatusCode;

use crate::registry::base;

use super::ApiError;

/// The paging window a collection read asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paging {
    /// `$top`: at most this many members.
    pub top: Option<usize>,
    /// `$skip`: members to pass over first.
    pub skip: usize,
}

/// Parses the query string of a request to a resource.
///
/// # Errors
/// 501 for an unsupported `$` option, 400 for a malformed or out-of-range
/// `$top`/`$skip`, 400 when paging is asked of something not a collection.
pub fn parse(query: Option<&str>, is_collection: bool) -> Result<Paging, ApiError> {
    let mut paging = Paging::default();
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(paging);
    };

    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        // `%24` is a percent-encoded `$`.
        let decoded;
        let name = match name.strip_prefix("%24") {
            Some(rest) => {
                decoded = format!("${rest}");
                decoded.as_str()
            }
            None => name,
        };
        match name {
            "$top" | "$skip" if !is_collection => {
                return Err(ApiError::bad_request(vec![
                    base::query_not_supported_on_resource(),
                ]));
            }
            "$top" => paging.top = Some(count(name, value)?),
            "$skip" => paging.skip = count(name, value)?,
            _ if name.starts_with('$') => {
                return Err(ApiError::new(
                    StatusCode::NOT_IMPLEMENTED,
                    vec![base::query_parameter_unsupported(name)],
                ));
            }
            _ => {}
        }
    }
    Ok(paging)
}

fn count(name: &str, value: &str) -> Result<usize, ApiError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        let msg = base::query_parameter_value_type_error(value, name);
        return Err(ApiError::bad_request(vec![msg]));
    }
    value.parse::<usize>().map_err(|_| {
        ApiError::bad_request(vec![base::query_parameter_out_of_range(
            value,
            name,
            format!("0 to {}", usize::MAX),
        )])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_and_skip_parse_on_collections() {
        let p = parse(Some("$top=2&$skip=3&only"), true).unwrap();
        assert_eq!(
            p,
            Paging {
                top: Some(2),
                skip: 3
            }
        );
    }

    #[test]
    fn unknown_dollar_option_is_501() {
        let err = parse(Some("$expand=*"), true).unwrap_err();
        assert_eq!(err.status(), StatusCode::NOT_IMPLEMENTED);
    }

    #[test]
    fn bad_top_is_400_and_plain_options_are_ignored() {
        assert_eq!(
            parse(Some("$top=-1"), true).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(parse(Some("foo=bar"), false).unwrap(), Paging::default());
        assert_eq!(
            parse(Some("$top=1"), false).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
    }
}
