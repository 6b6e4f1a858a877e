package snapshot

import (
	"fmt"
	"reflect"
	"sort"
	"unicode/utf8"
)

// boundedValue converts v into a JSON-friendly value bounded by lim. It
// reports whether anything was cut.
func boundedValue(v any, lim Limits) (any, bool) {
	w := valueWalker{lim: lim}
	out := w.walk(reflect.ValueOf(v), 0)
	return out, w.truncated
}

type valueWalker struct {
	lim       Limits
	truncated bool
}

func (w *valueWalker) cutString(s string) string {
	if len(s) <= w.lim.MaxStringBytes {
		return s
	}
	w.truncated = true
	s = s[:w.lim.MaxStringBytes]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func (w *valueWalker) walk(v reflect.Value, depth int) any {
	if !v.IsValid() {
		return nil
	}
	if depth > w.lim.MaxDepth {
		w.truncated = true
		return "<depth limit>"
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case fmt.Stringer:
			if v.Kind() != reflect.Pointer || !v.IsNil() {
				if s, ok := safeString(x); ok {
					return w.cutString(s)
				}
			}
		case error:
			if v.Kind() != reflect.Pointer || !v.IsNil() {
				return w.cutString(x.Error())
			}
		}
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Complex64, reflect.Complex128:
		return fmt.Sprint(v.Complex())
	case reflect.String:
		return w.cutString(v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.walk(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			return w.cutString(string(b))
		}
		n := v.Len()
		if n > w.lim.MaxElements {
			n = w.lim.MaxElements
			w.truncated = true
		}
		out := make([]any, n)
		for i := 0; i < n; i++ {
			out[i] = w.walk(v.Index(i), depth+1)
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		if len(keys) > w.lim.MaxElements {
			keys = keys[:w.lim.MaxElements]
			w.truncated = true
		}
		out := make(map[string]any, len(keys))
		for _, k := range keys {
			out[w.cutString(fmt.Sprint(k))] = w.walk(v.MapIndex(k), depth+1)
		}
		return out
	case reflect.Struct:
		t := v.Type()
		out := make(map[string]any, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			out[f.Name] = w.walk(v.Field(i), depth+1)
		}
		return out
	default:
		return fmt.Sprintf("<unsupported: %s>", v.Kind())
	}
}

// safeString calls String() and survives a panic in it.
func safeString(s fmt.Stringer) (out string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return s.String(), true
}
