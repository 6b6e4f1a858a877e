//go:build !linux

package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"errors"
	"runtime"
)

func newHostFS(*Config) (hostFS, error) {
	return nil, errors.New("the topology processor is not supported on this platform (" + runtime.GOOS + "): it reads Linux cgroupfs and procfs")
}
