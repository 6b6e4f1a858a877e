// Package probeload holds the steps that the ebpf receiver's probes share:
// checking a probe's ring_buffer_size override, picking the shared maps a
// BPF object declares, sizing its ring buffer, attaching raw-tracepoint
// programs, and the detach → drain → close order of Close. Everything but
// CheckRingBufferSize is Linux only.
package probeload // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
