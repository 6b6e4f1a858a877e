package snapshot

import (
	"debug/dwarf"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime"
	"strings"
	"unicode/utf8"
)

// dwarfGlobal is a package-level variable found in the binary's DWARF.
type dwarfGlobal struct {
	addr uint64
	typ  dwarf.Offset
}

// dwarfIndex maps the package-level variables of the running binary to their
// (relocated) addresses and DWARF types.
type dwarfIndex struct {
	data    *dwarf.Data
	globals map[string]dwarfGlobal
	// slide is added to DWARF addresses: the load offset of a PIE binary.
	slide int64
}

// dwarfAnchor is a function whose address, known both at run time and in the
// DWARF, gives the load offset of a position-independent binary.
//
//go:noinline
func dwarfAnchor() int { return 42 }

// loadDWARFIndex reads the DWARF of the running executable.
func loadDWARFIndex() (*dwarfIndex, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("unavailable: locate executable: %w", err)
	}
	data, err := openDWARF(exe)
	if err != nil {
		return nil, err
	}
	anchorPC := reflect.ValueOf(dwarfAnchor).Pointer()
	anchorName := runtime.FuncForPC(anchorPC).Name()
	idx := &dwarfIndex{data: data, globals: map[string]dwarfGlobal{}}
	var anchorLow uint64
	r := data.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("unavailable: read DWARF of %s: %w", exe, err)
		}
		if e == nil {
			break
		}
		switch e.Tag {
		case dwarf.TagCompileUnit:
			continue
		case dwarf.TagVariable:
			name, _ := e.Val(dwarf.AttrName).(string)
			loc, _ := e.Val(dwarf.AttrLocation).([]byte)
			typ, _ := e.Val(dwarf.AttrType).(dwarf.Offset)
			// DW_OP_addr followed by an 8-byte address.
			if name != "" && len(loc) == 9 && loc[0] == 0x03 {
				idx.globals[name] = dwarfGlobal{addr: binary.LittleEndian.Uint64(loc[1:]), typ: typ}
			}
		case dwarf.TagSubprogram:
			if name, _ := e.Val(dwarf.AttrName).(string); name == anchorName {
				anchorLow, _ = e.Val(dwarf.AttrLowpc).(uint64)
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
	if len(idx.globals) == 0 {
		return nil, errors.New("unavailable: the binary's DWARF lists no package-level variables")
	}
	if anchorLow != 0 {
		idx.slide = int64(anchorPC) - int64(anchorLow)
	}
	return idx, nil
}

// openDWARF opens the DWARF of an ELF or Mach-O executable.
func openDWARF(path string) (*dwarf.Data, error) {
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		d, err := f.DWARF()
		if err != nil {
			return nil, fmt.Errorf("unavailable: binary %s has no DWARF (stripped, e.g. -ldflags=-w): %w", path, err)
		}
		return d, nil
	}
	f, err := macho.Open(path)
	if err != nil {
		return nil, fmt.Errorf("unavailable: %s is neither ELF nor Mach-O: %w", path, err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("unavailable: binary %s has no DWARF (stripped, e.g. -ldflags=-w): %w", path, err)
	}
	return d, nil
}

// read captures the package-level variable name.
func (idx *dwarfIndex) read(name string, lim Limits) Variable {
	v := Variable{Name: name, Source: "dwarf"}
	g, ok := idx.globals[name]
	if !ok {
		v.Error = fmt.Sprintf("unavailable: no package-level variable %q in the binary's DWARF (misspelt, or removed by the linker because unused)", name)
		return v
	}
	typ, err := idx.data.Type(g.typ)
	if err != nil {
		v.Error = fmt.Sprintf("unavailable: DWARF type of %s: %v", name, err)
		return v
	}
	v.Type = goTypeName(typ)
	d := dwarfDecoder{lim: lim}
	v.Value = d.decode(typ, uint64(int64(g.addr)+idx.slide), 0)
	v.Truncated = d.truncated
	return v
}

// goTypeName is the Go spelling of a DWARF type.
func goTypeName(t dwarf.Type) string {
	if st, ok := t.(*dwarf.StructType); ok && st.StructName != "" {
		return st.StructName
	}
	if n := t.Common().Name; n != "" {
		return n
	}
	return t.String()
}

type dwarfDecoder struct {
	lim       Limits
	truncated bool
}

func (d *dwarfDecoder) mem(addr uint64, n int64) ([]byte, error) {
	if n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("size %d out of bounds", n)
	}
	if addr == 0 {
		return nil, errors.New("nil address")
	}
	buf := make([]byte, n)
	if n == 0 {
		return buf, nil
	}
	if err := readMemory(uintptr(addr), buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func (d *dwarfDecoder) word(addr uint64) (uint64, error) {
	b, err := d.mem(addr, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func unreadable(addr uint64, err error) string {
	return fmt.Sprintf("<unreadable at %#x: %v>", addr, err)
}

func (d *dwarfDecoder) decode(t dwarf.Type, addr uint64, depth int) any {
	if depth > d.lim.MaxDepth {
		d.truncated = true
		return "<depth limit>"
	}
	name := t.Common().Name
	switch {
	case strings.HasPrefix(name, "map["):
		return "<unsupported: map (Go 1.24+ swiss-table maps are not decoded)>"
	case strings.HasPrefix(name, "chan "), strings.HasPrefix(name, "<-chan "), strings.HasPrefix(name, "chan<- "):
		return "<unsupported: channel>"
	case strings.HasPrefix(name, "func("):
		return "<unsupported: func>"
	}
	switch tt := t.(type) {
	case *dwarf.TypedefType:
		return d.decode(tt.Type, addr, depth)
	case *dwarf.QualType:
		return d.decode(tt.Type, addr, depth)
	case *dwarf.BoolType:
		b, err := d.mem(addr, 1)
		if err != nil {
			return unreadable(addr, err)
		}
		return b[0] != 0
	case *dwarf.IntType:
		return d.integer(addr, tt.ByteSize, true)
	case *dwarf.CharType:
		return d.integer(addr, tt.ByteSize, true)
	case *dwarf.UintType:
		return d.integer(addr, tt.ByteSize, false)
	case *dwarf.UcharType:
		return d.integer(addr, tt.ByteSize, false)
	case *dwarf.FloatType:
		b, err := d.mem(addr, tt.ByteSize)
		if err != nil {
			return unreadable(addr, err)
		}
		switch tt.ByteSize {
		case 4:
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case 8:
			return math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		return fmt.Sprintf("<unsupported: float of %d bytes>", tt.ByteSize)
	case *dwarf.ComplexType:
		return "<unsupported: complex>"
	case *dwarf.PtrType:
		p, err := d.word(addr)
		if err != nil {
			return unreadable(addr, err)
		}
		if p == 0 {
			return nil
		}
		if _, void := tt.Type.(*dwarf.VoidType); void || tt.Type == nil {
			return fmt.Sprintf("%#x", p)
		}
		return d.decode(tt.Type, p, depth+1)
	case *dwarf.StructType:
		return d.structValue(tt, addr, depth)
	case *dwarf.ArrayType:
		return d.array(tt.Type, addr, tt.Count, depth)
	case *dwarf.FuncType:
		return "<unsupported: func>"
	default:
		return fmt.Sprintf("<unsupported: %s>", goTypeName(t))
	}
}

func (d *dwarfDecoder) integer(addr uint64, size int64, signed bool) any {
	b, err := d.mem(addr, size)
	if err != nil {
		return unreadable(addr, err)
	}
	var u uint64
	switch size {
	case 1:
		u = uint64(b[0])
		if signed {
			return int64(int8(b[0]))
		}
	case 2:
		u = uint64(binary.LittleEndian.Uint16(b))
		if signed {
			return int64(int16(u))
		}
	case 4:
		u = uint64(binary.LittleEndian.Uint32(b))
		if signed {
			return int64(int32(u))
		}
	case 8:
		u = binary.LittleEndian.Uint64(b)
		if signed {
			return int64(u)
		}
	default:
		return fmt.Sprintf("<unsupported: integer of %d bytes>", size)
	}
	return u
}

func (d *dwarfDecoder) structValue(st *dwarf.StructType, addr uint64, depth int) any {
	name := st.StructName
	field := func(n string) *dwarf.StructField {
		for _, f := range st.Field {
			if f.Name == n {
				return f
			}
		}
		return nil
	}
	switch {
	case name == "string":
		return d.stringAt(addr)
	case strings.HasPrefix(name, "[]"):
		arr := field("array")
		if arr == nil {
			break
		}
		ptr, ok := arr.Type.(*dwarf.PtrType)
		if !ok {
			break
		}
		base, err := d.word(addr)
		if err != nil {
			return unreadable(addr, err)
		}
		n, err := d.word(addr + 8)
		if err != nil {
			return unreadable(addr, err)
		}
		if base == 0 {
			return nil
		}
		return d.array(ptr.Type, base, int64(n), depth)
	case name == "runtime.iface", name == "runtime.eface", strings.HasPrefix(name, "interface {"):
		return "<unsupported: interface>"
	}
	out := make(map[string]any, len(st.Field))
	for _, f := range st.Field {
		out[f.Name] = d.decode(f.Type, addr+uint64(f.ByteOffset), depth+1)
	}
	return out
}

func (d *dwarfDecoder) stringAt(addr uint64) any {
	p, err := d.word(addr)
	if err != nil {
		return unreadable(addr, err)
	}
	n, err := d.word(addr + 8)
	if err != nil {
		return unreadable(addr, err)
	}
	if n == 0 {
		return ""
	}
	if n > 1<<40 {
		return fmt.Sprintf("<invalid string length %d>", n)
	}
	want := int64(n)
	if want > int64(d.lim.MaxStringBytes) {
		want = int64(d.lim.MaxStringBytes)
		d.truncated = true
	}
	b, err := d.mem(p, want)
	if err != nil {
		return unreadable(p, err)
	}
	s := string(b)
	for len(s) > 0 && !utf8.ValidString(s) && int64(len(s)) < int64(n) {
		s = s[:len(s)-1]
	}
	return s
}

func (d *dwarfDecoder) array(elem dwarf.Type, base uint64, count int64, depth int) any {
	if count < 0 {
		return "<unsupported: array of unknown length>"
	}
	size := elem.Size()
	isBytes := false
	if u, ok := elem.(*dwarf.UintType); ok && u.ByteSize == 1 {
		isBytes = true
	}
	limit := int64(d.lim.MaxElements)
	if size > 0 {
		if bySize := int64(d.lim.MaxSliceBytes) / size; bySize < limit {
			limit = max(bySize, 1)
		}
	}
	if isBytes {
		limit = int64(d.lim.MaxSliceBytes)
	}
	n := count
	if n > limit {
		n = limit
		d.truncated = true
	}
	if isBytes {
		b, err := d.mem(base, n)
		if err != nil {
			return unreadable(base, err)
		}
		return string(b)
	}
	out := make([]any, 0, n)
	for i := int64(0); i < n; i++ {
		out = append(out, d.decode(elem, base+uint64(i*size), depth+1))
	}
	return out
}
