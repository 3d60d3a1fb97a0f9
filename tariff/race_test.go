//go:build race

package tariff

const raceEnabled = true
