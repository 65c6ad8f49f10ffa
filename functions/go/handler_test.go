package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The reference values come from the Node.js handler's cpuWork (functions/nodejs/handler.ts):
// every runtime must compute the same checksums.
func TestCPUWorkMatchesTheNodeHandler(t *testing.T) {
	cases := map[int]uint32{0: 2166136261, 1: 84702589, 10: 2800307176, 2000: 2082985886}
	for iterations, want := range cases {
		if got := CPUWork(iterations); got != want {
			t.Errorf("CPUWork(%d) = %d, want %d", iterations, got, want)
		}
	}
}

func TestBuildPayloadHasExactlyTheSizeAsked(t *testing.T) {
	for _, n := range []int{100, 1024, 65536} {
		p := BuildPayload(n, "r", 1, 7)
		if len(p) != n {
			t.Fatalf("len = %d, want %d", len(p), n)
		}
		var f payloadFields
		if err := json.Unmarshal([]byte(p), &f); err != nil || f.RequestID != "r" || f.Checksum != 7 {
			t.Fatalf("payload %q does not read back: %v", p[:40], err)
		}
	}
	if got := BuildPayload(1, "r", 1, 7); got != `{"requestId":"r","sentAt":1,"checksum":7,"pad":""}` {
		t.Fatalf("smallest payload = %s", got)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, env := range []map[string]string{
		{"BATTLE_MODE": "sideways"},
		{"BATTLE_WORK_ITERATIONS": "-1"},
		{"BATTLE_PAYLOAD_BYTES": "1.5"},
	} {
		if _, err := ConfigFrom(func(k string) string { return env[k] }); err == nil {
			t.Errorf("ConfigFrom(%v) accepted it", env)
		}
	}
	cfg, err := ConfigFrom(func(string) string { return "" })
	if err != nil || cfg.Mode != "none" || cfg.DefaultBytes != 256 || cfg.ExtensionURL != DefaultExtensionURL {
		t.Fatalf("defaults = %+v, %v", cfg, err)
	}
}

type recorder struct {
	mu       sync.Mutex
	calls    []string
	tags     []string
	messages int
}

func extension(t *testing.T, status int) (*httptest.Server, *recorder) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.calls = append(rec.calls, r.Method+" "+r.URL.EscapedPath())
		if r.URL.Path == "/messages" {
			rec.tags = append(rec.tags, r.Header.Get(RequestIDHeader))
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func TestModeExtensionPostsTheTaggedPayload(t *testing.T) {
	srv, rec := extension(t, http.StatusAccepted)
	h, _ := NewHandler(Config{Mode: "extension", Iterations: 10, DefaultBytes: 300, ExtensionURL: srv.URL + "/messages"}, nil, nil)
	res, err := h.Handle(context.Background(), "req-1", json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Mode: "extension", PayloadBytes: 300, Iterations: 10, Checksum: CPUWork(10)}
	if res != want {
		t.Fatalf("result = %+v, want %+v", res, want)
	}
	if strings.Join(rec.calls, ",") != "POST /messages" || rec.tags[0] != "req-1" {
		t.Fatalf("calls = %v, tags = %v (no /end after an accepted message)", rec.calls, rec.tags)
	}
}

func TestModeExtensionEndsTheInvocationWhenTheMessageIsRefused(t *testing.T) {
	srv, rec := extension(t, http.StatusRequestEntityTooLarge)
	h, _ := NewHandler(Config{Mode: "extension", DefaultBytes: 10, ExtensionURL: srv.URL + "/messages"}, nil, nil)
	if _, err := h.Handle(context.Background(), "r/9", nil); err == nil || !strings.Contains(err.Error(), "413") {
		t.Fatalf("err = %v, want HTTP 413", err)
	}
	if got := strings.Join(rec.calls, ","); got != "POST /messages,POST /invocations/r%2F9/end" {
		t.Fatalf("calls = %s", got)
	}
}

func TestBadPayloadBytesEndsTheInvocation(t *testing.T) {
	srv, rec := extension(t, http.StatusAccepted)
	h, _ := NewHandler(Config{Mode: "extension", ExtensionURL: srv.URL + "/messages"}, nil, nil)
	if _, err := h.Handle(context.Background(), "r1", json.RawMessage(`{"payloadBytes":-1}`)); err == nil {
		t.Fatal("accepted payloadBytes -1")
	}
	if got := strings.Join(rec.calls, ","); got != "POST /invocations/r1/end" {
		t.Fatalf("calls = %s", got)
	}
}

func TestModeDirectSendsAndNoneDoesNothing(t *testing.T) {
	var sent []string
	send := func(_ context.Context, body string) error { sent = append(sent, body); return nil }
	h, _ := NewHandler(Config{Mode: "direct", DefaultBytes: 256}, send, nil)
	res, err := h.Handle(context.Background(), "r", json.RawMessage(`{"payloadBytes":"512"}`))
	if err != nil || len(sent) != 1 || len(sent[0]) != 512 || res.PayloadBytes != 512 {
		t.Fatalf("res = %+v, err = %v, sent %d", res, err, len(sent))
	}
	failing := func(context.Context, string) error { return errors.New("queue gone") }
	h, _ = NewHandler(Config{Mode: "direct"}, failing, nil)
	if _, err := h.Handle(context.Background(), "r", nil); err == nil {
		t.Fatal("a failed send must fail the invocation")
	}
	if _, err := NewHandler(Config{Mode: "direct"}, nil, nil); err == nil {
		t.Fatal("direct without a sender must be refused")
	}
	h, _ = NewHandler(Config{Mode: "none", DefaultBytes: 128}, nil, nil)
	if res, err := h.Handle(context.Background(), "r", nil); err != nil || res.Mode != "none" || res.PayloadBytes != 128 {
		t.Fatalf("none: %+v %v", res, err)
	}
}

func TestConfigReadsTheWorkloadAndFollowsTheModeWithoutOne(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		env      map[string]string
		workload string
	}{
		{map[string]string{}, "cpu"},
		{map[string]string{"BATTLE_MODE": "direct"}, "sqs"},
		{map[string]string{"BATTLE_MODE": "extension"}, "sqs"},
		{map[string]string{"BATTLE_WORKLOAD": "dynamodb"}, "dynamodb"},
	}
	for _, c := range cases {
		cfg, err := ConfigFrom(env(c.env))
		if err != nil || cfg.Workload != c.workload || cfg.DelayMs != DefaultDelayMs {
			t.Errorf("ConfigFrom(%v) = %+v, %v; want workload %s", c.env, cfg, err, c.workload)
		}
	}
	cfg, _ := ConfigFrom(env(map[string]string{"BATTLE_WORKLOAD": "delay", "BATTLE_WORK_ITERATIONS": "99"}))
	if cfg.Iterations != 0 {
		t.Errorf("workload delay does no CPU work, got %d iterations", cfg.Iterations)
	}
	if _, err := ConfigFrom(env(map[string]string{"BATTLE_WORKLOAD": "gpu"})); err == nil ||
		!strings.Contains(err.Error(), `BATTLE_WORKLOAD must be sqs, dynamodb, delay, cpu, none, got "gpu"`) {
		t.Errorf("a bad workload: %v", err)
	}
}

func TestWorkloadDelaySleepsTheConfiguredTime(t *testing.T) {
	h, _ := NewHandler(Config{Mode: "none", Workload: "delay", DelayMs: 40, DefaultBytes: 64}, nil, nil)
	var slept time.Duration
	h.sleep = func(_ context.Context, d time.Duration) error { slept = d; return nil }
	res, err := h.Handle(context.Background(), "r", nil)
	if err != nil || slept != 40*time.Millisecond || res.Workload != "delay" || res.Iterations != 0 {
		t.Fatalf("res = %+v, err = %v, slept %v", res, err, slept)
	}
	h.sleep = sleepCtx
	started := time.Now()
	if _, err := h.Handle(context.Background(), "r", nil); err != nil || time.Since(started) < 35*time.Millisecond {
		t.Fatalf("the real sleep did not wait: %v after %v", err, time.Since(started))
	}
}

func TestWorkloadDynamoDBPutsOneItemKeyedByTheRequestID(t *testing.T) {
	srv, rec := extension(t, http.StatusAccepted)
	var items []Item
	put := func(_ context.Context, item Item) error { items = append(items, item); return nil }
	h, _ := NewHandler(Config{Mode: "extension", Workload: "dynamodb", DefaultBytes: 100, ExtensionURL: srv.URL + "/messages"}, nil, nil)
	if _, err := h.Handle(context.Background(), "r1", nil); err == nil {
		t.Fatal("workload dynamodb without a putter must fail")
	}
	h.WithPutter(put)
	res, err := h.Handle(context.Background(), "req-7", nil)
	if err != nil || len(items) != 1 || items[0].ID != "req-7" || len(items[0].Payload) != 100 || res.Workload != "dynamodb" {
		t.Fatalf("res = %+v, err = %v, items = %+v", res, err, items)
	}
	if got := strings.Join(rec.calls, ","); got != "POST /invocations/r1/end,POST /messages" {
		t.Fatalf("calls = %s", got)
	}
	failing := func(context.Context, Item) error { return errors.New("ResourceNotFoundException") }
	h.WithPutter(failing)
	if _, err := h.Handle(context.Background(), "r2", nil); err == nil || !strings.Contains(err.Error(), "ResourceNotFound") {
		t.Fatalf("a failed put must fail the invocation: %v", err)
	}
}
