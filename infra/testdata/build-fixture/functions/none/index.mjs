export const handler = (event) => Promise.resolve({ variant: "none", event });
