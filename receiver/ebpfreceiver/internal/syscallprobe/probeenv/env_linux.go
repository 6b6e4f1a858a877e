//go:build linux

package probeenv

import (
	"os"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Clock converts CLOCK_MONOTONIC to wall time with an offset measured once.
type Clock struct{ offset time.Duration }

// NewClock measures CLOCK_REALTIME - CLOCK_MONOTONIC.
func NewClock() Clock {
	var mono unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	now := time.Now()
	return Clock{offset: time.Duration(now.UnixNano() - mono.Nano())}
}

// Wall returns the wall time of a bpf_ktime_get_ns value.
func (c Clock) Wall(ns uint64) time.Time { return time.Unix(0, int64(ns)+int64(c.offset)) }

// New creates the shared maps with filter f (SelfPID defaults to this
// process when zero and ExcludeSelf is true) and returns an Env whose Sink is
// sink. Close the maps when done.
func New(f bpfheaders.Filter, sink *Sink, logger *zap.Logger) (probe.Env, *bpfheaders.SharedMaps, error) {
	shared, err := bpfheaders.NewSharedMaps(f)
	if err != nil {
		return probe.Env{}, nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return probe.Env{
		Logger:     logger,
		SharedMaps: shared.Maps(),
		Clock:      NewClock(),
		Sink:       sink,
		SelfPID:    os.Getpid(),
		// Short, so that tests see events quickly without wakeups.
		PollInterval: 10 * time.Millisecond,
	}, shared, nil
}
