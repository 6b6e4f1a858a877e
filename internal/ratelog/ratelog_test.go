package ratelog

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newObserved(level zapcore.Level) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(level)
	return zap.New(core, zap.AddCaller()), logs
}

func TestFirstEntryThenOnePerInterval(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	clock := newFakeClock()
	l := New(zl, 10*time.Second, WithClock(clock.Now))

	l.Warn("k", "dropped", zap.Int("n", 1))
	require.Equal(t, 1, logs.Len(), "the first entry of a key is written")

	clock.Advance(10*time.Second - time.Nanosecond)
	l.Warn("k", "dropped", zap.Int("n", 2))
	assert.Equal(t, 1, logs.Len(), "an entry within the interval is dropped")

	clock.Advance(time.Nanosecond)
	l.Warn("k", "dropped", zap.Int("n", 3))
	require.Equal(t, 2, logs.Len(), "an entry exactly one interval later is written")

	clock.Advance(5 * time.Second)
	l.Warn("k", "dropped", zap.Int("n", 4))
	assert.Equal(t, 2, logs.Len(), "the interval restarts at the last written entry")

	all := logs.AllUntimed()
	assert.Equal(t, int64(1), all[0].ContextMap()["n"])
	assert.Equal(t, int64(3), all[1].ContextMap()["n"])
	for _, e := range all {
		assert.Equal(t, "dropped", e.Message)
		assert.Equal(t, zapcore.WarnLevel, e.Level)
		assert.Len(t, e.Context, 1, "no suppressed count without WithSuppressedCount")
	}
}

func TestKeysAreIndependent(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	clock := newFakeClock()
	l := New(zl, time.Minute, WithClock(clock.Now))

	l.Warn("a", "a1")
	l.Warn("b", "b1")
	l.Warn("a", "a2")
	l.Warn("b", "b2")
	clock.Advance(30 * time.Second)
	l.Warn("c", "c1")
	clock.Advance(30 * time.Second)
	l.Warn("a", "a3")
	l.Warn("c", "c2")

	var msgs []string
	for _, e := range logs.AllUntimed() {
		msgs = append(msgs, e.Message)
	}
	assert.Equal(t, []string{"a1", "b1", "c1", "a3"}, msgs)
}

func TestSuppressedCount(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	clock := newFakeClock()
	l := New(zl, time.Second, WithClock(clock.Now), WithSuppressedCount("suppressed_since_last"))

	l.Error("k", "failed", zap.String("path", "/x"))
	for range 3 {
		l.Error("k", "failed", zap.String("path", "/x"))
	}
	l.Error("other", "failed", zap.String("path", "/y"))
	clock.Advance(time.Second)
	l.Error("k", "failed", zap.String("path", "/x"))
	clock.Advance(time.Second)
	l.Error("k", "failed", zap.String("path", "/x"))

	all := logs.AllUntimed()
	require.Len(t, all, 4)
	assert.Equal(t, map[string]any{"path": "/x"}, all[0].ContextMap(), "no count on the first entry")
	assert.Equal(t, map[string]any{"path": "/y"}, all[1].ContextMap(), "counts are per key")
	assert.Equal(t, map[string]any{"path": "/x", "suppressed_since_last": int64(3)}, all[2].ContextMap())
	assert.Equal(t, map[string]any{"path": "/x"}, all[3].ContextMap(), "the count restarts after a written entry")
	for _, e := range all {
		assert.Equal(t, zapcore.ErrorLevel, e.Level)
	}
}

func TestLevelsAndCaller(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	l := New(zl, time.Hour)

	l.Info("i", "info msg", zap.Bool("b", true))
	l.Warn("w", "warn msg")
	l.Error("e", "error msg")

	all := logs.AllUntimed()
	require.Len(t, all, 3)
	assert.Equal(t, []zapcore.Level{zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel},
		[]zapcore.Level{all[0].Level, all[1].Level, all[2].Level})
	assert.Equal(t, []string{"info msg", "warn msg", "error msg"}, []string{all[0].Message, all[1].Message, all[2].Message})
	assert.Equal(t, map[string]any{"b": true}, all[0].ContextMap())
	for _, e := range all {
		require.True(t, e.Caller.Defined)
		assert.Equal(t, "ratelog_test.go", filepath.Base(e.Caller.File), "the caller is the call site, not the wrapper")
	}
}

func TestDisabledLevelStillConsumesTheInterval(t *testing.T) {
	zl, logs := newObserved(zapcore.WarnLevel)
	clock := newFakeClock()
	l := New(zl, time.Second, WithClock(clock.Now))
	l.Info("k", "not enabled")
	l.Warn("k", "within the interval")
	assert.Equal(t, 0, logs.Len())
	clock.Advance(time.Second)
	l.Warn("k", "written")
	require.Equal(t, 1, logs.Len())
	assert.Equal(t, "written", logs.All()[0].Message)
}

func TestZeroIntervalWritesEverything(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	l := New(zl, 0, WithClock(newFakeClock().Now), WithSuppressedCount("s"))
	for range 5 {
		l.Warn("k", "m")
	}
	assert.Equal(t, 5, logs.Len())
	for _, e := range logs.AllUntimed() {
		assert.Empty(t, e.Context)
	}
}

func TestNilLoggerAndNilClock(t *testing.T) {
	l := New(nil, time.Second, WithClock(nil))
	assert.NotPanics(t, func() {
		l.Info("k", "m")
		l.Warn("k", "m")
		l.Error("k", "m")
	})
}

func TestClockIsReadOnEveryEntry(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	now := time.Unix(1000, 0)
	l := New(zl, time.Minute, WithClock(func() time.Time { return now }))
	l.Warn("k", "first")
	now = now.Add(time.Minute)
	l.Warn("k", "second")
	assert.Equal(t, 2, logs.Len())
}

func TestCallerFieldsNotModified(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	clock := newFakeClock()
	l := New(zl, time.Second, WithClock(clock.Now), WithSuppressedCount("s"))
	fields := make([]zap.Field, 1, 4)
	fields[0] = zap.String("a", "b")
	l.Warn("k", "m", fields...)
	l.Warn("k", "m", fields...)
	clock.Advance(time.Second)
	l.Warn("k", "m", fields...)
	require.Equal(t, 2, logs.Len())
	assert.Equal(t, map[string]any{"a": "b", "s": int64(1)}, logs.All()[1].ContextMap())
	backing := fields[:cap(fields)]
	assert.Equal(t, zap.Field{}, backing[1], "the caller's backing array is untouched")
}

// TestConcurrentUse runs many goroutines on a few keys at one instant: each
// key is written once, and the next entry of a key counts every other call.
func TestConcurrentUse(t *testing.T) {
	zl, logs := newObserved(zapcore.DebugLevel)
	clock := newFakeClock()
	l := New(zl, time.Second, WithClock(clock.Now), WithSuppressedCount("suppressed"))
	keys := []string{"a", "b", "c"}
	const perKey = 200

	var wg sync.WaitGroup
	for _, k := range keys {
		for range perKey {
			wg.Go(func() { l.Warn(k, "m", zap.String("key", k)) })
		}
	}
	wg.Wait()
	require.Equal(t, len(keys), logs.Len(), "one entry per key")

	clock.Advance(time.Second)
	for _, k := range keys {
		l.Warn(k, "m", zap.String("key", k))
	}
	later := logs.AllUntimed()[len(keys):]
	require.Len(t, later, len(keys))
	for _, e := range later {
		assert.Equal(t, int64(perKey-1), e.ContextMap()["suppressed"], "key %v", e.ContextMap()["key"])
	}
}
