package store

import (
	"bufio"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/wal"
)

// walDirs sets po's WAL directory and, when the previous run of the store
// in dir wrote its WAL elsewhere, adds that directory to the ones Pebble
// recovers from: Pebble refuses to open a store whose WAL directory changed
// unless it is told where the old logs are.
func (o *Options) walDirs(dir string, po *pebble.Options) error {
	po.WALDir = o.WALDir
	prev, ok, err := previousWALDir(o, dir)
	if err != nil {
		return fmt.Errorf("store: reading the previous WAL directory of %s: %w", dir, err)
	}
	if !ok {
		return nil
	}
	if prev == "" {
		prev = dir // the WAL was in the store's own directory
	}
	cur := o.WALDir
	if cur == "" {
		cur = dir
	}
	if filepath.Clean(prev) == filepath.Clean(cur) {
		return nil
	}
	po.WALRecoveryDirs = append(po.WALRecoveryDirs, wal.Dir{FS: o.FS, Dirname: prev})
	return nil
}

// previousWALDir reads "wal_dir" from the newest OPTIONS file in dir (""
// means the store's own directory); ok is false for a new store.
func previousWALDir(o *Options, dir string) (walDir string, ok bool, err error) {
	names, err := o.FS.List(dir)
	if err != nil {
		return "", false, nil // no directory yet: a new store
	}
	newest, newestNum := "", uint64(0)
	for _, n := range names {
		num, err := strconv.ParseUint(strings.TrimPrefix(n, "OPTIONS-"), 10, 64)
		if strings.HasPrefix(n, "OPTIONS-") && err == nil && num >= newestNum {
			newest, newestNum = n, num
		}
	}
	if newest == "" {
		return "", false, nil
	}
	f, err := o.FS.Open(o.FS.PathJoin(dir, newest))
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	section := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		if v, found := strings.CutPrefix(line, "wal_dir="); found && section == "[Options]" {
			return v, true, nil
		}
	}
	return "", true, sc.Err()
}
