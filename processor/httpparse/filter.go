package httpparse

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// matcher is a compiled FilterConfig.
type matcher struct {
	methods []string
	hosts   []string // lower-case globs
	paths   []*regexp.Regexp
	status  [][2]int
}

// exchangeFilter applies the include and exclude matchers.
type exchangeFilter struct {
	include, exclude *matcher
}

func newExchangeFilter(include, exclude *FilterConfig) (*exchangeFilter, error) {
	f := &exchangeFilter{}
	var err error
	if f.include, err = compileMatcher(include); err != nil {
		return nil, fmt.Errorf("include: %w", err)
	}
	if f.exclude, err = compileMatcher(exclude); err != nil {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	return f, nil
}

func compileMatcher(fc *FilterConfig) (*matcher, error) {
	if fc == nil || (len(fc.Methods) == 0 && len(fc.Hosts) == 0 && len(fc.Paths) == 0 && len(fc.StatusCodes) == 0) {
		return nil, nil
	}
	m := &matcher{}
	for _, x := range fc.Hosts {
		m.hosts = append(m.hosts, strings.ToLower(x))
	}
	for _, x := range fc.Methods {
		m.methods = append(m.methods, strings.ToUpper(strings.TrimSpace(x)))
	}
	for _, x := range fc.Paths {
		re, err := regexp.Compile(x)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", x, err)
		}
		m.paths = append(m.paths, re)
	}
	for _, x := range fc.StatusCodes {
		lo, hi, err := parseStatusPattern(x)
		if err != nil {
			return nil, err
		}
		m.status = append(m.status, [2]int{lo, hi})
	}
	return m, nil
}

// match reports whether every criterion that is set matches v.
func (m *matcher) match(v *view) bool {
	if len(m.methods) > 0 && !slices.Contains(m.methods, v.method) {
		return false
	}
	if len(m.hosts) > 0 {
		host := strings.ToLower(v.host)
		if !slices.ContainsFunc(m.hosts, func(x string) bool {
			ok, _ := path.Match(x, host)
			return ok
		}) {
			return false
		}
	}
	if len(m.paths) > 0 {
		found := false
		for _, re := range m.paths {
			if re.MatchString(v.path) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(m.status) > 0 {
		found := false
		for _, r := range m.status {
			if v.status >= r[0] && v.status <= r[1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// keep reports whether an exchange passes the filters.
func (f *exchangeFilter) keep(v *view) bool {
	if f.include != nil && !f.include.match(v) {
		return false
	}
	if f.exclude != nil && f.exclude.match(v) {
		return false
	}
	return true
}
