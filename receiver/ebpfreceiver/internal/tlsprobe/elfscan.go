package tlsprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Symbols hooked in TLS libraries and Go binaries.
const (
	symSSLWrite    = "SSL_write"
	symSSLRead     = "SSL_read"
	symSSLWriteEx  = "SSL_write_ex"
	symSSLReadEx   = "SSL_read_ex"
	symGnuTLSSend  = "gnutls_record_send"
	symGnuTLSRecv  = "gnutls_record_recv"
	symGoConnWrite = "crypto/tls.(*Conn).Write"
	symGoConnRead  = "crypto/tls.(*Conn).Read"
	// Teardown functions: the connection state of the object is dropped,
	// so that an object reused at the same address is a new connection.
	symSSLFree      = "SSL_free"
	symSSLClear     = "SSL_clear"
	symGnuTLSDeinit = "gnutls_deinit"
	symGoConnClose  = "crypto/tls.(*Conn).Close"
	opensslProfile0 = 0 // unknown layout: no fd, no 5-tuple
	opensslProfile1 = 1 // OpenSSL 1.1.x
	opensslProfile3 = 2 // OpenSSL 3.0 / 3.1
)

// errStrippedGo says a Go binary has no symbol table.
var errStrippedGo = errors.New("stripped Go binary (no symbol table): crypto/tls cannot be located, not probed")

// elfHooks is what one ELF file offers to hook.
type elfHooks struct {
	// OpenSSL lists the defined OpenSSL functions (SSL_write, ...).
	OpenSSL []string
	// OpenSSLProfile selects the struct offsets used to find the fd.
	OpenSSLProfile uint8
	// GnuTLS lists the defined GnuTLS functions.
	GnuTLS []string
	// Teardown lists the defined teardown functions (SSL_free, SSL_clear,
	// gnutls_deinit) of a file that has OpenSSL or GnuTLS hooks.
	Teardown []string
	// GoWriteRets / GoReadRets are the offsets of the RET instructions of
	// (*Conn).Write / (*Conn).Read relative to the function start.
	GoWriteRets, GoReadRets []uint64
	// GoClose is set when crypto/tls.(*Conn).Close is defined (hooked at
	// its entry only).
	GoClose bool
	// GoVersion is set for Go binaries.
	GoVersion string
}

// empty reports whether there is nothing to hook.
func (h *elfHooks) empty() bool {
	return len(h.OpenSSL) == 0 && len(h.GnuTLS) == 0 && len(h.GoWriteRets) == 0
}

// inspectELF finds the hookable functions of the ELF file at path.
func inspectELF(path string) (*elfHooks, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open ELF %s: %w", path, err)
	}
	defer f.Close()

	hooks := &elfHooks{}
	defined := map[string]elf.Symbol{}
	wanted := map[string]bool{
		symSSLWrite: true, symSSLRead: true, symSSLWriteEx: true, symSSLReadEx: true,
		symGnuTLSSend: true, symGnuTLSRecv: true, symGoConnWrite: true, symGoConnRead: true,
		symSSLFree: true, symSSLClear: true, symGnuTLSDeinit: true, symGoConnClose: true,
	}
	maxVersion := ""
	if dyn, err := f.DynamicSymbols(); err == nil {
		for _, s := range dyn {
			if wanted[s.Name] && s.Section != elf.SHN_UNDEF && s.Value != 0 {
				defined[s.Name] = s
			}
			if strings.HasPrefix(s.Version, "OPENSSL_") && s.Section != elf.SHN_UNDEF && versionLess(maxVersion, s.Version) {
				maxVersion = s.Version
			}
		}
	}
	syms, symErr := f.Symbols()
	for _, s := range syms {
		if wanted[s.Name] && s.Section != elf.SHN_UNDEF && s.Value != 0 {
			if _, ok := defined[s.Name]; !ok {
				defined[s.Name] = s
			}
		}
	}

	for _, name := range []string{symSSLWrite, symSSLRead, symSSLWriteEx, symSSLReadEx} {
		if _, ok := defined[name]; ok {
			hooks.OpenSSL = append(hooks.OpenSSL, name)
		}
	}
	if len(hooks.OpenSSL) > 0 {
		hooks.OpenSSLProfile = opensslProfileOf(path, maxVersion)
		if hooks.OpenSSLProfile == opensslProfile0 && !strings.Contains(path, "libssl.so") {
			// Statically linked: the version text in .rodata tells, or
			// else the internal symbols that were linked in.
			hooks.OpenSSLProfile = staticOpenSSLProfile(f)
			if hooks.OpenSSLProfile == opensslProfile0 {
				hooks.OpenSSLProfile = profileFromSymbols(syms)
			}
		}
	}
	for _, name := range []string{symGnuTLSSend, symGnuTLSRecv} {
		if _, ok := defined[name]; ok {
			hooks.GnuTLS = append(hooks.GnuTLS, name)
		}
	}

	if len(hooks.OpenSSL) > 0 {
		for _, name := range []string{symSSLFree, symSSLClear} {
			if _, ok := defined[name]; ok {
				hooks.Teardown = append(hooks.Teardown, name)
			}
		}
	}
	if _, ok := defined[symGnuTLSDeinit]; ok && len(hooks.GnuTLS) > 0 {
		hooks.Teardown = append(hooks.Teardown, symGnuTLSDeinit)
	}

	isGo := f.Section(".go.buildinfo") != nil || f.Section(".gopclntab") != nil
	if !isGo {
		return hooks, nil
	}
	if bi, err := buildinfo.ReadFile(path); err == nil {
		hooks.GoVersion = bi.GoVersion
	}
	if symErr != nil || len(syms) == 0 {
		if hasSection(f, ".gopclntab") && mentionsCryptoTLS(f) {
			return hooks, errStrippedGo
		}
		return hooks, nil
	}
	w, okW := defined[symGoConnWrite]
	r, okR := defined[symGoConnRead]
	if !okW || !okR {
		return hooks, nil // a Go program without crypto/tls
	}
	if f.Machine != elf.EM_X86_64 {
		return hooks, fmt.Errorf("go crypto/tls on %s is unsupported (amd64 only)", f.Machine)
	}
	if v := hooks.GoVersion; v != "" && !goRegABI(v) {
		return hooks, fmt.Errorf("go version %s predates the register ABI (go1.17), not probed", v)
	}
	if hooks.GoWriteRets, err = retOffsets(f, w); err != nil {
		return hooks, fmt.Errorf("find RET instructions of %s: %w", symGoConnWrite, err)
	}
	if hooks.GoReadRets, err = retOffsets(f, r); err != nil {
		return hooks, fmt.Errorf("find RET instructions of %s: %w", symGoConnRead, err)
	}
	_, hooks.GoClose = defined[symGoConnClose]
	return hooks, nil
}

func hasSection(f *elf.File, name string) bool { return f.Section(name) != nil }

// mentionsCryptoTLS reports whether a stripped Go binary contains
// crypto/tls code (its function names stay in .gopclntab).
func mentionsCryptoTLS(f *elf.File) bool {
	s := f.Section(".gopclntab")
	if s == nil {
		return false
	}
	data, err := s.Data()
	if err != nil {
		return false
	}
	return strings.Contains(string(data), symGoConnWrite)
}

// retOffsets disassembles sym and returns the offsets of its RET
// instructions relative to the symbol's start.
func retOffsets(f *elf.File, sym elf.Symbol) ([]uint64, error) {
	if sym.Size == 0 {
		return nil, errors.New("symbol has no size")
	}
	var text *elf.Section
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 && sym.Value >= s.Addr && sym.Value+sym.Size <= s.Addr+s.Size {
			text = s
			break
		}
	}
	if text == nil {
		return nil, fmt.Errorf("no executable section holds 0x%x", sym.Value)
	}
	code := make([]byte, sym.Size)
	if _, err := text.ReadAt(code, int64(sym.Value-text.Addr)); err != nil {
		return nil, fmt.Errorf("read code: %w", err)
	}
	return findRets(code)
}

// findRets returns the offsets of the RET instructions in amd64 code.
func findRets(code []byte) ([]uint64, error) {
	var rets []uint64
	for off := 0; off < len(code); {
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			// Padding (int3) after the last instruction decodes fine; a
			// real decode failure means we cannot trust the offsets.
			return nil, fmt.Errorf("decode instruction at +0x%x: %w", off, err)
		}
		if inst.Op == x86asm.RET {
			rets = append(rets, uint64(off))
		}
		off += inst.Len
	}
	if len(rets) == 0 {
		return nil, errors.New("no RET instruction")
	}
	return rets, nil
}

// opensslProfileOf picks the struct layout of an OpenSSL library from its
// file name and the newest OPENSSL_x.y.z symbol version it defines.
func opensslProfileOf(path, maxVersion string) uint8 {
	base := path[strings.LastIndexByte(path, '/')+1:]
	switch {
	case strings.Contains(base, "libssl.so.1.1"):
		return opensslProfile1
	case strings.Contains(base, "libssl.so.3"):
		// 3.2 restructured SSL (SSL_CONNECTION); its layout is not known here.
		if maxVersion == "" || versionLess(maxVersion, "OPENSSL_3.2.0") {
			return opensslProfile3
		}
	}
	return opensslProfile0
}

// opensslVersionText matches OPENSSL_VERSION_TEXT ("OpenSSL 3.0.19 27 Jan 2026").
var opensslVersionText = regexp.MustCompile(`OpenSSL (1\.1\.[01]|3\.[01])\.?[0-9]*[a-z]?[ +]`)

// staticOpenSSLProfile picks the layout of an OpenSSL linked into an
// executable from the version text in its read-only data; BoringSSL (which
// claims "OpenSSL 1.1.1 (compatible; BoringSSL)") and unknown versions get
// none.
func staticOpenSSLProfile(f *elf.File) uint8 {
	ro := f.Section(".rodata")
	if ro == nil || ro.Type == elf.SHT_NOBITS {
		return opensslProfile0
	}
	data, err := ro.Data()
	if err != nil {
		return opensslProfile0
	}
	if bytes.Contains(data, []byte("BoringSSL")) {
		return opensslProfile0
	}
	m := opensslVersionText.FindSubmatch(data)
	if m == nil {
		return opensslProfile0
	}
	if bytes.HasPrefix(m[1], []byte("1.1")) {
		return opensslProfile1
	}
	return opensslProfile3
}

// profileFromSymbols guesses the layout of a statically linked OpenSSL
// from its linked symbols: BoringSSL (bssl:: C++ symbols) and 3.2+ (QUIC
// code, behind every SSL_write since 3.2) get none; other ossl_* internals
// mean 3.0/3.1; OPENSSL_init_ssl without them means 1.1.
func profileFromSymbols(syms []elf.Symbol) uint8 {
	var ossl, init11 bool
	for _, s := range syms {
		switch {
		case strings.HasPrefix(s.Name, "_ZN4bssl"), strings.HasPrefix(s.Name, "BORINGSSL_"),
			strings.HasPrefix(s.Name, "ossl_quic_"):
			return opensslProfile0
		case strings.HasPrefix(s.Name, "ossl_"):
			ossl = true
		case s.Name == "OPENSSL_init_ssl":
			init11 = true
		}
	}
	switch {
	case ossl:
		return opensslProfile3
	case init11:
		return opensslProfile1
	}
	return opensslProfile0
}

// versionLess compares OPENSSL_x.y.z version names numerically.
func versionLess(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func versionParts(v string) [3]int {
	var out [3]int
	v = strings.TrimPrefix(v, "OPENSSL_")
	for i, p := range strings.SplitN(v, ".", 3) {
		n, _ := strconv.Atoi(strings.TrimRightFunc(p, func(r rune) bool { return r < '0' || r > '9' }))
		out[i] = n
	}
	return out
}

// goRegABI reports whether a Go version (go1.N...) uses the register ABI.
func goRegABI(v string) bool {
	v = strings.TrimPrefix(v, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return true // devel builds
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return major > 1 || minor >= 17
}
