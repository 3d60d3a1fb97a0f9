package api

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/salio/salio/charging"
)

// BootstrapKeyID is the id of the admin key made at first start.
const BootstrapKeyID = "admin"

// Bootstrap reports what BootstrapAdminKey did.
type Bootstrap struct {
	File    string // where the admin key was written ("" = not written this time)
	Created bool   // a new admin key was made or installed
	FromEnv bool   // the key is SALIO_ADMIN_KEY's
}

// BootstrapAdminKey makes sure the platform can be administered (spec 7:
// "the first start creates an admin key (or takes SALIO_ADMIN_KEY) and
// writes it to a 0600 file"). Call it after recovery, before serving.
//
//   - envKey set: the key "admin" becomes that secret (replacing an earlier
//     one), and the file is written with it.
//   - otherwise, if no live admin key exists, a new secret is generated and
//     written to file, then stored. The file is written first: a key that is
//     stored but written nowhere would lock the operator out for good, while
//     a written key that failed to be stored is simply replaced next start.
func BootstrapAdminKey(eng *charging.Engine, envKey, file string) (Bootstrap, error) {
	if envKey != "" {
		return bootstrapFromEnv(eng, envKey, file)
	}
	for _, k := range eng.Keys(allTenants) {
		if k.Role == "admin" && !k.Deleted {
			return Bootstrap{}, nil
		}
	}
	secret, err := newSecret()
	if err != nil {
		return Bootstrap{}, err
	}
	if err := writeKeyFile(file, secret); err != nil {
		return Bootstrap{}, err
	}
	if err := installAdminKey(eng, secret); err != nil {
		return Bootstrap{}, err
	}
	return Bootstrap{File: file, Created: true}, nil
}

func bootstrapFromEnv(eng *charging.Engine, envKey, file string) (Bootstrap, error) {
	envKey = strings.TrimSpace(envKey)
	if len(envKey) < minEnvKeyLen || len(envKey) > maxKeyHeaderLen-len(bearer) {
		return Bootstrap{}, fmt.Errorf("SALIO_ADMIN_KEY must be %d to %d characters", minEnvKeyLen, maxKeyHeaderLen-len(bearer))
	}
	if k, ok := eng.KeyByHash(hashSecret(envKey)); ok && k.Role == "admin" && k.Tenant == allTenants {
		return Bootstrap{FromEnv: true}, nil
	}
	if err := writeKeyFile(file, envKey); err != nil {
		return Bootstrap{}, err
	}
	if err := installAdminKey(eng, envKey); err != nil {
		return Bootstrap{}, err
	}
	return Bootstrap{File: file, Created: true, FromEnv: true}, nil
}

// installAdminKey stores secret as the key "admin", revoking a previous one.
func installAdminKey(eng *charging.Engine, secret string) error {
	if _, err := eng.DeleteKey(BootstrapKeyID); err != nil && !errors.Is(err, charging.ErrNotFound) {
		return err
	}
	return eng.PutKey(charging.KeyRecord{
		ID: BootstrapKeyID, Hash: hashSecret(secret), Name: "bootstrap admin",
		Role: "admin", Tenant: allTenants, CreatedAt: time.Now().UnixMilli(),
	})
}

// writeKeyFile writes secret to path with mode 0600, atomically: a crash
// leaves the old file or the new one, never half a key.
func writeKeyFile(path, secret string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".admin-key-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
