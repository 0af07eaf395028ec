package plivo

import (
	"fmt"
	"net/url"
	"strings"
)

// parseStrictForm decodes an application/x-www-form-urlencoded string (a
// body or a raw query) and refuses anything a signature could be ambiguous
// about: a key that appears twice (plivo-go signs only one value per key),
// an empty key, a malformed escape, or a semicolon separator. An empty string
// is an empty form.
func parseStrictForm(s string) (url.Values, error) {
	form := url.Values{}
	if s == "" {
		return form, nil
	}
	for i, pair := range strings.Split(s, "&") {
		if pair == "" {
			return nil, fmt.Errorf("pair %d is empty", i+1)
		}
		if strings.Contains(pair, ";") {
			return nil, fmt.Errorf("pair %d contains a semicolon", i+1)
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, fmt.Errorf("pair %d: key: %w", i+1, err)
		}
		if key == "" {
			return nil, fmt.Errorf("pair %d has an empty key", i+1)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, fmt.Errorf("key %q: value: %w", key, err)
		}
		if _, dup := form[key]; dup {
			return nil, fmt.Errorf("key %q appears more than once", key)
		}
		form[key] = []string{value}
	}
	return form, nil
}

// singleValues flattens a form whose keys each have one value, the shape
// plivo-go's signature functions take.
func singleValues(form url.Values) (map[string]string, error) {
	m := make(map[string]string, len(form))
	for k, vs := range form {
		if len(vs) != 1 {
			return nil, fmt.Errorf("key %q has %d values; a signed form has exactly one", k, len(vs))
		}
		m[k] = vs[0]
	}
	return m, nil
}
