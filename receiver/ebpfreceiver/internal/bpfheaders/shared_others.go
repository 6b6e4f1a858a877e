//go:build !linux

package bpfheaders

import "errors"

// SharedMaps are the maps common.h declares; eBPF needs Linux.
type SharedMaps struct{}

// NewSharedMaps returns an error: eBPF is not supported on this platform.
func NewSharedMaps(Filter) (*SharedMaps, error) {
	return nil, errors.New("ebpf shared maps: not supported on this platform (Linux only)")
}

// Close does nothing.
func (*SharedMaps) Close() error { return nil }
