package sse

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decode(t *testing.T, pieces ...string) *Decoder {
	t.Helper()
	var d Decoder
	d.Reset(DefaultLimits())
	for i, p := range pieces {
		d.Feed([]byte(p), int64(i+1))
	}
	d.Finish()
	return &d
}

// TestWHATWG covers the parsing rules of the HTML standard's event-stream
// section.
func TestWHATWG(t *testing.T) {
	cases := []struct {
		name   string
		pieces []string
		want   []Event
	}{
		{"lf", []string{"data: a\n\n"}, []Event{{Type: "message", Data: "a"}}},
		{"crlf", []string{"data: a\r\n\r\n"}, []Event{{Type: "message", Data: "a"}}},
		{"cr", []string{"data: a\r\rdata: b\r\r"}, []Event{{Type: "message", Data: "a"}, {Type: "message", Data: "b"}}},
		{"crlf_split_between_pieces", []string{"data: a\r", "\n\r", "\ndata: b\n\n"}, []Event{{Type: "message", Data: "a"}, {Type: "message", Data: "b"}}},
		{"multi_line_data", []string{"data: a\ndata: b\n\n"}, []Event{{Type: "message", Data: "a\nb"}}},
		{"only_one_leading_space_removed", []string{"data:  two\n\n"}, []Event{{Type: "message", Data: " two"}}},
		{"no_space", []string{"data:x\n\n"}, []Event{{Type: "message", Data: "x"}}},
		{"field_without_colon", []string{"data\n\n"}, []Event{{Type: "message", Data: ""}}},
		{"empty_data_dispatches", []string{"data\ndata\n\n"}, []Event{{Type: "message", Data: "\n"}}},
		{"comment_ignored", []string{": hello\ndata: a\n\n"}, []Event{{Type: "message", Data: "a"}}},
		{"event_type", []string{"event: add\ndata: 1\n\ndata: 2\n\n"}, []Event{{Type: "add", Data: "1"}, {Type: "message", Data: "2"}}},
		{"event_without_data_not_dispatched", []string{"event: x\n\ndata: y\n\n"}, []Event{{Type: "message", Data: "y"}}},
		{"id_persists", []string{"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"}, []Event{{Type: "message", Data: "a", ID: "7"}, {Type: "message", Data: "b", ID: "7"}, {Type: "message", Data: "c"}}},
		{"id_with_nul_ignored", []string{"id: 1\ndata: a\n\nid: x\x00y\ndata: b\n\n"}, []Event{{Type: "message", Data: "a", ID: "1"}, {Type: "message", Data: "b", ID: "1"}}},
		{"unknown_field_ignored", []string{"foo: bar\ndata: a\n\n"}, []Event{{Type: "message", Data: "a"}}},
		{"bom", []string{"\xEF\xBB\xBFdata: a\n\n"}, []Event{{Type: "message", Data: "a"}}},
		{"unterminated_event_discarded", []string{"data: a\n\ndata: b\n"}, []Event{{Type: "message", Data: "a"}}},
		{"byte_by_byte", strings.Split("event: e\r\ndata: x\r\n\r\n", ""), []Event{{Type: "e", Data: "x"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decode(t, tc.pieces...)
			if len(tc.want) == 0 {
				assert.Empty(t, d.Events)
			} else {
				assert.Equal(t, tc.want, d.Events)
			}
			assert.Equal(t, len(tc.want), d.EventCount)
		})
	}
}

func TestRetry(t *testing.T) {
	d := decode(t, "retry: 1500\n", "retry: 1x\n\n")
	assert.Equal(t, int64(1500), d.Retry)
}

func TestFirstEventTime(t *testing.T) {
	d := decode(t, ": c\n\n", "data: a\n", "\n")
	assert.Equal(t, int64(3), d.FirstEventTime)
}

func TestLimits(t *testing.T) {
	var d Decoder
	d.Reset(Limits{MaxEvents: 2, MaxEventBytes: 80, MaxTextBytes: 5})
	d.Feed([]byte("data: "+strings.Repeat("0123456789", 10)+"\n\n"), 1)
	d.Feed([]byte("data: "+strings.Repeat("z", 1000)), 1) // a huge unterminated line
	d.Feed([]byte("\n\n"), 1)
	d.Feed([]byte(`data: {"choices":[{"index":0,"delta":{"content":"hello world"}}]}`+"\n\n"), 1)
	require.Len(t, d.Events, 2)
	assert.Equal(t, 3, d.EventCount)
	assert.True(t, d.Events[0].Truncated)
	assert.LessOrEqual(t, len(d.Events[0].Data), 80)
	assert.True(t, d.Events[1].Truncated)
	assert.LessOrEqual(t, cap(d.line)+cap(d.data), 4*96, "buffers stay bounded")
	assert.Equal(t, "hello", string(d.Text))
	assert.True(t, d.TextTruncated)
}

func TestOpenAIResponses(t *testing.T) {
	d := decode(t,
		"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{}}\n\n",
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n",
		"event: response.reasoning_summary_text.delta\ndata: {\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\"hmm\"}\n\n",
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\" there\"}\n\n",
		"event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"delta\":\"{}\"}\n\n",
		"event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n")
	assert.Equal(t, FormatOpenAIResponses, d.Format)
	assert.Equal(t, "Hi there", string(d.Text))
	assert.Equal(t, "hmm", string(d.Thinking))
	assert.Equal(t, "{}", string(d.ToolInput))
	assert.True(t, d.Done)
}

func TestOpenAIChatToolCallsAndLegacy(t *testing.T) {
	d := decode(t,
		`data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"a\""}}]}}]}`+"\n\n",
		`data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}`+"\n\n",
		`data: {"object":"chat.completion.chunk","choices":[{"index":1,"delta":{"content":"other choice"}}]}`+"\n\n",
		`data: {"object":"text_completion","choices":[{"index":0,"text":"legacy"}]}`+"\n\n")
	assert.Equal(t, FormatOpenAIChat, d.Format)
	assert.Equal(t, `{"a":1}`, string(d.ToolInput))
	assert.Equal(t, "legacy", string(d.Text))
	assert.False(t, d.Done)
}

func TestNotLLM(t *testing.T) {
	d := decode(t, "data: {\"x\":1}\n\n", "data: plain text\n\n", "data: {broken json\n\n")
	assert.Empty(t, d.Format)
	assert.Empty(t, d.Text)
	assert.Equal(t, 3, d.EventCount)
}

// FuzzSSEDecoder checks that the decoder never panics, keeps its bounds,
// and that splitting the input anywhere gives the same events.
func FuzzSSEDecoder(f *testing.F) {
	f.Add([]byte("event: a\r\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\r\n\r\n"), uint8(3))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n"), uint8(10))
	f.Add([]byte("id: 1\rretry: 10\r: c\rdata\r\r"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		lim := Limits{MaxEvents: 4, MaxEventBytes: 64, MaxTextBytes: 32}
		var whole, parts Decoder
		whole.Reset(lim)
		whole.Feed(in, 1)
		whole.Finish()
		parts.Reset(lim)
		at := int(split)
		if at > len(in) {
			at = len(in)
		}
		parts.Feed(in[:at], 1)
		parts.Feed(in[at:], 1)
		parts.Finish()
		if whole.EventCount != parts.EventCount || len(whole.Events) != len(parts.Events) {
			t.Fatalf("split at %d changed the events: %d vs %d", at, whole.EventCount, parts.EventCount)
		}
		for i := range whole.Events {
			if whole.Events[i] != parts.Events[i] {
				t.Fatalf("event %d differs: %+v vs %+v", i, whole.Events[i], parts.Events[i])
			}
		}
		if string(whole.Text) != string(parts.Text) {
			t.Fatalf("text differs")
		}
		if len(whole.Events) > lim.MaxEvents || len(whole.Text) > lim.MaxTextBytes || len(whole.Thinking) > lim.MaxTextBytes {
			t.Fatalf("bounds exceeded")
		}
		for _, e := range whole.Events {
			if len(e.Data) > lim.MaxEventBytes {
				t.Fatalf("event data %d > %d", len(e.Data), lim.MaxEventBytes)
			}
		}
	})
}
