// Package sse decodes a text/event-stream body incrementally by the WHATWG
// "Server-sent events" parsing rules and merges the events of known LLM
// streaming formats (OpenAI chat/completions and responses, Anthropic
// messages) into readable text. Everything it keeps is bounded by Limits.
package sse

import (
	"bytes"
	"encoding/json"
)

// Limits bounds what a Decoder keeps in memory.
type Limits struct {
	// MaxEvents is how many events are kept in Events; later ones are only counted.
	MaxEvents int
	// MaxEventBytes bounds the data of one event (kept and buffered).
	MaxEventBytes int
	// MaxTextBytes bounds each merged text (Text, Thinking, ToolInput).
	MaxTextBytes int
}

// DefaultLimits returns the limits used when none are configured.
func DefaultLimits() Limits {
	return Limits{MaxEvents: 64, MaxEventBytes: 4096, MaxTextBytes: 64 << 10}
}

// Event is one dispatched server-sent event.
type Event struct {
	// Type is the event type; "message" when the stream gave none.
	Type string
	// Data is the event's data, lines joined by LF, cut at MaxEventBytes.
	Data string
	// ID is the last event ID in effect when the event was dispatched.
	ID string
	// Truncated is true when Data was cut.
	Truncated bool
}

// Format names of the LLM streaming formats the decoder recognizes.
const (
	FormatOpenAIChat      = "openai.chat_completions"
	FormatOpenAIResponses = "openai.responses"
	FormatAnthropic       = "anthropic.messages"
)

// Decoder is an incremental text/event-stream decoder. The zero value is not
// usable; call Reset first.
type Decoder struct {
	lim Limits

	line        []byte // partial line carried over between Feed calls
	lineCut     bool   // the partial line exceeded MaxEventBytes
	skipLF      bool   // the previous chunk ended with CR: a leading LF belongs to it
	started     bool   // first byte seen (BOM handling)
	data        []byte // data buffer of the event being built
	dataCut     bool
	eventType   []byte
	lastEventID []byte

	// Events holds the first MaxEvents dispatched events.
	Events []Event
	// EventCount counts every dispatched event.
	EventCount int
	// FirstEventTime is the time passed to Feed when the first event was
	// dispatched (0 when none was).
	FirstEventTime int64
	// Retry is the last valid reconnection time in milliseconds (-1 if none).
	Retry int64
	// Format is the recognized LLM streaming format, empty when none.
	Format string
	// Text, Thinking and ToolInput are the concatenated deltas of the
	// recognized format: output text, reasoning text, tool-call JSON.
	Text, Thinking, ToolInput []byte
	// TextTruncated is true when one of the merged texts hit MaxTextBytes.
	TextTruncated bool
	// Done is true when the format's end marker was seen ([DONE],
	// response.completed, message_stop).
	Done bool

	// chunk and adelta are scratch for merge, reused between events.
	chunk  llmChunk
	adelta anthropicDelta
}

// Reset prepares d for a new stream with the given limits, keeping buffers.
func (d *Decoder) Reset(lim Limits) {
	if lim.MaxEventBytes <= 0 {
		lim.MaxEventBytes = DefaultLimits().MaxEventBytes
	}
	*d = Decoder{
		lim:         lim,
		line:        d.line[:0],
		data:        d.data[:0],
		eventType:   d.eventType[:0],
		lastEventID: d.lastEventID[:0],
		Events:      d.Events[:0],
		Text:        d.Text[:0],
		Thinking:    d.Thinking[:0],
		ToolInput:   d.ToolInput[:0],
		Retry:       -1,
		chunk:       llmChunk{Delta: d.chunk.Delta[:0]},
	}
}

// Feed decodes the next bytes of the stream; ts is attributed to events
// dispatched by these bytes.
func (d *Decoder) Feed(p []byte, ts int64) {
	if !d.started && len(p) > 0 {
		d.started = true
		p = bytes.TrimPrefix(p, []byte("\xEF\xBB\xBF"))
	}
	if d.skipLF && len(p) > 0 {
		d.skipLF = false
		if p[0] == '\n' {
			p = p[1:]
		}
	}
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			d.appendLine(p)
			return
		}
		var line []byte
		if len(d.line) > 0 || d.lineCut {
			d.appendLine(p[:i])
			line = d.line
		} else {
			line = p[:i]
		}
		cut := d.lineCut
		if p[i] == '\r' {
			if i+1 < len(p) {
				if p[i+1] == '\n' {
					i++
				}
			} else {
				d.skipLF = true
			}
		}
		p = p[i+1:]
		d.processLine(line, cut, ts)
		d.line = d.line[:0]
		d.lineCut = false
	}
}

func (d *Decoder) appendLine(p []byte) {
	room := d.lim.MaxEventBytes + 16 - len(d.line)
	if len(p) > room {
		p = p[:max(room, 0)]
		d.lineCut = true
	}
	d.line = append(d.line, p...)
}

func (d *Decoder) processLine(line []byte, cut bool, ts int64) {
	if len(line) == 0 {
		d.dispatch(ts)
		return
	}
	if line[0] == ':' {
		return // comment
	}
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "event":
		d.eventType = append(d.eventType[:0], value...)
	case "data":
		if cut {
			d.dataCut = true
		}
		room := d.lim.MaxEventBytes - len(d.data)
		if len(value)+1 > room {
			d.dataCut = true
			value = value[:max(room-1, 0)]
			if room <= 0 {
				return
			}
		}
		d.data = append(d.data, value...)
		d.data = append(d.data, '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.lastEventID = append(d.lastEventID[:0], value...)
		}
	case "retry":
		if len(value) == 0 {
			return
		}
		var n int64
		for _, c := range value {
			if c < '0' || c > '9' || n > 1<<40 {
				return
			}
			n = n*10 + int64(c-'0')
		}
		d.Retry = n
	}
}

// dispatch ends the event being built (an empty line was read).
func (d *Decoder) dispatch(ts int64) {
	if len(d.data) == 0 && !d.dataCut {
		d.eventType = d.eventType[:0]
		return
	}
	data := d.data
	if n := len(data); n > 0 && data[n-1] == '\n' {
		data = data[:n-1]
	}
	d.EventCount++
	if d.EventCount == 1 {
		d.FirstEventTime = ts
	}
	typ := "message"
	if len(d.eventType) > 0 {
		typ = eventTypeString(d.eventType)
	}
	d.merge(typ, data)
	if len(d.Events) < d.lim.MaxEvents {
		id := ""
		if len(d.lastEventID) > 0 {
			// The last event ID usually stays the same: share its string.
			if n := len(d.Events); n > 0 && d.Events[n-1].ID == string(d.lastEventID) {
				id = d.Events[n-1].ID
			} else {
				id = string(d.lastEventID)
			}
		}
		d.Events = append(d.Events, Event{Type: typ, Data: string(data), ID: id, Truncated: d.dataCut})
	}
	d.data = d.data[:0]
	d.dataCut = false
	d.eventType = d.eventType[:0]
}

// Finish ends the stream: an event not terminated by an empty line is
// discarded, as the WHATWG rules say for end of file.
func (d *Decoder) Finish() {
	d.line = d.line[:0]
	d.data = d.data[:0]
	d.eventType = d.eventType[:0]
}

// eventTypeString returns the event type as a string, without allocating
// for the types of the recognized formats.
func eventTypeString(t []byte) string {
	switch string(t) {
	case "message":
		return "message"
	case "message_start":
		return "message_start"
	case "message_delta":
		return "message_delta"
	case "message_stop":
		return "message_stop"
	case "content_block_start":
		return "content_block_start"
	case "content_block_delta":
		return "content_block_delta"
	case "content_block_stop":
		return "content_block_stop"
	case "ping":
		return "ping"
	case "error":
		return "error"
	case "response.created":
		return "response.created"
	case "response.in_progress":
		return "response.in_progress"
	case "response.output_text.delta":
		return "response.output_text.delta"
	case "response.completed":
		return "response.completed"
	}
	return string(t)
}

// llmChunk is the union of the JSON shapes of the recognized formats.
type llmChunk struct {
	Type    string          `json:"type"`
	Object  string          `json:"object"`
	Delta   json.RawMessage `json:"delta"`
	Choices []struct {
		Index int    `json:"index"`
		Text  string `json:"text"`
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
			ToolCalls        []struct {
				Function struct {
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
	} `json:"choices"`
}

type anthropicDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Thinking    string `json:"thinking"`
	PartialJSON string `json:"partial_json"`
}

func (d *Decoder) merge(typ string, data []byte) {
	if string(data) == "[DONE]" {
		d.Done = true
		if d.Format == "" {
			d.Format = FormatOpenAIChat
		}
		return
	}
	if len(data) == 0 || data[0] != '{' {
		return
	}
	// Decode into the reused scratch value, cleared first (Unmarshal
	// leaves fields absent from the JSON as they are); the Delta buffer is
	// reused (RawMessage copies into it).
	d.chunk = llmChunk{Delta: d.chunk.Delta[:0]}
	c := &d.chunk
	if err := json.Unmarshal(data, c); err != nil {
		return
	}
	kind := c.Type
	if kind == "" && typ != "message" {
		kind = typ
	}
	switch kind {
	case "content_block_delta":
		d.adelta = anthropicDelta{}
		ad := &d.adelta
		if len(c.Delta) == 0 || json.Unmarshal(c.Delta, ad) != nil {
			return
		}
		d.Format = FormatAnthropic
		switch ad.Type {
		case "text_delta":
			d.Text = d.appendText(d.Text, ad.Text)
		case "thinking_delta":
			d.Thinking = d.appendText(d.Thinking, ad.Thinking)
		case "input_json_delta":
			d.ToolInput = d.appendText(d.ToolInput, ad.PartialJSON)
		}
		return
	case "message_start", "content_block_start", "content_block_stop", "message_delta", "ping":
		d.Format = FormatAnthropic
		return
	case "message_stop":
		d.Format = FormatAnthropic
		d.Done = true
		return
	case "response.output_text.delta", "response.reasoning_summary_text.delta", "response.reasoning_text.delta",
		"response.function_call_arguments.delta":
		var s string
		if len(c.Delta) == 0 || json.Unmarshal(c.Delta, &s) != nil {
			return
		}
		d.Format = FormatOpenAIResponses
		switch kind {
		case "response.output_text.delta":
			d.Text = d.appendText(d.Text, s)
		case "response.function_call_arguments.delta":
			d.ToolInput = d.appendText(d.ToolInput, s)
		default:
			d.Thinking = d.appendText(d.Thinking, s)
		}
		return
	case "response.completed", "response.incomplete", "response.failed":
		d.Format = FormatOpenAIResponses
		d.Done = true
		return
	}
	if len(c.Choices) == 0 {
		if c.Object == "chat.completion.chunk" || c.Object == "text_completion" {
			d.Format = FormatOpenAIChat
		}
		return
	}
	d.Format = FormatOpenAIChat
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		d.Text = d.appendText(d.Text, ch.Delta.Content)
		d.Text = d.appendText(d.Text, ch.Text)
		d.Thinking = d.appendText(d.Thinking, ch.Delta.ReasoningContent)
		for _, tc := range ch.Delta.ToolCalls {
			d.ToolInput = d.appendText(d.ToolInput, tc.Function.Arguments)
		}
	}
}

func (d *Decoder) appendText(dst []byte, s string) []byte {
	if len(s) == 0 {
		return dst
	}
	room := d.lim.MaxTextBytes - len(dst)
	if len(s) > room {
		d.TextTruncated = true
		s = s[:max(room, 0)]
	}
	return append(dst, s...)
}
