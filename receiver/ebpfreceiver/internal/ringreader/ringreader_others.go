//go:build !linux

package ringreader

import "errors"

// Reader reads one ring buffer map; eBPF needs Linux.
type Reader struct{}

// Start returns an error: eBPF is not supported on this platform.
func Start(_ any, _ Options, _ Handler) (*Reader, error) {
	return nil, errors.New("ring buffer reader: not supported on this platform (Linux only)")
}

// Close does nothing.
func (*Reader) Close() error { return nil }
