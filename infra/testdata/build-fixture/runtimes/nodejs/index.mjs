export const handler = (event) => Promise.resolve({ variant: "rust", event });
