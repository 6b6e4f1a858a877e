package tlsprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// fileID identifies a file by device and inode, as /proc/<pid>/maps shows
// them: one attachment per fileID.
type fileID struct {
	Major, Minor uint32
	Inode        uint64
}

func (id fileID) String() string {
	return fmt.Sprintf("%x:%x:%d", id.Major, id.Minor, id.Inode)
}

// mappedFile is an executable file mapped by a process.
type mappedFile struct {
	ID fileID
	// Path is the path /proc/<pid>/maps shows: inside the process's mount
	// namespace for a container, the host path for a chroot.
	Path string
	// Range is the address range of its first executable mapping
	// ("start-end", the name of its /proc/<pid>/map_files entry).
	Range string
}

// tlsLibraryName matches the file names that may hold a TLS library.
var tlsLibraryName = regexp.MustCompile(`(?i)(ssl|tls|boring)`)

// parseMaps returns the distinct executable file mappings of a
// /proc/<pid>/maps text whose path is exe or whose name looks like a TLS
// library.
func parseMaps(r io.Reader, exe string) ([]mappedFile, error) {
	seen := map[fileID]bool{}
	var out []mappedFile
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// address perms offset dev inode pathname
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.Contains(fields[1], "x") {
			continue
		}
		path := strings.Join(fields[5:], " ")
		if !strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.HasSuffix(path, " (deleted)") {
			continue
		}
		base := path[strings.LastIndexByte(path, '/')+1:]
		if path != exe && !tlsLibraryName.MatchString(base) {
			continue
		}
		maj, min, ok := strings.Cut(fields[3], ":")
		if !ok {
			return nil, fmt.Errorf("bad device %q in maps line %q", fields[3], sc.Text())
		}
		major, err1 := strconv.ParseUint(maj, 16, 32)
		minor, err2 := strconv.ParseUint(min, 16, 32)
		inode, err3 := strconv.ParseUint(fields[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || inode == 0 {
			continue
		}
		id := fileID{Major: uint32(major), Minor: uint32(minor), Inode: inode}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, mappedFile{ID: id, Path: path, Range: fields[0]})
	}
	return out, sc.Err()
}
