package main

import (
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMaxProcsFor(t *testing.T) {
	for _, c := range []struct {
		flag, goProcs int
		envSet        bool
		want          int
	}{
		{0, 1, false, 1 + extraProcs}, // one CPU: a WAL sync must not stall every request
		{0, 2, false, 2 + extraProcs},
		{0, 1, true, 0},  // GOMAXPROCS in the environment is an explicit choice
		{1, 4, false, 1}, // --gomaxprocs wins
		{6, 1, true, 6},
	} {
		require.Equal(t, c.want, maxProcsFor(c.flag, c.goProcs, c.envSet), "%+v", c)
	}
}

func TestGOMAXPROCSFlag(t *testing.T) {
	checkRuntimeFlag(t, "gomaxprocs", "3", func(o *options) int64 { return int64(o.gomaxprocs) }, "-1", "100000")
}

// checkRuntimeFlag checks that flag defaults to 0, takes its value from its
// SALIO_ variable, and refuses each of bad.
func checkRuntimeFlag(t *testing.T, flag, env string, get func(*options) int64, bad ...string) {
	t.Helper()
	unsetSalioEnv(t)
	o, err := parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Zero(t, get(o))
	t.Setenv(envName(flag), env)
	o, err = parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, env, strconv.FormatInt(get(o), 10))
	for _, b := range bad {
		_, err = parseFlags([]string{"--" + flag, b}, &bytes.Buffer{})
		require.ErrorContains(t, err, "--"+flag)
	}
}

func TestMemoryLimitFor(t *testing.T) {
	const gib = int64(1) << 30
	for _, c := range []struct {
		flagMiB, cgroup, machine int64
		envSet                   bool
		want                     int64
	}{
		{0, 0, 24 * gib, false, 24 * gib / 100 * 75},       // 75% of the machine
		{0, 2 * gib, 24 * gib, false, 2 * gib / 100 * 75},  // the container's limit is smaller
		{0, 1 << 62, 24 * gib, false, 24 * gib / 100 * 75}, // cgroup v1's "no limit"
		{0, 0, 0, false, 0},                           // nothing known: Go's default
		{0, 0, 24 * gib, true, 0},                     // GOMEMLIMIT is an explicit choice
		{512, 0, 24 * gib, true, 512 << 20},           // --memory-limit-mib wins
		{-1, 2 * gib, 24 * gib, false, math.MaxInt64}, // -1: none
	} {
		require.Equal(t, c.want, memoryLimitFor(c.flagMiB, c.cgroup, c.machine, c.envSet), "%+v", c)
	}
}

func TestMemoryLimitFlag(t *testing.T) {
	checkRuntimeFlag(t, "memory-limit-mib", "2048", func(o *options) int64 { return o.memoryLimitMiB }, "-2", "99999999999")
	require.Positive(t, machineMemoryBytes(), "/proc/meminfo")
}
