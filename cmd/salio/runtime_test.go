package main

import (
	"bytes"
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
	unsetSalioEnv(t)
	o, err := parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Zero(t, o.gomaxprocs)
	t.Setenv("SALIO_GOMAXPROCS", "3")
	o, err = parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, 3, o.gomaxprocs)
	for _, bad := range []string{"-1", "100000"} {
		_, err = parseFlags([]string{"--gomaxprocs", bad}, &bytes.Buffer{})
		require.ErrorContains(t, err, "--gomaxprocs")
	}
}
