//go:build linux

package ringreader

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Reader reads one ring buffer map in its own goroutine.
type Reader struct {
	rd      *ringbuf.Reader
	opts    Options
	handle  Handler
	counter probe.ReadCounter
	done    chan struct{}
	once    sync.Once
	closeMu sync.Mutex
	closed  bool
}

// Start starts reading ring (a BPF_MAP_TYPE_RINGBUF map) and calls handle
// for every record, until Close.
func Start(ring *ebpf.Map, opts Options, handle Handler) (*Reader, error) {
	rd, err := ringbuf.NewReader(ring)
	if err != nil {
		return nil, fmt.Errorf("open ring buffer reader for probe %s: %w", opts.Probe, err)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	r := &Reader{rd: rd, opts: opts, handle: handle, done: make(chan struct{})}
	if c, ok := opts.Sink.(probe.ReadCounter); ok {
		r.counter = c
	}
	go r.loop()
	return r, nil
}

func (r *Reader) loop() {
	defer close(r.done)
	var rec ringbuf.Record
	var read, bad int64
	flush := func() {
		if read > 0 && r.counter != nil {
			r.counter.CountRead(r.opts.Probe, read)
		}
		if bad > 0 && r.opts.Sink != nil {
			r.opts.Sink.Lost(r.opts.Probe, "decode_error", bad)
		}
		read, bad = 0, 0
	}
	defer flush()
	r.rd.SetDeadline(time.Now().Add(r.opts.PollInterval))
	for {
		err := r.rd.ReadInto(&rec)
		switch {
		case err == nil:
			read++
			if herr := r.handle(rec.RawSample); herr != nil {
				if bad == 0 {
					r.opts.Logger.Debug("cannot decode event", zap.String("probe", r.opts.Probe), zap.Error(herr))
				}
				bad++
			}
		case errors.Is(err, os.ErrDeadlineExceeded):
			// Every record present at the deadline was read: account and
			// wait for the next poll.
			flush()
			r.rd.SetDeadline(time.Now().Add(r.opts.PollInterval))
		case errors.Is(err, ringbuf.ErrFlushed):
			flush()
		case errors.Is(err, os.ErrClosed), errors.Is(err, ringbuf.ErrClosed):
			return
		default:
			r.opts.Logger.Warn("ring buffer read failed; reader stops", zap.String("probe", r.opts.Probe), zap.Error(err))
			return
		}
	}
}

// Drain reads what is in the ring now before returning (Flush + wait for the
// reader to see it). Use before Close to not lose the tail.
func (r *Reader) Drain(timeout time.Duration) {
	r.closeMu.Lock()
	defer r.closeMu.Unlock()
	if r.closed {
		return
	}
	deadline := time.Now().Add(timeout)
	_ = r.rd.Flush()
	for r.rd.AvailableBytes() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// Close stops the reader goroutine and closes the ring reader (not the map).
func (r *Reader) Close() error {
	var err error
	r.once.Do(func() {
		r.closeMu.Lock()
		r.closed = true
		r.closeMu.Unlock()
		err = r.rd.Close()
		<-r.done
	})
	return err
}
