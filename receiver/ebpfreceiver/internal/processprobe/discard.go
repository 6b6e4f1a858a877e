package processprobe

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// discardSink drops records on purpose (tree-only mode) and passes losses on.
type discardSink struct{ probe.Sink }

func (discardSink) EmitLog(func(plog.LogRecord)) bool                 { return true }
func (discardSink) EmitSpan(func(pcommon.Resource, ptrace.Span)) bool { return true }
