//go:build !linux

package ebpfreceiver

import (
	"context"
	"errors"
	"runtime"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// ebpfReceiver cannot exist outside Linux.
type ebpfReceiver struct{}

func newReceiver(receiver.Settings, *Config, func()) (*ebpfReceiver, error) {
	return nil, errors.New("the ebpf receiver is not supported on this platform (" + runtime.GOOS + "): it needs Linux eBPF")
}

func (*ebpfReceiver) setLogs(consumer.Logs)                       {}
func (*ebpfReceiver) setTraces(consumer.Traces)                   {}
func (*ebpfReceiver) Start(context.Context, component.Host) error { return nil }
func (*ebpfReceiver) Shutdown(context.Context) error              { return nil }
