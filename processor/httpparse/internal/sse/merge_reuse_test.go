package sse

import (
	"bytes"
	"encoding/json"
	"testing"
)

// refMerge is merge as it was before the decoder reused its scratch JSON
// values: every event is decoded into fresh values. FuzzMergeReuse checks
// that reusing them changes nothing.
func refMerge(d *Decoder, typ string, data []byte) {
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
	var c llmChunk
	if err := json.Unmarshal(data, &c); err != nil {
		return
	}
	kind := c.Type
	if kind == "" && typ != "message" {
		kind = typ
	}
	switch kind {
	case "content_block_delta":
		var ad anthropicDelta
		if len(c.Delta) == 0 || json.Unmarshal(c.Delta, &ad) != nil {
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

// FuzzMergeReuse feeds a sequence of events (one per input line, an
// optional "type\x00" prefix) to merge and to refMerge and requires the
// same merged state after every event.
func FuzzMergeReuse(f *testing.F) {
	f.Add([]byte("content_block_delta\x00{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"b\"}}\n{\"delta\":\"c\"}"))
	f.Add([]byte("{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\",\"tool_calls\":[{\"function\":{\"arguments\":\"{}\"}}]}}]}\n{\"choices\":[{\"index\":1,\"text\":\"x\"}]}\n{}\n[DONE]"))
	f.Add([]byte("{\"type\":\"response.output_text.delta\",\"delta\":\"x\"}\n{\"type\":\"response.function_call_arguments.delta\",\"delta\":\"y\"}\n{\"type\":\"response.completed\"}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxEvents: 4, MaxEventBytes: 256, MaxTextBytes: 64}
		var got, want Decoder
		got.Reset(lim)
		want.Reset(lim)
		for _, line := range bytes.Split(in, []byte("\n")) {
			typ := "message"
			if i := bytes.IndexByte(line, 0); i >= 0 {
				typ, line = string(line[:i]), line[i+1:]
			}
			got.merge(typ, line)
			refMerge(&want, typ, line)
			if string(got.Text) != string(want.Text) || string(got.Thinking) != string(want.Thinking) ||
				string(got.ToolInput) != string(want.ToolInput) || got.Format != want.Format ||
				got.Done != want.Done || got.TextTruncated != want.TextTruncated {
				t.Fatalf("after %q:\ngot  %q %q %q %q %v\nwant %q %q %q %q %v", line,
					got.Text, got.Thinking, got.ToolInput, got.Format, got.Done,
					want.Text, want.Thinking, want.ToolInput, want.Format, want.Done)
			}
		}
	})
}
