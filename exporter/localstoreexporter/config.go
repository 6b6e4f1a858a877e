package localstoreexporter

import (
	"errors"
	"fmt"
	"time"
)

// Config is the configuration of the localstore exporter.
type Config struct {
	// Directory is the data directory that holds events.db. Empty means the
	// default: $OTELCOL_TRACE_DATA_DIR, else /var/lib/otelcol-trace as root,
	// else $XDG_STATE_HOME/otelcol-trace (or ~/.local/state/otelcol-trace).
	Directory string `mapstructure:"directory"`
	// Batch controls how records are grouped into transactions.
	Batch BatchConfig `mapstructure:"batch"`
	// Retention controls what is deleted, and how often that is checked.
	Retention RetentionConfig `mapstructure:"retention"`
}

// BatchConfig controls the write batching. A batch is one transaction: a
// crash loses at most the batch in flight (at most max_records records or
// flush_interval worth of them) and the queued requests.
type BatchConfig struct {
	// MaxRecords commits a batch as soon as it holds this many records.
	MaxRecords int `mapstructure:"max_records"`
	// FlushInterval commits a non-empty batch at least this often.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// QueueSize is how many requests (ConsumeLogs/Traces/Metrics calls) may
	// wait for the writer; when full, callers block (back-pressure) until
	// their context ends.
	QueueSize int `mapstructure:"queue_size"`
}

// RetentionConfig controls the deletion of old data.
type RetentionConfig struct {
	// MaxAge deletes events older than this (by event time). 0 keeps them.
	MaxAge time.Duration `mapstructure:"max_age"`
	// MaxSizeMiB deletes the oldest events while the database is larger
	// than this, down to 90% of it. 0 means no limit.
	MaxSizeMiB int64 `mapstructure:"max_size_mib"`
	// CheckInterval is how often retention is applied (also once at start).
	CheckInterval time.Duration `mapstructure:"check_interval"`
	// MinuteRollups is how long per-minute roll-ups are kept. 0 keeps them.
	MinuteRollups time.Duration `mapstructure:"minute_rollups"`
	// HourRollups is how long per-hour roll-ups are kept. 0 keeps them.
	HourRollups time.Duration `mapstructure:"hour_rollups"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Batch.MaxRecords <= 0 {
		errs = append(errs, fmt.Errorf("batch.max_records must be positive, got %d", c.Batch.MaxRecords))
	}
	if c.Batch.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("batch.flush_interval must be positive, got %s", c.Batch.FlushInterval))
	}
	if c.Batch.QueueSize <= 0 {
		errs = append(errs, fmt.Errorf("batch.queue_size must be positive, got %d", c.Batch.QueueSize))
	}
	if c.Retention.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("retention.max_age must not be negative, got %s", c.Retention.MaxAge))
	}
	if c.Retention.MaxSizeMiB < 0 {
		errs = append(errs, fmt.Errorf("retention.max_size_mib must not be negative, got %d", c.Retention.MaxSizeMiB))
	}
	if c.Retention.CheckInterval <= 0 {
		errs = append(errs, fmt.Errorf("retention.check_interval must be positive, got %s", c.Retention.CheckInterval))
	}
	if c.Retention.MinuteRollups < 0 {
		errs = append(errs, fmt.Errorf("retention.minute_rollups must not be negative, got %s", c.Retention.MinuteRollups))
	}
	if c.Retention.HourRollups < 0 {
		errs = append(errs, fmt.Errorf("retention.hour_rollups must not be negative, got %s", c.Retention.HourRollups))
	}
	if c.Retention.MinuteRollups > 0 && c.Retention.HourRollups > 0 && c.Retention.HourRollups < c.Retention.MinuteRollups {
		errs = append(errs, fmt.Errorf("retention.hour_rollups (%s) must not be shorter than retention.minute_rollups (%s)",
			c.Retention.HourRollups, c.Retention.MinuteRollups))
	}
	return errors.Join(errs...)
}
