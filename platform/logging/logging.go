// Package logging builds the structured JSON logger every service uses. Each
// record made with a context carries the trace and span id of that context, so
// a log line leads straight to its trace.
package logging

import (
	"context"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// New returns a JSON logger tagged with the service name. When w is a
// *Buffer, warnings and errors are flushed at once: they are the lines an
// operator must see even if the process dies right after.
func New(w io.Writer, service string, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	buf, _ := w.(*Buffer)
	return slog.New(traceHandler{h, buf}).With("service", service)
}

type traceHandler struct {
	slog.Handler
	buf *Buffer // nil when w is not buffered
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	err := h.Handler.Handle(ctx, r)
	if h.buf != nil && r.Level >= slog.LevelWarn {
		_ = h.buf.Flush()
	}
	return err
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name), h.buf}
}
