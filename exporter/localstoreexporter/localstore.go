package localstoreexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
	"github.com/otelcol-trace/otelcol-trace/internal/ratelog"
)

var errShutDown = errors.New("localstore exporter is shut down")

// errLogInterval is the least time between two error entries of one reason.
const errLogInterval = 10 * time.Second

// localStore owns the store writer and the goroutine that batches records
// into transactions and applies retention.
type localStore struct {
	cfg    *Config
	set    exporter.Settings
	logger *zap.Logger
	errLog *ratelog.Logger
	env    store.Env

	// convMu guards conv: the three signal exporters convert concurrently.
	convMu sync.Mutex
	conv   *recordConverter

	writer *store.Writer
	tel    *storeTelemetry
	host   component.Host
	// failing is true while commits fail; the writer goroutine reports a
	// recoverable error status on the first failure and OK on recovery.
	failing bool
	queue   chan []store.Record
	stop    chan struct{}
	// stopOnce closes stop once: a shutdown cut short by its context may
	// be called again.
	stopOnce sync.Once
	done     chan struct{}
	// onFlush, when set, is called after every commit attempt (tests).
	onFlush func(n int, err error)
	// maxPageCount caps the database (tests simulate a full disk with it).
	maxPageCount int64
}

func newLocalStore(cfg *Config, set exporter.Settings) *localStore {
	return &localStore{
		cfg:    cfg,
		set:    set,
		logger: set.Logger,
		errLog: ratelog.New(set.Logger, errLogInterval, ratelog.WithSuppressedCount("suppressed_since_last_log")),
		env:    store.ProcessEnv(),
		conv:   newRecordConverter(),
	}
}

// directory resolves the configured or default data directory.
func (s *localStore) directory() (string, string) {
	if s.cfg.Directory != "" {
		return s.cfg.Directory, "configured"
	}
	return store.DefaultDir(s.env)
}

func (s *localStore) start(ctx context.Context, host component.Host) error {
	s.host = host
	dir, reason := s.directory()
	w, err := store.OpenWriter(ctx, dir, store.WriterOptions{
		WrittenBy:    s.set.BuildInfo.Command + " " + s.set.BuildInfo.Version,
		MaxPageCount: s.maxPageCount,
	})
	if err != nil {
		return fmt.Errorf("localstore: %w (set directory in the exporter's config or $%s)", err, store.EnvDataDir)
	}
	tel, err := newStoreTelemetry(s.set.TelemetrySettings, s.set.ID, w.FileBytes)
	if err != nil {
		_ = w.Close()
		return fmt.Errorf("localstore: %w", err)
	}
	s.writer, s.tel = w, tel
	s.queue = make(chan []store.Record, s.cfg.Batch.QueueSize)
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	s.logger.Info("Local event store opened", zap.String("path", w.Path()), zap.String("directory_from", reason),
		zap.Duration("max_age", s.cfg.Retention.MaxAge), zap.Int64("max_size_mib", s.cfg.Retention.MaxSizeMiB))
	go s.run()
	return nil
}

func (s *localStore) enqueue(ctx context.Context, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if s.queue == nil {
		return errShutDown
	}
	select {
	case <-s.stop:
		return errShutDown
	default:
	}
	select {
	case s.queue <- recs:
		return nil
	case <-s.stop:
		return errShutDown
	case <-ctx.Done():
		return fmt.Errorf("localstore queue full: %w", ctx.Err())
	}
}

func (s *localStore) consumeLogs(ctx context.Context, ld plog.Logs) error {
	s.convMu.Lock()
	recs := s.conv.logs(ld, make([]store.Record, 0, ld.LogRecordCount()))
	s.convMu.Unlock()
	return s.enqueue(ctx, recs)
}

func (s *localStore) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	s.convMu.Lock()
	recs := s.conv.traces(td, make([]store.Record, 0, td.SpanCount()))
	s.convMu.Unlock()
	return s.enqueue(ctx, recs)
}

func (s *localStore) consumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	s.convMu.Lock()
	recs := s.conv.metrics(md, make([]store.Record, 0, md.DataPointCount()))
	s.convMu.Unlock()
	return s.enqueue(ctx, recs)
}

// run is the writer goroutine: it batches queued records into transactions
// and applies retention periodically.
func (s *localStore) run() {
	defer close(s.done)
	ctx := context.Background()
	flushTicker := time.NewTicker(s.cfg.Batch.FlushInterval)
	defer flushTicker.Stop()
	retentionTicker := time.NewTicker(s.cfg.Retention.CheckInterval)
	defer retentionTicker.Stop()
	// Retention also runs once at start, here so that a large store does
	// not delay the collector's start.
	s.applyRetention(ctx)
	maxRecords := s.cfg.Batch.MaxRecords
	pending := make([]store.Record, 0, maxRecords)
	flush := func() {
		for len(pending) > 0 {
			n := min(len(pending), maxRecords)
			s.commit(ctx, pending[:n])
			pending = pending[n:]
		}
		pending = make([]store.Record, 0, maxRecords)
	}
	for {
		select {
		case recs := <-s.queue:
			pending = append(pending, recs...)
			if len(pending) >= maxRecords {
				flush()
			}
		case <-flushTicker.C:
			flush()
		case <-retentionTicker.C:
			flush()
			s.applyRetention(ctx)
		case <-s.stop:
			for {
				select {
				case recs := <-s.queue:
					pending = append(pending, recs...)
					continue
				default:
				}
				break
			}
			flush()
			return
		}
	}
}

func (s *localStore) commit(ctx context.Context, recs []store.Record) {
	err := s.writer.Insert(ctx, recs)
	if err == nil {
		s.tel.recordWritten(ctx, len(recs))
		if s.failing {
			s.failing = false
			componentstatus.ReportStatus(s.host, componentstatus.NewEvent(componentstatus.StatusOK))
			s.logger.Info("Writing to the local event store works again", zap.String("path", s.writer.Path()))
		}
	} else {
		if !s.failing {
			s.failing = true
			componentstatus.ReportStatus(s.host, componentstatus.NewRecoverableErrorEvent(err))
		}
		reason := reasonWriteError
		if errors.Is(err, store.ErrDiskFull) {
			reason = reasonDiskFull
		}
		s.tel.recordDropped(ctx, len(recs), reason)
		s.errLog.Error(reason, "Dropped records: could not write them to the local event store",
			zap.String("reason", reason), zap.Int("records", len(recs)), zap.String("path", s.writer.Path()), zap.Error(err))
	}
	if s.onFlush != nil {
		s.onFlush(len(recs), err)
	}
}

func (s *localStore) retention() store.Retention {
	return store.Retention{
		MaxAge:          s.cfg.Retention.MaxAge,
		MaxSizeBytes:    s.cfg.Retention.MaxSizeMiB << 20,
		MinuteRollupAge: s.cfg.Retention.MinuteRollups,
		HourRollupAge:   s.cfg.Retention.HourRollups,
	}
}

func (s *localStore) applyRetention(ctx context.Context) {
	res, err := s.writer.ApplyRetention(ctx, time.Now(), s.retention())
	s.tel.recordDeleted(ctx, res.DeletedByAge, reasonMaxAge)
	s.tel.recordDeleted(ctx, res.DeletedBySize, reasonMaxSize)
	if err != nil {
		s.errLog.Error("retention", "Applying retention to the local event store failed", zap.String("path", s.writer.Path()), zap.Error(err))
		return
	}
	if res.DeletedByAge+res.DeletedBySize > 0 {
		s.logger.Debug("Retention deleted records", zap.Int64("max_age", res.DeletedByAge),
			zap.Int64("max_size", res.DeletedBySize), zap.Int64("size_bytes", res.SizeBytes))
	}
}

func (s *localStore) shutdown(ctx context.Context) error {
	if s.writer == nil {
		return nil
	}
	s.stopOnce.Do(func() { close(s.stop) })
	select {
	case <-s.done:
	case <-ctx.Done():
		// The writer goroutine is still committing; what it has not
		// committed is lost, which the caller asked for by cancelling.
		return fmt.Errorf("localstore shutdown: %w", ctx.Err())
	}
	// Requests that raced with the stop are counted, not lost silently.
	for {
		select {
		case recs := <-s.queue:
			s.tel.recordDropped(ctx, len(recs), reasonShutdown)
			continue
		default:
		}
		break
	}
	s.tel.close()
	err := s.writer.Close()
	s.writer = nil
	return err
}
