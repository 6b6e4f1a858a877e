package tlsprobe

import (
	"debug/elf"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindRets(t *testing.T) {
	code := []byte{
		0x55,             // push rbp
		0x48, 0x89, 0xe5, // mov rbp, rsp
		0xc3,             // ret
		0x48, 0x31, 0xc0, // xor rax, rax
		0xc3, // ret
		0xcc, // int3 padding
	}
	rets, err := findRets(code)
	require.NoError(t, err)
	assert.Equal(t, []uint64{4, 8}, rets)

	_, err = findRets([]byte{0x90, 0x90})
	require.ErrorContains(t, err, "no RET")
}

func TestVersionHelpers(t *testing.T) {
	assert.True(t, versionLess("OPENSSL_3.0.3", "OPENSSL_3.2.0"))
	assert.False(t, versionLess("OPENSSL_3.2.0", "OPENSSL_3.0.3"))
	assert.True(t, versionLess("", "OPENSSL_1.1.1"))
	assert.True(t, goRegABI("go1.26.8"))
	assert.True(t, goRegABI("go1.17"))
	assert.False(t, goRegABI("go1.16.15"))
	assert.Equal(t, uint8(opensslProfile3), opensslProfileOf("/usr/lib/libssl.so.3", "OPENSSL_3.0.3"))
	assert.Equal(t, uint8(opensslProfile0), opensslProfileOf("/usr/lib/libssl.so.3", "OPENSSL_3.2.0"))
	assert.Equal(t, uint8(opensslProfile1), opensslProfileOf("/lib/libssl.so.1.1", "OPENSSL_1_1_1"))
	assert.Equal(t, uint8(opensslProfile0), opensslProfileOf("/app/node", ""))
}

func TestParseMaps(t *testing.T) {
	maps := `55d0c0000000-55d0c0001000 r--p 00000000 fd:01 100 /usr/bin/curl
55d0c0001000-55d0c0002000 r-xp 00001000 fd:01 100 /usr/bin/curl
7f0000000000-7f0000001000 r-xp 00000000 fd:01 200 /usr/lib/x86_64-linux-gnu/libssl.so.3
7f0000001000-7f0000002000 r-xp 00001000 fd:01 200 /usr/lib/x86_64-linux-gnu/libssl.so.3
7f0000002000-7f0000003000 r-xp 00000000 fd:01 300 /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000003000-7f0000004000 r-xp 00000000 00:2a 400 /opt/my app/libgnutls.so.30
7f0000004000-7f0000005000 r-xp 00000000 fd:01 500 /tmp/libssl.so (deleted)
7f0000005000-7f0000006000 rw-p 00000000 00:00 0 [heap]
7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0 [vdso]
`
	files, err := parseMaps(strings.NewReader(maps), "/usr/bin/curl")
	require.NoError(t, err)
	assert.Equal(t, []mappedFile{
		{ID: fileID{Major: 0xfd, Minor: 1, Inode: 100}, Path: "/usr/bin/curl", Range: "55d0c0001000-55d0c0002000"},
		{ID: fileID{Major: 0xfd, Minor: 1, Inode: 200}, Path: "/usr/lib/x86_64-linux-gnu/libssl.so.3", Range: "7f0000000000-7f0000001000"},
		{ID: fileID{Major: 0, Minor: 0x2a, Inode: 400}, Path: "/opt/my app/libgnutls.so.30", Range: "7f0000003000-7f0000004000"},
	}, files)
}

func TestInspectELFSystemLibssl(t *testing.T) {
	const lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
	if _, err := os.Stat(lib); err != nil {
		t.Skip("libssl.so.3 not installed at " + lib)
	}
	hooks, err := inspectELF(lib)
	require.NoError(t, err)
	assert.Equal(t, []string{symSSLWrite, symSSLRead, symSSLWriteEx, symSSLReadEx}, hooks.OpenSSL)
	assert.Equal(t, []string{symSSLFree, symSSLClear}, hooks.Teardown, "teardown hooks end a connection's state")
	assert.Empty(t, hooks.GoWriteRets)
}

func TestInspectELFSystemLibgnutls(t *testing.T) {
	const lib = "/usr/lib/x86_64-linux-gnu/libgnutls.so.30"
	if _, err := os.Stat(lib); err != nil {
		t.Skip("libgnutls.so.30 not installed at " + lib)
	}
	hooks, err := inspectELF(lib)
	require.NoError(t, err)
	assert.Equal(t, []string{symGnuTLSSend, symGnuTLSRecv}, hooks.GnuTLS)
	assert.Equal(t, []string{symGnuTLSDeinit}, hooks.Teardown)
	assert.Empty(t, hooks.OpenSSL)
}

func TestInspectELFGoBinary(t *testing.T) {
	// The test binary itself is a Go binary with a symbol table; it
	// contains crypto/tls when something links it (the collector does).
	exe, err := os.Executable()
	require.NoError(t, err)
	hooks, err := inspectELF(exe)
	require.NoError(t, err)
	assert.NotEmpty(t, hooks.GoVersion)
}

func TestProfileFromSymbols(t *testing.T) {
	syms := func(names ...string) []elf.Symbol {
		var out []elf.Symbol
		for _, n := range names {
			out = append(out, elf.Symbol{Name: n})
		}
		return out
	}
	assert.Equal(t, uint8(opensslProfile3), profileFromSymbols(syms("SSL_write", "ossl_lib_ctx_get_data")))
	assert.Equal(t, uint8(opensslProfile0), profileFromSymbols(syms("SSL_write", "ossl_lib_ctx_get_data", "ossl_quic_write")))
	assert.Equal(t, uint8(opensslProfile1), profileFromSymbols(syms("SSL_write", "OPENSSL_init_ssl")))
	assert.Equal(t, uint8(opensslProfile0), profileFromSymbols(syms("SSL_write", "OPENSSL_init_ssl", "_ZN4bssl3SSL5writeEv")))
	assert.Equal(t, uint8(opensslProfile0), profileFromSymbols(syms("SSL_write")))
	assert.True(t, opensslVersionText.MatchString("OpenSSL 3.0.19 27 Jan 2026"))
	assert.True(t, opensslVersionText.MatchString("OpenSSL 1.1.1w  11 Sep 2023"))
	assert.True(t, opensslVersionText.MatchString("OpenSSL 3.0.13+quic 30 Jan 2024"))
	assert.False(t, opensslVersionText.MatchString("OpenSSL 3.2.1 30 Jan 2024"))
}
