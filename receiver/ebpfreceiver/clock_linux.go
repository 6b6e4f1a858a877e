//go:build linux

package ebpfreceiver

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// monoClock converts CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) to wall
// time with an offset CLOCK_REALTIME - CLOCK_MONOTONIC, measured at start
// and re-measured periodically (NTP steps, suspend).
type monoClock struct {
	offset atomic.Int64
}

func newMonoClock() *monoClock {
	c := &monoClock{}
	c.sync()
	return c
}

func clockNs(id int32) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// sync measures the offset, taking the realtime reading between two
// monotonic ones and keeping the tightest of a few tries.
func (c *monoClock) sync() {
	best := int64(-1)
	var off int64
	for range 3 {
		m1 := clockNs(unix.CLOCK_MONOTONIC)
		rt := clockNs(unix.CLOCK_REALTIME)
		m2 := clockNs(unix.CLOCK_MONOTONIC)
		if w := m2 - m1; best < 0 || w < best {
			best = w
			off = rt - (m1+m2)/2
		}
	}
	c.offset.Store(off)
}

// Wall returns the wall time of a CLOCK_MONOTONIC timestamp.
func (c *monoClock) Wall(monotonicNs uint64) time.Time {
	return time.Unix(0, int64(monotonicNs)+c.offset.Load())
}
