// The application's function on Go (aws-lambda-go, AWS SDK for Go v2), built as a
// provided.al2023 `bootstrap` with -ldflags="-s -w" -tags lambda.norpc.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// dynamoDBPutter puts each item into BATTLE_TABLE_NAME with one client per environment, made
// on the first invocation (lazily), as the multi-runtime study's functions do. The SDK honours
// AWS_ENDPOINT_URL_DYNAMODB.
func dynamoDBPutter() Putter {
	table := os.Getenv("BATTLE_TABLE_NAME")
	var once sync.Once
	var client *dynamodb.Client
	var clientErr error
	return func(ctx context.Context, item Item) error {
		if table == "" {
			return fmt.Errorf("BATTLE_TABLE_NAME is not set")
		}
		once.Do(func() {
			cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(3))
			client, clientErr = dynamodb.NewFromConfig(cfg), err
		})
		if clientErr != nil {
			return clientErr
		}
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: item.ID},
				"payload": &types.AttributeValueMemberS{Value: item.Payload},
				"sentAt":  &types.AttributeValueMemberN{Value: strconv.FormatInt(item.SentAt, 10)},
			},
		})
		return err
	}
}

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
	if cfg.Workload == "dynamodb" {
		h.WithPutter(dynamoDBPutter())
	}
	lambda.Start(func(ctx context.Context, event json.RawMessage) (Result, error) {
		requestID := ""
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			requestID = lc.AwsRequestID
		}
		return h.Handle(ctx, requestID, event)
	})
}
