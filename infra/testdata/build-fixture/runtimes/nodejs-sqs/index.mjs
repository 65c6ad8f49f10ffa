export const handler = (event) => Promise.resolve({ variant: "direct", event });
