package httpspanconnector

import (
	"errors"
	"fmt"
	"strings"
)

// Config configures the httpspans connector.
type Config struct {
	// IncludeBodies copies the captured body contents and the SSE event
	// list (http.*.body.content, sse.events, sse.text, ...) to the span; off,
	// spans carry only the sizes and the other attributes.
	IncludeBodies bool `mapstructure:"include_bodies"`
	// FirstByteEvents adds span events at the response's first byte and at
	// the first server-sent event.
	FirstByteEvents bool `mapstructure:"first_byte_events"`
	// ResourceAttributePrefixes are moved from the record to the span's
	// resource (one ResourceSpans per process), in addition to process.*,
	// container.*, k8s.*, linux.cgroup.id and service.*.
	ResourceAttributePrefixes []string `mapstructure:"resource_attribute_prefixes"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	for i, p := range c.ResourceAttributePrefixes {
		if strings.TrimSpace(p) == "" {
			errs = append(errs, fmt.Errorf("resource_attribute_prefixes[%d] must not be empty", i))
		}
		if strings.HasPrefix(p, "http.") || strings.HasPrefix(p, "url.") {
			errs = append(errs, fmt.Errorf("resource_attribute_prefixes[%d] %q would move request attributes to the resource", i, p))
		}
	}
	return errors.Join(errs...)
}
