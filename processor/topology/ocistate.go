package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ociStateDir reads the OCI runtime spec (config.json) that containerd and
// CRI-O keep for every running container, instead of calling their gRPC
// APIs: the annotations carry the Kubernetes names. Layouts:
// containerd <dir>/<namespace>/<id>/config.json
// (/run/containerd/io.containerd.runtime.v2.task), CRI-O
// <dir>/<id>/userdata/config.json (/run/containers/storage/overlay-containers).
type ociStateDir struct {
	dir string
}

// lookup returns the metadata of the container, or fs.ErrNotExist when the
// directory has no spec for it.
func (o ociStateDir) lookup(id string) (*containerMeta, error) {
	candidates := []string{
		filepath.Join(o.dir, id, "userdata", "config.json"),
		filepath.Join(o.dir, id, "config.json"),
	}
	if nsDirs, err := os.ReadDir(o.dir); err == nil {
		for _, d := range nsDirs {
			if d.IsDir() && d.Name() != id {
				candidates = append(candidates, filepath.Join(o.dir, d.Name(), id, "config.json"))
			}
		}
	}
	for _, p := range candidates {
		m, err := readOCISpec(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if strings.Contains(p, "containerd") {
			m.runtime = runtimeContainerd
		}
		return m, nil
	}
	return nil, fs.ErrNotExist
}

func readOCISpec(p string) (*containerMeta, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var spec struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.NewDecoder(io.LimitReader(f, 16<<20)).Decode(&spec); err != nil {
		return nil, fmt.Errorf("decode OCI spec %s: %w", p, err)
	}
	m := &containerMeta{fromList: true}
	m.fillK8sFromLabels(spec.Annotations)
	if spec.Annotations["io.container.manager"] == "cri-o" || spec.Annotations[annotCRIOImage] != "" {
		m.runtime = runtimeCRIO
	}
	return m, nil
}
