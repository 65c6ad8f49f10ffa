export const handler = (event) => Promise.resolve({ workload: "dynamodb", event });
