//go:build linux

package probeload

import (
	"errors"
	"fmt"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
)

// drainTimeout bounds how long Teardown waits for the reader to read what
// is still in the ring.
const drainTimeout = time.Second

// SharedMaps returns the maps of shared that spec declares, for
// ebpf.CollectionOptions.MapReplacements (cilium/ebpf rejects a replacement
// for a map the object does not have).
func SharedMaps(spec *ebpf.CollectionSpec, shared map[string]*ebpf.Map) map[string]*ebpf.Map {
	out := map[string]*ebpf.Map{}
	for name, m := range shared {
		if _, ok := spec.Maps[name]; ok {
			out[name] = m
		}
	}
	return out
}

// SetRingSize sets the MaxEntries of spec's ring buffer map ring: to own,
// the probe's override, when set, else to receiver, the receiver's
// ring_buffer.size, when set; otherwise the object keeps its compiled size.
func SetRingSize(spec *ebpf.CollectionSpec, ring string, own int, receiver uint32) error {
	size := receiver
	if own > 0 {
		size = uint32(own)
	}
	if size == 0 {
		return nil
	}
	m, ok := spec.Maps[ring]
	if !ok {
		return fmt.Errorf("set ring buffer size: the BPF object has no map %s", ring)
	}
	m.MaxEntries = size
	return nil
}

// AttachRawTracepoints attaches each program as a BTF raw tracepoint
// (tp_btf). On failure it closes the links it made and returns an error
// naming the program.
func AttachRawTracepoints(progs ...*ebpf.Program) ([]link.Link, error) {
	links := make([]link.Link, 0, len(progs))
	for _, prog := range progs {
		l, err := link.AttachTracing(link.TracingOptions{Program: prog, AttachType: ebpf.AttachTraceRawTp})
		if err != nil {
			for _, l := range links {
				_ = l.Close()
			}
			return nil, fmt.Errorf("attach %s: %w", prog, err)
		}
		links = append(links, l)
	}
	return links, nil
}

// Teardown closes what a probe holds in the order that loses nothing:
// detach the links (no new events), let reader read what is left in the
// ring (up to a second) and stop it, then close objs (its programs and
// maps). Any of them may be nil. what ("file probe") prefixes the errors.
func Teardown[O any, PO interface {
	*O
	Close() error
}](what string, links []link.Link, reader *ringreader.Reader, objs PO) error {
	var errs []error
	for _, l := range links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: detach: %w", what, err))
		}
	}
	if reader != nil {
		reader.Drain(drainTimeout)
		if err := reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: close reader: %w", what, err))
		}
	}
	if objs != nil {
		if err := objs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: close BPF objects: %w", what, err))
		}
	}
	return errors.Join(errs...)
}
