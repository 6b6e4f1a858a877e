// Package probeload holds the loading, attaching and teardown steps that the
// ebpf receiver's probes share: picking the shared maps a BPF object
// declares, sizing its ring buffer, attaching raw-tracepoint programs, and
// the detach → drain → close order of Close. Linux only.
package probeload // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
