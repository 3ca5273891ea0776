package store_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/seminarhub/seminarhub/services/content/internal/store"
)

// The seat gauges count active participants and capacity over every
// seminar: instructors take no seat, dropped participants give theirs back.
func TestTheSeatGaugesCountTakenAndOfferedSeatsOverEverySeminar(t *testing.T) {
	t.Parallel()
	st, _, _ := newStore(t)
	reader := sdkmetric.NewManualReader()
	if err := store.RecordSeats(st, sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))); err != nil {
		t.Fatal(err)
	}
	a, b := create(t, st, 7001, 5), create(t, st, 7002, 30)
	for i := range int64(3) {
		if err := join(st, a.ID, participant(7100+i), "participant"); err != nil {
			t.Fatal(err)
		}
	}
	if err := join(st, b.ID, participant(7200), "participant"); err != nil {
		t.Fatal(err)
	}
	if err := drop(st, a.ID, participant(7100)); err != nil {
		t.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := gauges(rm)
	if got["seminar.seats.filled"] != 3 || got["seminar.seats.capacity"] != 35 {
		t.Fatalf("seats filled %d of %d; want 3 of 35 (2 + 1 participants, capacities 5 + 30)",
			got["seminar.seats.filled"], got["seminar.seats.capacity"])
	}
}

// Reading the gauges is not a request: it sends nothing through the query
// tracers that count a request's statements and make its spans.
func TestReadingTheSeatGaugesIsNotCountedAsAStatement(t *testing.T) {
	t.Parallel()
	st, _, counter := newStore(t)
	create(t, st, 7301, 5)
	reader := sdkmetric.NewManualReader()
	if err := store.RecordSeats(st, sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))); err != nil {
		t.Fatal(err)
	}
	before := counter.Count()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if n := counter.Count() - before; n != 0 {
		t.Fatalf("a collection of the seat gauges sent %d traced statements; want 0", n)
	}
	// ... and it did read the database.
	if got := gauges(rm); got["seminar.seats.capacity"] != 5 {
		t.Fatalf("seats offered %d; want 5", got["seminar.seats.capacity"])
	}
}

// gauges maps each int64 gauge of a collection to its one value.
func gauges(rm metricdata.ResourceMetrics) map[string]int64 {
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[int64]); ok && len(g.DataPoints) == 1 {
				got[m.Name] = g.DataPoints[0].Value
			}
		}
	}
	return got
}
