export const handler = (event) => Promise.resolve({ variant: "node", event });
