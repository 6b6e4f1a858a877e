// Package ebpfe2e holds the end-to-end test of the ebpf receiver's process
// probe feeding the topology processor with the events of a real podman
// container. It has no code of its own.
package ebpfe2e // import "github.com/otelcol-trace/otelcol-trace/processor/topology/internal/ebpfe2e"
