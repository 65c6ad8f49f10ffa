package main

import (
	"context"
	"testing"
)

func TestHandleSaysHello(t *testing.T) {
	got, err := handle(context.Background(), map[string]any{"any": "event"})
	if err != nil {
		t.Fatalf("handle returned %v", err)
	}
	if got.StatusCode != 200 || got.Body != "hello" {
		t.Fatalf("handle returned %+v", got)
	}
}
