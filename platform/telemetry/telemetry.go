// Package telemetry wires OpenTelemetry the same way in every service. The
// exporter is configured only through the standard OTEL_* variables: with
// OTEL_EXPORTER_OTLP_ENDPOINT set, spans go out over OTLP/HTTP; without it they
// are still created (trace ids reach logs and downstream services) but not
// exported anywhere.
package telemetry

import (
	"context"
	"errors"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Setup installs the global tracer provider and W3C propagators. The returned
// function flushes pending spans; call it last during shutdown.
func Setup(ctx context.Context, service, version string) (func(context.Context) error, error) {
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(service), semconv.ServiceVersion(version)))
	if err != nil {
		return nil, err
	}
	// Variables such as OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
	if fromEnv, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, fromEnv); err == nil {
			res = merged
		}
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	} else {
		// Nowhere to send spans: don't record them. Span contexts (and so
		// trace ids in logs and traceparent to other services) still flow.
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))

	// Metrics (cache hits/misses, SQL statements, …) are served for
	// Prometheus to scrape at /metrics on each service — unless
	// OTEL_METRICS_EXPORTER=none (the OpenTelemetry variable) turns them
	// off: every instrument is then a no-op, which is how their cost on the
	// hot path is measured (docs/monitoring.md).
	if os.Getenv("OTEL_METRICS_EXPORTER") == "none" {
		return tp.Shutdown, nil
	}
	exp, err := prometheus.New()
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res), sdkmetric.WithView(requestDurations))
	otel.SetMeterProvider(mp)
	return func(ctx context.Context) error {
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}, nil
}

// requestDurations gives the HTTP server's duration histogram a bucket at
// each latency objective (docs/monitoring.md: reads 50 ms, writes 300 ms),
// so "how many within the objective" is a bucket count, not an estimate.
var requestDurations = sdkmetric.NewView(
	sdkmetric.Instrument{Name: "http.server.request.duration"},
	sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{
		Boundaries: []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 2.5, 5, 7.5, 10},
	}},
)
