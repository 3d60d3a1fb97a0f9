package main
import (
 _ "github.com/valyala/fasthttp"
 _ "github.com/cockroachdb/pebble/v2"
 _ "github.com/cockroachdb/pebble/v2/vfs"
 _ "github.com/shopspring/decimal"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/prometheus/client_golang/prometheus/promhttp"
 _ "github.com/segmentio/kafka-go"
 _ "github.com/stretchr/testify/require"
 _ "github.com/twmb/franz-go/pkg/kfake"
 _ "github.com/twmb/franz-go/pkg/kgo"
)
func main(){}
