package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"context"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/internal/ratelog"
)

// topologyProcessor adds container, pod and namespace metadata to the
// records, spans and data points that carry linux.cgroup.id or process.pid.
type topologyProcessor struct {
	cfg      *Config
	res      *resolver
	hostName string
	logger   *zap.Logger
	tel      *telemetry
	missLog  *ratelog.Logger
}

// missCounts counts, per reason, what one batch left without metadata.
type missCounts map[string]int64

// batchState is what one pass over a batch collects.
type batchState struct {
	retry  []pcommon.Map
	missed missCounts
}

func (p *topologyProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var st batchState
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		found := p.enrich(rl.Resource().Attributes(), &st, false)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				found = p.enrich(lrs.At(k).Attributes(), &st, false) || found
			}
		}
		if found {
			p.addHostName(rl.Resource().Attributes())
		}
	}
	p.finish(ctx, &st)
	return ld, nil
}

func (p *topologyProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	var st batchState
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		found := p.enrich(rs.Resource().Attributes(), &st, false)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				found = p.enrich(spans.At(k).Attributes(), &st, false) || found
			}
		}
		if found {
			p.addHostName(rs.Resource().Attributes())
		}
	}
	p.finish(ctx, &st)
	return td, nil
}

func (p *topologyProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	var st batchState
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		found := p.enrich(rm.Resource().Attributes(), &st, false)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				forEachDataPoint(ms.At(k), func(attrs pcommon.Map) {
					found = p.enrich(attrs, &st, false) || found
				})
			}
		}
		if found {
			p.addHostName(rm.Resource().Attributes())
		}
	}
	p.finish(ctx, &st)
	return md, nil
}

// forEachDataPoint calls fn with the attributes of every data point of m.
func forEachDataPoint(m pmetric.Metric, fn func(pcommon.Map)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			fn(dps.At(i).Attributes())
		}
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			fn(dps.At(i).Attributes())
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			fn(dps.At(i).Attributes())
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			fn(dps.At(i).Attributes())
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			fn(dps.At(i).Attributes())
		}
	}
}

// finish waits (at most wait_timeout) for the metadata of cgroups and
// containers seen for the first time in this batch, fills what arrived and
// counts what is still missing.
func (p *topologyProcessor) finish(ctx context.Context, st *batchState) {
	if len(st.retry) > 0 {
		p.res.refreshAndWait(ctx, p.cfg.WaitTimeout)
		retry := st.retry
		st.retry = nil
		for _, m := range retry {
			p.enrich(m, st, true)
		}
	}
	var total int64
	for reason, n := range st.missed {
		p.tel.missing.Add(ctx, n, reasonAttr(reason))
		total += n
	}
	if total > 0 {
		p.missLog.Info("missing", "records passed without topology metadata (counted in otelcol_topology_metadata_missing; logged at most every 30s)",
			zap.Int64("records", total), zap.Any("by_reason", map[string]int64(st.missed)))
	}
}

func (st *batchState) miss(reason string) {
	if st.missed == nil {
		st.missed = missCounts{}
	}
	st.missed[reason]++
}

// enrich resolves the keys of one attribute map (a record's, a span's, a
// data point's or a resource's) and writes what it finds into the same map.
// It reports whether the map carried a key.
func (p *topologyProcessor) enrich(m pcommon.Map, st *batchState, final bool) bool {
	cgv, hasCg := m.Get(attrCgroupID)
	pidv, hasPid := m.Get(attrPID)
	if !hasCg && !hasPid {
		return false
	}
	var cgroupID uint64
	if hasCg {
		if v, ok := intValue(cgv); ok && v > 0 {
			cgroupID = uint64(v)
		} else {
			hasCg = false
		}
	}
	var pid int64
	if hasPid {
		if v, ok := intValue(pidv); ok && v > 0 {
			pid = v
		} else {
			hasPid = false
		}
	}
	var res resolution
	switch {
	case hasCg:
		res = p.res.byCgroupID(cgroupID)
	case hasPid:
		res = p.res.byPID(pid)
	default:
		return false
	}
	if res.missing != "" && res.pending && !final && p.cfg.WaitTimeout > 0 {
		st.retry = append(st.retry, m)
	} else if res.missing != "" {
		st.miss(res.missing)
	}
	m.EnsureCapacity(m.Len() + len(res.attrs) + 6)
	for i := range res.attrs {
		a := &res.attrs[i]
		if _, ok := m.Get(a.key); ok {
			continue
		}
		if a.strs != nil {
			s := m.PutEmptySlice(a.key)
			s.EnsureCapacity(len(a.strs))
			for _, v := range a.strs {
				s.AppendEmpty().SetStr(v)
			}
		} else {
			m.PutStr(a.key, a.str)
		}
	}
	if final || res.missing == "" || !res.pending || p.cfg.WaitTimeout == 0 {
		if ns, ok := recordNamespaces(m); ok && hasCg && !res.ns.known() && res.missing != missingUnknownCgroup {
			p.res.learnNamespaces(cgroupID, ns)
		}
		p.writeNamespaces(m, hasPid, pid, res.ns, st)
	}
	return true
}

// writeNamespaces writes linux.namespace.{pid,mnt,net,uts} when absent and
// linux.namespace.host. The namespaces come from the record itself (exec
// events carry them), else from /proc/<pid> of a live process, else from a
// process sampled in the same cgroup.
func (p *topologyProcessor) writeNamespaces(m pcommon.Map, hasPid bool, pid int64, fallback nsSet, st *batchState) {
	if _, ok := m.Get(attrNSHost); ok {
		return
	}
	ns, fromRecord := recordNamespaces(m)
	if !fromRecord {
		ns = nsSet{}
		if hasPid {
			if live, ok := p.res.pidNamespaces(pid); ok {
				ns = live
			}
		}
		if !ns.known() {
			ns = fallback
		}
		if !ns.known() {
			st.miss(missingNamespaces)
			return
		}
		m.PutInt(attrNSPid, ns.pid)
		m.PutInt(attrNSMnt, ns.mnt)
		m.PutInt(attrNSNet, ns.net)
		m.PutInt(attrNSUts, ns.uts)
	}
	if p.res.host.known() {
		m.PutBool(attrNSHost, ns == p.res.host)
	}
}

// recordNamespaces reads linux.namespace.{pid,mnt,net,uts} from m; ok is
// false unless all four are there.
func recordNamespaces(m pcommon.Map) (ns nsSet, ok bool) {
	if ns.pid, ok = intAttr(m, attrNSPid); !ok {
		return ns, false
	}
	if ns.mnt, ok = intAttr(m, attrNSMnt); !ok {
		return ns, false
	}
	if ns.net, ok = intAttr(m, attrNSNet); !ok {
		return ns, false
	}
	if ns.uts, ok = intAttr(m, attrNSUts); !ok {
		return ns, false
	}
	return ns, ns.known()
}

// intAttr reads an int attribute of m (see intValue).
func intAttr(m pcommon.Map, key string) (int64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return 0, false
	}
	return intValue(v)
}

// addHostName writes host.name into m (a resource) when absent.
func (p *topologyProcessor) addHostName(m pcommon.Map) {
	if p.hostName == "" {
		return
	}
	if _, ok := m.Get(attrHostName); !ok {
		m.PutStr(attrHostName, p.hostName)
	}
}

// intValue reads an int attribute, accepting the decimal string and double
// forms other pipelines may have turned it into.
func intValue(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeDouble:
		return int64(v.Double()), true
	case pcommon.ValueTypeStr:
		n, err := strconv.ParseInt(v.Str(), 10, 64)
		return n, err == nil
	}
	return 0, false
}
