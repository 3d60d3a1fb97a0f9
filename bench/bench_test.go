package main

import (
	"fmt"
	"testing"
)

// walletCounts are the sizes of the in-process benchmarks: a cache-resident
// table and the spec's million-wallet target, where every wallet touch is a
// cache miss.
var walletCounts = []int{1_000, 1_000_000}

func engineSizes(b *testing.B, run func(*testing.B, *engineFixture)) {
	for _, n := range walletCounts {
		b.Run(fmt.Sprintf("wallets=%d", n), func(b *testing.B) {
			f, err := sharedFixture(n)
			if err != nil {
				b.Skip(err)
			}
			run(b, f)
		})
	}
}

func BenchmarkEngineEventDebit(b *testing.B)   { engineSizes(b, benchEventDebits) }
func BenchmarkEngineSessionCycle(b *testing.B) { engineSizes(b, benchSessionCycles) }
func BenchmarkEngineTopUp(b *testing.B)        { engineSizes(b, benchTopUps) }

// BenchmarkIdleWalletBytes reports the live heap per wallet of a fixture;
// its loop does nothing, the figure is the metric.
func BenchmarkIdleWalletBytes(b *testing.B) {
	for _, n := range walletCounts {
		b.Run(fmt.Sprintf("wallets=%d", n), func(b *testing.B) {
			f, err := sharedFixture(n)
			if err != nil {
				b.Skip(err)
			}
			for range b.N {
			}
			b.ReportMetric(f.bytesPerWallet, "bytes/wallet")
			b.ReportMetric(f.bytesPerWalletWithTopUp, "bytes/wallet+topup")
			b.ReportMetric(0, "ns/op")
		})
	}
}
