// The application's handler on Go, with the semantics of every runtime's copy (see
// functions/README.md): the workload of BATTLE_WORKLOAD (sqs and cpu: deterministic CPU work;
// delay: sleep BATTLE_DELAY_MS, 500 ms by default; dynamodb: one PutItem keyed by the request id;
// none: nothing), a JSON payload of the configured size, then by BATTLE_MODE nothing, a direct
// SQS SendMessage, or a POST to the extension tagged with the request id (or, when the handler
// fails before the extension accepted it, POST /invocations/<id>/end).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultExtensionURL is the extension's endpoint when BATTLE_EXTENSION_URL is not set.
const DefaultExtensionURL = "http://127.0.0.1:4243/messages"

// RequestIDHeader tags a message with its invocation (extensions/contract.json).
const RequestIDHeader = "Lambda-Runtime-Aws-Request-Id"

// DefaultDelayMs is how long workload delay sleeps when BATTLE_DELAY_MS is not set.
const DefaultDelayMs = 500

// Workloads are the values BATTLE_WORKLOAD takes.
var Workloads = []string{"sqs", "dynamodb", "delay", "cpu", "none"}

// Result is the handler's answer.
type Result struct {
	Mode         string `json:"mode"`
	Workload     string `json:"workload"`
	PayloadBytes int    `json:"payloadBytes"`
	Iterations   int    `json:"iterations"`
	Checksum     uint32 `json:"checksum"`
}

// Config is read once, at init, like a real function would.
type Config struct {
	Mode         string
	Workload     string
	DelayMs      int
	Iterations   int
	DefaultBytes int
	ExtensionURL string
}

// Sender delivers one message to SQS (mode direct).
type Sender func(ctx context.Context, body string) error

// Item is what workload dynamodb puts: the request id (the table's key), the payload, a time.
type Item struct {
	ID      string
	Payload string
	SentAt  int64
}

// Putter puts one item into the table (workload dynamodb).
type Putter func(ctx context.Context, item Item) error

// CPUWork runs `iterations` rounds of a 32-bit FNV-1a style mix and returns the hash.
func CPUWork(iterations int) uint32 {
	h := uint32(0x811c9dc5)
	for i := 0; i < iterations; i++ {
		h ^= uint32(i & 0xff)
		h *= 0x01000193
		h ^= h >> 13
	}
	return h
}

type payloadFields struct {
	RequestID string `json:"requestId"`
	SentAt    int64  `json:"sentAt"`
	Checksum  uint32 `json:"checksum"`
	Pad       string `json:"pad"`
}

// BuildPayload returns a JSON message of exactly `size` bytes (or the smallest possible).
func BuildPayload(size int, requestID string, sentAt int64, checksum uint32) string {
	f := payloadFields{RequestID: requestID, SentAt: sentAt, Checksum: checksum}
	bare := marshal(f)
	if size > len(bare) {
		f.Pad = strings.Repeat("x", size-len(bare))
	}
	return marshal(f)
}

func marshal(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

func intFrom(value string, fallback int, what string) (int, error) {
	if value == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a non-negative integer, got %q", what, value)
	}
	return n, nil
}

// ConfigFrom reads BATTLE_MODE, BATTLE_WORKLOAD, BATTLE_DELAY_MS, BATTLE_WORK_ITERATIONS,
// BATTLE_PAYLOAD_BYTES and BATTLE_EXTENSION_URL. Without BATTLE_WORKLOAD the workload follows the
// mode as before workloads: sqs in the modes that send, cpu in mode none.
func ConfigFrom(getenv func(string) string) (Config, error) {
	mode := getenv("BATTLE_MODE")
	if mode == "" {
		mode = "none"
	}
	if mode != "none" && mode != "direct" && mode != "extension" {
		return Config{}, fmt.Errorf("BATTLE_MODE must be none, direct or extension, got %q", mode)
	}
	workload := getenv("BATTLE_WORKLOAD")
	if workload == "" {
		workload = "sqs"
		if mode == "none" {
			workload = "cpu"
		}
	}
	known := false
	for _, w := range Workloads {
		known = known || w == workload
	}
	if !known {
		return Config{}, fmt.Errorf("BATTLE_WORKLOAD must be %s, got %q", strings.Join(Workloads, ", "), workload)
	}
	delayMs, err := intFrom(getenv("BATTLE_DELAY_MS"), DefaultDelayMs, "BATTLE_DELAY_MS")
	if err != nil {
		return Config{}, err
	}
	iterations, err := intFrom(getenv("BATTLE_WORK_ITERATIONS"), 0, "BATTLE_WORK_ITERATIONS")
	if err != nil {
		return Config{}, err
	}
	if workload != "sqs" && workload != "cpu" {
		iterations = 0
	}
	defaultBytes, err := intFrom(getenv("BATTLE_PAYLOAD_BYTES"), 256, "BATTLE_PAYLOAD_BYTES")
	if err != nil {
		return Config{}, err
	}
	extURL := getenv("BATTLE_EXTENSION_URL")
	if extURL == "" {
		extURL = DefaultExtensionURL
	}
	return Config{
		Mode: mode, Workload: workload, DelayMs: delayMs, Iterations: iterations,
		DefaultBytes: defaultBytes, ExtensionURL: extURL,
	}, nil
}

// Handler is the application's function for one configuration.
type Handler struct {
	cfg    Config
	send   Sender
	put    Putter
	client *http.Client
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
}

// NewHandler builds the handler; mode direct needs a sender.
func NewHandler(cfg Config, send Sender, client *http.Client) (*Handler, error) {
	if cfg.Mode == "direct" && send == nil {
		return nil, fmt.Errorf("BATTLE_MODE is direct but no SQS client was made")
	}
	if client == nil {
		client = &http.Client{}
	}
	return &Handler{cfg: cfg, send: send, client: client, now: time.Now, sleep: sleepCtx}, nil
}

// WithPutter gives the handler its item writer (workload dynamodb).
func (h *Handler) WithPutter(put Putter) *Handler {
	h.put = put
	return h
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// payloadBytesOf reads the event's optional payloadBytes (a number or a numeric string).
func payloadBytesOf(event json.RawMessage, fallback int) (int, error) {
	var fields map[string]json.RawMessage
	if len(event) == 0 || json.Unmarshal(event, &fields) != nil {
		return fallback, nil
	}
	raw, ok := fields["payloadBytes"]
	if !ok || string(raw) == "null" {
		return fallback, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return intFrom(s, fallback, "payloadBytes")
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil || f != float64(int(f)) || f < 0 {
		return 0, fmt.Errorf("payloadBytes must be a non-negative integer, got %s", string(raw))
	}
	return int(f), nil
}

// Handle runs one invocation.
func (h *Handler) Handle(ctx context.Context, requestID string, event json.RawMessage) (res Result, err error) {
	ended := false
	defer func() {
		if h.cfg.Mode == "extension" && !ended && requestID != "" {
			h.endInvocation(ctx, requestID)
		}
	}()
	size, err := payloadBytesOf(event, h.cfg.DefaultBytes)
	if err != nil {
		return Result{}, err
	}
	checksum := CPUWork(h.cfg.Iterations)
	if h.cfg.Workload == "delay" {
		if err := h.sleep(ctx, time.Duration(h.cfg.DelayMs)*time.Millisecond); err != nil {
			return Result{}, err
		}
	}
	sentAt := h.now().UnixMilli()
	payload := BuildPayload(size, requestID, sentAt, checksum)
	if h.cfg.Workload == "dynamodb" {
		if h.put == nil {
			return Result{}, fmt.Errorf("BATTLE_WORKLOAD is dynamodb but no DynamoDB client was made")
		}
		if err := h.put(ctx, Item{ID: requestID, Payload: payload, SentAt: sentAt}); err != nil {
			return Result{}, err
		}
	}
	switch h.cfg.Mode {
	case "extension":
		if err := h.post(ctx, requestID, payload); err != nil {
			return Result{}, err
		}
		ended = true
	case "direct":
		if err := h.send(ctx, payload); err != nil {
			return Result{}, err
		}
	}
	return Result{
		Mode: h.cfg.Mode, Workload: h.cfg.Workload, PayloadBytes: len(payload),
		Iterations: h.cfg.Iterations, Checksum: checksum,
	}, nil
}

func (h *Handler) post(ctx context.Context, requestID, payload string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.ExtensionURL, strings.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		req.Header.Set(RequestIDHeader, requestID)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("the extension at %s answered HTTP %d: %s", h.cfg.ExtensionURL, resp.StatusCode, text)
	}
	return nil
}

// EndURL is `/invocations/<id>/end` beside the messages URL.
func EndURL(messagesURL, requestID string) (string, error) {
	base, err := url.Parse(messagesURL)
	if err != nil {
		return "", err
	}
	ref := &url.URL{Path: "/invocations/" + requestID + "/end", RawPath: "/invocations/" + url.PathEscape(requestID) + "/end"}
	return base.ResolveReference(ref).String(), nil
}

// endInvocation is best effort: a failure is logged, never hides the handler's own error.
func (h *Handler) endInvocation(ctx context.Context, requestID string) {
	endURL, err := EndURL(h.cfg.ExtensionURL, requestID)
	if err == nil {
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, endURL, nil)
		if err == nil {
			var resp *http.Response
			resp, err = h.client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return
			}
		}
	}
	fmt.Fprintf(os.Stderr, "Cannot end invocation %s at %s: %v\n", requestID, endURL, err)
}
