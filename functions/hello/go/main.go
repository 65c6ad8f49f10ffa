// The hello function of the fidelity check: the smallest aws-lambda-go handler, built as a
// provided.al2023 bootstrap.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type response struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

func handle(_ context.Context, _ map[string]any) (response, error) {
	return response{StatusCode: 200, Body: "hello"}, nil
}

func main() {
	lambda.Start(handle)
}
