package httpparse

import (
	"cmp"
	"container/list"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/internal/ratelog"
	"github.com/otelcol-trace/otelcol-trace/processor/httpparse/internal/h1"
	"github.com/otelcol-trace/otelcol-trace/processor/httpparse/internal/sse"
)

// Names of the payload records this processor reads (docs/events.md).
const (
	payloadEventName  = "net.payload"
	exchangeEventName = "http.exchange"

	attrDirection     = "network.io.direction"
	attrConnID        = "connection.id"
	attrConnSeq       = "connection.sequence"
	attrConnRole      = "connection.role"
	attrSource        = "payload.source"
	attrLength        = "payload.length"
	attrOffset        = "payload.offset"
	attrChunkIndex    = "payload.chunk.index"
	attrChunkCount    = "payload.chunk.count"
	attrCallDuration  = "payload.call.duration"
	attrPeerAddress   = "network.peer.address"
	attrPeerPort      = "network.peer.port"
	attrLocalAddress  = "network.local.address"
	attrLocalPort     = "network.local.port"
	maxReorderRecords = 256
	// startReorderWindow: a connection first seen at a sequence number up
	// to this waits for the records before it.
	startReorderWindow = 16
	// forgetAfterIdleTimeouts: a connection silent for this many idle
	// timeouts is forgotten (it is flushed after one).
	forgetAfterIdleTimeouts = 10
)

// payloadOnlyAttr reports whether an attribute describes one captured call
// rather than the connection, and is therefore not copied to exchanges.
func payloadOnlyAttr(k string) bool {
	switch k {
	case attrDirection, attrConnSeq, attrLength, attrOffset, attrChunkIndex, attrChunkCount, attrCallDuration,
		"payload.truncated", "payload.library.path", "thread.id":
		return true
	}
	return false
}

// payloadRec is one usable net.payload record.
type payloadRec struct {
	connID     string
	seq        int64
	transmit   bool
	data       []byte
	start, end int64
	missing    int64
	attrs      pcommon.Map
	resource   pcommon.Resource
}

// connState is the processor's state for one connection.
type connState struct {
	id           string
	eng          *h1.Conn
	next         int64
	reorder      []payloadRec
	reorderBytes int
	attrs        pcommon.Map
	resource     pcommon.Resource
	resKey       string
	role         string
	tls          bool
	lastSeen     time.Time
	firstTS      int64 // Timestamp of the record with sequence 0
	elem         *list.Element
}

// completed is an exchange ready to be emitted, with its connection.
type completed struct {
	ex *h1.Exchange
	cs *connState
}

type httpParseProcessor struct {
	cfg      *Config
	logger   *zap.Logger
	next     consumer.Logs
	tel      *telemetry
	pool     *h1.Pool
	lim      h1.Limits
	filter   *exchangeFilter
	redactor *redactor
	now      func() time.Time

	mu    sync.Mutex
	conns map[string]*connState
	lru   *list.List // front: most recently used
	// reqHeaderKeys and respHeaderKeys cache header attribute keys; taken
	// is scratch for harvest. All three are used under mu.
	reqHeaderKeys, respHeaderKeys headerKeys
	taken                         []*h1.Exchange
	// decoder decodes compressed bodies (under mu).
	decoder bodyDecoder

	// dropLog writes the drop warnings, at most once per reason and
	// dropLogInterval.
	dropLog *ratelog.Logger

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newProcessor(set processor.Settings, cfg *Config, next consumer.Logs) (*httpParseProcessor, error) {
	tel, err := newTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, err
	}
	f, err := newExchangeFilter(cfg.Include, cfg.Exclude)
	if err != nil {
		return nil, fmt.Errorf("build filters: %w", err)
	}
	return &httpParseProcessor{
		cfg:      cfg,
		logger:   set.Logger,
		next:     next,
		tel:      tel,
		pool:     h1.NewPool(64 << 10),
		filter:   f,
		redactor: newRedactor(cfg.Redaction),
		now:      time.Now,
		lim: h1.Limits{
			MaxHeaderBytes:    cfg.MaxHeaderBytes,
			MaxBodyBytes:      cfg.MaxBodyBytes,
			MaxPending:        cfg.MaxPendingRequests,
			MaxUndecidedBytes: 64 << 10,
			SSE: sse.Limits{
				MaxEvents:     cfg.SSE.MaxEvents,
				MaxEventBytes: cfg.SSE.MaxEventBytes,
				MaxTextBytes:  cfg.SSE.MaxTextBytes,
			},
		},
		conns:          make(map[string]*connState),
		lru:            list.New(),
		reqHeaderKeys:  newHeaderKeys("http.request.header."),
		respHeaderKeys: newHeaderKeys("http.response.header."),
		decoder:        bodyDecoder{keep: 4 * (cfg.MaxBodyBytes + 512)},
		dropLog:        ratelog.New(set.Logger, dropLogInterval),
		stop:           make(chan struct{}),
	}, nil
}

func (p *httpParseProcessor) asProcessor(ctx context.Context, set processor.Settings, cfg component.Config) (processor.Logs, error) {
	return processorhelper.NewLogs(ctx, set, cfg, p.next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown))
}

func (p *httpParseProcessor) start(context.Context, component.Host) error {
	interval := max(p.cfg.IdleTimeout/4, 10*time.Millisecond)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.flushIdle(context.Background(), p.now(), false)
			}
		}
	}()
	return nil
}

func (p *httpParseProcessor) shutdown(ctx context.Context) error {
	p.stopOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
	// Everything still pending is emitted as incomplete.
	return p.flushIdle(ctx, p.now(), true)
}

// flushIdle flushes the connections silent for IdleTimeout (all of them
// when all is set) and sends what that completes to the next consumer.
func (p *httpParseProcessor) flushIdle(ctx context.Context, now time.Time, all bool) error {
	var c counts
	var done []completed
	p.mu.Lock()
	for e := p.lru.Back(); e != nil; {
		cs := e.Value.(*connState)
		prev := e.Prev()
		idle := now.Sub(cs.lastSeen)
		if !all && idle < p.cfg.IdleTimeout {
			break // the rest is more recent
		}
		if all || idle >= forgetAfterIdleTimeouts*p.cfg.IdleTimeout {
			done = p.endConn(cs, done, &c)
		} else {
			// Flush, but remember where the connection's sequence is: a
			// keep-alive connection may be quiet for a while.
			done = p.flushConn(cs, done, &c)
		}
		e = prev
	}
	out := p.emit(done, &c)
	p.mu.Unlock()
	p.tel.record(ctx, &c)
	p.logDrops(&c)
	if out.LogRecordCount() == 0 {
		return nil
	}
	if err := p.next.ConsumeLogs(ctx, out); err != nil {
		p.logger.Warn("httpparse: sending flushed exchanges failed", zap.Error(err), zap.Int("records", out.LogRecordCount()))
		return fmt.Errorf("send flushed exchanges: %w", err)
	}
	return nil
}

// flushConn ends what cs holds: records still missing are declared lost,
// pending exchanges are emitted incomplete.
func (p *httpParseProcessor) flushConn(cs *connState, done []completed, c *counts) []completed {
	if len(cs.reorder) > 0 {
		c.gapIdle++
		cs.eng.Gap()
		p.drainReorder(cs, c, true)
	}
	cs.eng.Flush()
	return p.harvest(cs, done, c)
}

// endConn flushes cs and forgets it.
func (p *httpParseProcessor) endConn(cs *connState, done []completed, c *counts) []completed {
	done = p.flushConn(cs, done, c)
	cs.eng.Release()
	p.lru.Remove(cs.elem)
	delete(p.conns, cs.id)
	return done
}

// processLogs turns the payload records of ld into exchanges.
func (p *httpParseProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var c counts
	recs := p.extract(ld, &c)
	var out plog.Logs
	if len(recs) > 0 {
		now := p.now()
		p.mu.Lock()
		var done []completed
		for i := range recs {
			done = p.accept(&recs[i], now, done, &c)
		}
		out = p.emit(done, &c)
		p.mu.Unlock()
	}
	p.tel.record(ctx, &c)
	p.logDrops(&c)
	if !p.cfg.PassRawPayloads {
		removePayloads(ld)
	}
	if len(recs) > 0 && out.LogRecordCount() > 0 {
		out.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	}
	return ld, nil
}

// extract collects the net.payload records of ld, sorted by connection and
// sequence. The records stay in ld (their attributes are read while the
// connections are updated); removePayloads drops them afterwards.
func (p *httpParseProcessor) extract(ld plog.Logs, c *counts) []payloadRec {
	rls := ld.ResourceLogs()
	n := 0
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			n += sls.At(j).LogRecords().Len()
		}
	}
	if n == 0 {
		return nil
	}
	recs := make([]payloadRec, 0, n)
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if lr.EventName() != payloadEventName {
					continue
				}
				if r, ok := toPayloadRec(lr, rl.Resource()); ok {
					recs = append(recs, r)
				} else {
					c.badRecords++
				}
			}
		}
	}
	slices.SortStableFunc(recs, func(a, b payloadRec) int {
		if a.connID != b.connID {
			return cmp.Compare(a.connID, b.connID)
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return recs
}

// removePayloads drops the net.payload records (and what they leave empty).
func removePayloads(ld plog.Logs) {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sls.At(j).LogRecords().RemoveIf(func(lr plog.LogRecord) bool { return lr.EventName() == payloadEventName })
		}
		sls.RemoveIf(func(sl plog.ScopeLogs) bool { return sl.LogRecords().Len() == 0 })
	}
	rls.RemoveIf(func(rl plog.ResourceLogs) bool { return rl.ScopeLogs().Len() == 0 })
}

// toPayloadRec reads one net.payload record; ok is false when it lacks what
// reassembly needs.
func toPayloadRec(lr plog.LogRecord, res pcommon.Resource) (payloadRec, bool) {
	a := lr.Attributes()
	id, ok := a.Get(attrConnID)
	if !ok || id.Str() == "" {
		return payloadRec{}, false
	}
	seq, ok := a.Get(attrConnSeq)
	if !ok || seq.Type() != pcommon.ValueTypeInt || seq.Int() < 0 {
		return payloadRec{}, false
	}
	dir, ok := a.Get(attrDirection)
	if !ok || (dir.Str() != "transmit" && dir.Str() != "receive") {
		return payloadRec{}, false
	}
	var data []byte
	switch lr.Body().Type() {
	case pcommon.ValueTypeBytes:
		data = lr.Body().Bytes().AsRaw()
	case pcommon.ValueTypeStr:
		// tolerated: a producer that stored the plaintext as a string
		data = []byte(lr.Body().Str())
	case pcommon.ValueTypeEmpty:
	default:
		return payloadRec{}, false
	}
	r := payloadRec{connID: id.Str(), seq: seq.Int(), transmit: dir.Str() == "transmit", data: data, attrs: a, resource: res}
	ts := int64(lr.Timestamp())
	if ts == 0 {
		ts = int64(lr.ObservedTimestamp())
	}
	r.start, r.end = ts, ts
	if r.transmit {
		// The data of a write exists from the call's entry.
		if d, ok := a.Get(attrCallDuration); ok && d.Type() == pcommon.ValueTypeDouble && d.Double() > 0 {
			r.start = ts - int64(d.Double()*1e9)
		}
	}
	// Bytes cut at the capture limit are missing at the end of the call.
	if l, ok := a.Get(attrLength); ok && l.Type() == pcommon.ValueTypeInt {
		last := true
		if ci, ok := a.Get(attrChunkIndex); ok {
			if cc, ok := a.Get(attrChunkCount); ok && ci.Int() != cc.Int()-1 {
				last = false
			}
		}
		var off int64
		if o, ok := a.Get(attrOffset); ok && o.Type() == pcommon.ValueTypeInt {
			off = o.Int()
		}
		if m := l.Int() - off - int64(len(data)); last && m > 0 {
			r.missing = m
		}
	}
	return r, true
}

// accept runs one record through its connection's reassembly.
func (p *httpParseProcessor) accept(r *payloadRec, now time.Time, done []completed, c *counts) []completed {
	cs, ok := p.conns[r.connID]
	if !ok {
		if len(p.conns) >= p.cfg.MaxConnections {
			if e := p.lru.Back(); e != nil {
				c.limitConnections++
				done = p.endConn(e.Value.(*connState), done, c)
			}
		}
		cs = p.newConn(r)
	}
	if r.seq == 0 && cs.next > 1 && r.end != cs.firstTS && len(cs.reorder) == 0 && cs.eng.Idle() {
		// Sequence 0 again, and not a duplicate of the first record (whose
		// kernel timestamp it would carry): the identity was reused (a TLS
		// object freed and allocated again at the same address), a new
		// connection starts.
		done = p.endConn(cs, done, c)
		cs = p.newConn(r)
	}
	cs.lastSeen = now
	p.lru.MoveToFront(cs.elem)
	if r.seq == 0 && cs.firstTS == 0 {
		cs.firstTS = r.end
	}
	switch {
	case r.seq < cs.next:
		c.duplicates++
		return done
	case r.seq == cs.next:
		p.deliver(cs, r, c)
		cs.next++
		p.drainReorder(cs, c, false)
	default:
		i, found := slices.BinarySearchFunc(cs.reorder, r.seq, func(a payloadRec, s int64) int { return cmp.Compare(a.seq, s) })
		if found {
			c.duplicates++
			return done
		}
		rr := *r
		rr.attrs, rr.resource = pcommon.Map{}, pcommon.Resource{}
		cs.reorder = slices.Insert(cs.reorder, i, rr)
		cs.reorderBytes += len(r.data)
		if cs.reorderBytes > p.cfg.MaxBufferedBytesPerConnection || len(cs.reorder) > maxReorderRecords {
			c.gapBufferFull++
			cs.eng.Gap()
			p.drainReorder(cs, c, true)
		}
	}
	return p.harvest(cs, done, c)
}

// drainReorder delivers buffered records that are next in sequence; with
// skip it first jumps over the missing ones.
func (p *httpParseProcessor) drainReorder(cs *connState, c *counts, skip bool) {
	if skip && len(cs.reorder) > 0 {
		cs.next = cs.reorder[0].seq
	}
	n := 0
	for n < len(cs.reorder) && cs.reorder[n].seq == cs.next {
		p.deliver(cs, &cs.reorder[n], c)
		cs.reorderBytes -= len(cs.reorder[n].data)
		cs.next++
		n++
	}
	if n > 0 {
		clear(cs.reorder[:n])
		cs.reorder = slices.Delete(cs.reorder, 0, n)
	}
}

func (p *httpParseProcessor) deliver(cs *connState, r *payloadRec, c *counts) {
	cs.eng.Feed(r.transmit, r.data, r.start, r.end)
	if r.missing > 0 {
		c.gapTruncated++
		cs.eng.Skip(r.transmit, r.missing, r.end)
	}
}

func (p *httpParseProcessor) newConn(r *payloadRec) *connState {
	cs := &connState{id: r.connID, eng: h1.NewConn(p.lim, p.pool), next: r.seq, attrs: pcommon.NewMap(), resource: pcommon.NewResource()}
	if r.seq <= startReorderWindow {
		// The first records of a connection may arrive out of order: wait
		// for the ones before it (a gap is declared if they never come).
		// A connection first seen further in is taken up where it is.
		cs.next = 0
	}
	r.attrs.Range(func(k string, v pcommon.Value) bool {
		if !payloadOnlyAttr(k) {
			v.CopyTo(cs.attrs.PutEmpty(k))
		}
		return true
	})
	r.resource.CopyTo(cs.resource)
	var key strings.Builder
	cs.resource.Attributes().Range(func(k string, v pcommon.Value) bool {
		key.WriteString(k)
		key.WriteByte('=')
		key.WriteString(v.AsString())
		key.WriteByte(0)
		return true
	})
	cs.resKey = key.String()
	if v, ok := r.attrs.Get(attrConnRole); ok {
		cs.role = v.Str()
		switch cs.role {
		case "client":
			cs.eng.SetRequestDirection(true)
		case "server":
			cs.eng.SetRequestDirection(false)
		}
	}
	if v, ok := r.attrs.Get(attrSource); ok {
		cs.tls = v.Str() != "socket" && v.Str() != ""
	}
	cs.elem = p.lru.PushFront(cs)
	p.conns[cs.id] = cs
	return cs
}

// harvest takes the connection's completed exchanges and its discard counts.
func (p *httpParseProcessor) harvest(cs *connState, done []completed, c *counts) []completed {
	s := &cs.eng.Stats
	c.unparsedBytes += s.UnparsedBytes
	c.notHTTPBytes += s.NotHTTPBytes
	c.upgradedBytes += s.UpgradedBytes
	c.parseErrors += s.ParseErrors
	c.unpaired += s.UnpairedResponses
	c.partialRequests += s.PartialRequests
	c.limitPending += s.PendingOverflow
	*s = h1.Stats{}
	p.taken = cs.eng.TakeCompleted(p.taken[:0])
	for _, ex := range p.taken {
		done = append(done, completed{ex: ex, cs: cs})
	}
	clear(p.taken)
	return done
}

// dropLogInterval is the least time between two drop warnings of one reason.
const dropLogInterval = 10 * time.Second

// logDrops logs what was dropped, at most once per reason every 10 seconds.
func (p *httpParseProcessor) logDrops(c *counts) {
	type drop struct {
		reason string
		n      int64
	}
	drops := []drop{
		{"bad_record", c.badRecords}, {"duplicate", c.duplicates}, {"unparsed_bytes", c.unparsedBytes},
		{"not_http_bytes", c.notHTTPBytes}, {"upgraded_bytes", c.upgradedBytes}, {"parse_error", c.parseErrors},
		{"unpaired_response", c.unpaired}, {"partial_request", c.partialRequests}, {"gap_buffer_full", c.gapBufferFull},
		{"gap_idle", c.gapIdle},
		{"max_connections", c.limitConnections}, {"max_pending_requests", c.limitPending},
	}
	for _, d := range drops {
		if d.n == 0 {
			continue
		}
		p.dropLog.Warn(d.reason, "httpparse dropped data (logged at most every 10s per reason; see otelcol_httpparse_* metrics)",
			zap.String("reason", d.reason), zap.Int64("count", d.n))
	}
}
