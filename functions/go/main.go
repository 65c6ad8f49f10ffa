// The application's function on Go (aws-lambda-go, AWS SDK for Go v2), built as a
// provided.al2023 `bootstrap` with -ldflags="-s -w" -tags lambda.norpc.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// sqsSender makes the SQS client once, at init (mode direct only), so warm invocations reuse
// its connections. The SDK honours AWS_ENDPOINT_URL_SQS.
func sqsSender(ctx context.Context) (Sender, error) {
	queueURL := os.Getenv("BATTLE_QUEUE_URL")
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(3))
	if err != nil {
		return nil, err
	}
	client := sqs.NewFromConfig(cfg)
	return func(ctx context.Context, body string) error {
		if queueURL == "" {
			return fmt.Errorf("BATTLE_QUEUE_URL is not set")
		}
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)})
		return err
	}, nil
}

func main() {
	ctx := context.Background()
	cfg, err := ConfigFrom(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var send Sender
	if cfg.Mode == "direct" {
		if send, err = sqsSender(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	h, err := NewHandler(cfg, send, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, event json.RawMessage) (Result, error) {
		requestID := ""
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			requestID = lc.AwsRequestID
		}
		return h.Handle(ctx, requestID, event)
	})
}
