package fileprobe

import (
	"strconv"
	"strings"
)

// Linux open(2) flag bits (x86_64 and the generic ABI agree on these).
const (
	oAccMode   = 0o3
	oWronly    = 0o1
	oRdwr      = 0o2
	oCreat     = 0o100
	oExcl      = 0o200
	oNoctty    = 0o400
	oTrunc     = 0o1000
	oAppend    = 0o2000
	oNonblock  = 0o4000
	oDsync     = 0o10000
	oAsync     = 0o20000
	oDirect    = 0o40000
	oLargefile = 0o100000
	oDirectory = 0o200000
	oNofollow  = 0o400000
	oNoatime   = 0o1000000
	oCloexec   = 0o2000000
	oSyncBit   = 0o4000000 // __O_SYNC; O_SYNC = __O_SYNC|O_DSYNC
	oPath      = 0o10000000
	oTmpfileB  = 0o20000000 // __O_TMPFILE; O_TMPFILE = __O_TMPFILE|O_DIRECTORY
)

// OpenFlagsString renders open(2) flags the way C spells them, e.g.
// "O_WRONLY|O_CREAT|O_TRUNC". Unknown bits are appended in octal.
func OpenFlagsString(flags uint32) string {
	var parts []string
	switch flags & oAccMode {
	case 0:
		parts = append(parts, "O_RDONLY")
	case oWronly:
		parts = append(parts, "O_WRONLY")
	case oRdwr:
		parts = append(parts, "O_RDWR")
	default:
		parts = append(parts, "O_ACCMODE")
	}
	rest := flags &^ oAccMode
	if rest&oSyncBit != 0 && rest&oDsync != 0 {
		parts = append(parts, "O_SYNC")
		rest &^= oSyncBit | oDsync
	}
	if rest&oTmpfileB != 0 && rest&oDirectory != 0 {
		parts = append(parts, "O_TMPFILE")
		rest &^= oTmpfileB | oDirectory
	}
	for _, f := range [...]struct {
		bit  uint32
		name string
	}{
		{oCreat, "O_CREAT"}, {oExcl, "O_EXCL"}, {oNoctty, "O_NOCTTY"}, {oTrunc, "O_TRUNC"},
		{oAppend, "O_APPEND"}, {oNonblock, "O_NONBLOCK"}, {oDsync, "O_DSYNC"}, {oAsync, "O_ASYNC"},
		{oDirect, "O_DIRECT"}, {oLargefile, "O_LARGEFILE"}, {oDirectory, "O_DIRECTORY"},
		{oNofollow, "O_NOFOLLOW"}, {oNoatime, "O_NOATIME"}, {oCloexec, "O_CLOEXEC"}, {oPath, "O_PATH"},
	} {
		if rest&f.bit != 0 {
			parts = append(parts, f.name)
			rest &^= f.bit
		}
	}
	if rest != 0 {
		parts = append(parts, "0"+strconv.FormatUint(uint64(rest), 8))
	}
	return strings.Join(parts, "|")
}

// OpenForWriting reports whether open(2) flags allow writing.
func OpenForWriting(flags uint32) bool {
	acc := flags & oAccMode
	return acc == oWronly || acc == oRdwr
}

// flagNames caches OpenFlagsString per flag value (a process uses few).
type flagNames struct {
	names map[uint32]string
}

func (f *flagNames) name(flags uint32) string {
	if s, ok := f.names[flags]; ok {
		return s
	}
	if f.names == nil || len(f.names) > 4096 {
		f.names = map[uint32]string{}
	}
	s := OpenFlagsString(flags)
	f.names[flags] = s
	return s
}
