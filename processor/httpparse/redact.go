package httpparse

import (
	"regexp"
	"strings"
)

// redactor replaces credentials in headers and bodies by [REDACTED].
type redactor struct {
	headers map[string]bool
	json    *regexp.Regexp // "field" : "value"
	form    *regexp.Regexp // field=value in form bodies
	query   *regexp.Regexp // field=value in url.query
}

// defaultRedactedQueryParams are the query parameters semconv says to
// scrub from url.full / url.query.
func defaultRedactedQueryParams() []string {
	return []string{"AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"}
}

func newRedactor(cfg RedactionConfig) *redactor {
	r := &redactor{headers: map[string]bool{}}
	var fields []string
	if !cfg.DisableDefaults {
		for _, h := range defaultRedactedHeaders() {
			r.headers[h] = true
		}
		fields = append(fields, defaultRedactedJSONFields()...)
	}
	for _, h := range cfg.Headers {
		r.headers[strings.ToLower(strings.TrimSpace(h))] = true
	}
	fields = append(fields, cfg.JSONFields...)
	if len(fields) > 0 {
		names := anyOf(fields)
		r.json = regexp.MustCompile(`("` + names + `"\s*:\s*)"(?:[^"\\]|\\.)*"?`)
		r.form = regexp.MustCompile(`(^|&)(` + names + `=)[^&]*`)
	}
	params := fields
	if !cfg.DisableDefaults {
		params = append(params, defaultRedactedQueryParams()...)
	}
	if len(params) > 0 {
		r.query = regexp.MustCompile(`(^|&)(` + anyOf(params) + `=)[^&]*`)
	}
	return r
}

// anyOf returns a case-insensitive regular expression group matching any
// of names literally.
func anyOf(names []string) string {
	alt := make([]string, 0, len(names))
	for _, n := range names {
		alt = append(alt, regexp.QuoteMeta(strings.TrimSpace(n)))
	}
	return "(?i:" + strings.Join(alt, "|") + ")"
}

// queryString redacts credentials in a URL query string (without "?").
func (r *redactor) queryString(q string) string {
	if r.query == nil || q == "" {
		return q
	}
	if !r.query.MatchString(q) {
		return q // nothing to redact: no copy
	}
	return r.query.ReplaceAllString(q, `${1}${2}`+redacted)
}

// header reports whether the (lower-case) header must be redacted.
func (r *redactor) header(name string) bool { return r.headers[name] }

// body redacts the configured fields of a JSON or form body.
func (r *redactor) body(contentType []byte, s string) string {
	if r.json == nil {
		return s
	}
	if containsFold(contentType, "x-www-form-urlencoded") {
		if !r.form.MatchString(s) {
			return s
		}
		return r.form.ReplaceAllString(s, `${1}${2}`+redacted)
	}
	if !strings.Contains(s, `"`) || !r.json.MatchString(s) {
		return s // nothing to redact: no copy
	}
	return r.json.ReplaceAllString(s, `${1}"`+redacted+`"`)
}

// containsFold reports whether b contains the lower-case ASCII string sub,
// ignoring ASCII case.
func containsFold(b []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if equalFold(b[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
