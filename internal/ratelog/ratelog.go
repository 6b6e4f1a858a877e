// Package ratelog writes log entries at most once per interval per key, so
// that a steady stream of drops or failures gives one line per reason and
// interval instead of one line per event. The events themselves are meant to
// be counted in metrics; the log line only says that they happen.
package ratelog

import (
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Logger wraps a *zap.Logger and writes at most one entry per key and
// interval: the first entry of a key is always written, later ones only once
// interval has passed since the last written entry of that key. Entries in
// between are dropped (and counted, see WithSuppressedCount). Keys name the
// reason of an entry and should come from a small, bounded set: a Logger
// remembers every key it has seen. A Logger is safe for concurrent use.
type Logger struct {
	logger          *zap.Logger
	interval        time.Duration
	now             func() time.Time
	suppressedField string

	mu   sync.Mutex
	keys map[string]*keyState
}

// keyState is what a Logger remembers about one key.
type keyState struct {
	last       time.Time // when the last entry of the key was written
	suppressed int       // entries dropped since then
}

// Option configures a Logger.
type Option func(*Logger)

// WithClock makes the Logger read the time from now instead of time.Now
// (tests inject a fake clock, components their own clock). now is called on
// every entry, so it may read a clock that is replaced later.
func WithClock(now func() time.Time) Option {
	return func(l *Logger) {
		if now != nil {
			l.now = now
		}
	}
}

// WithSuppressedCount adds an integer field named field to a written entry
// that tells how many entries of the same key were dropped since the last
// written one (only when there were any). Without this option nothing is
// added.
func WithSuppressedCount(field string) Option {
	return func(l *Logger) { l.suppressedField = field }
}

// New returns a Logger that writes through logger at most once per interval
// and key; an interval <= 0 writes every entry. A nil logger writes nothing.
// The caller recorded in the entries is the caller of Info, Warn or Error.
func New(logger *zap.Logger, interval time.Duration, opts ...Option) *Logger {
	if logger == nil {
		logger = zap.NewNop()
	}
	l := &Logger{
		// Skip log and Info/Warn/Error so entries name the component's line.
		logger:   logger.WithOptions(zap.AddCallerSkip(2)),
		interval: interval,
		now:      time.Now,
		keys:     map[string]*keyState{},
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Info writes msg with fields at info level unless an entry of key was
// written less than the interval ago.
func (l *Logger) Info(key, msg string, fields ...zap.Field) {
	l.log(zapcore.InfoLevel, key, msg, fields)
}

// Warn writes msg with fields at warn level unless an entry of key was
// written less than the interval ago.
func (l *Logger) Warn(key, msg string, fields ...zap.Field) {
	l.log(zapcore.WarnLevel, key, msg, fields)
}

// Error writes msg with fields at error level unless an entry of key was
// written less than the interval ago.
func (l *Logger) Error(key, msg string, fields ...zap.Field) {
	l.log(zapcore.ErrorLevel, key, msg, fields)
}

// log is the common body of Info, Warn and Error; it must be called directly
// by them (the caller skip counts on it).
func (l *Logger) log(level zapcore.Level, key, msg string, fields []zap.Field) {
	suppressed, ok := l.allow(key)
	if !ok {
		return
	}
	if suppressed > 0 && l.suppressedField != "" {
		// Copy: appending could write into the caller's backing array.
		fields = append(fields[:len(fields):len(fields)], zap.Int(l.suppressedField, suppressed))
	}
	l.logger.Log(level, msg, fields...)
}

// allow reports whether an entry of key may be written now, and how many
// entries of key were dropped since the last written one.
func (l *Logger) allow(key string) (suppressed int, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st, seen := l.keys[key]
	if !seen {
		l.keys[key] = &keyState{last: now}
		return 0, true
	}
	if now.Sub(st.last) < l.interval {
		st.suppressed++
		return 0, false
	}
	suppressed = st.suppressed
	st.last, st.suppressed = now, 0
	return suppressed, true
}
