export const handler = (event) => Promise.resolve({ variant: "llrt", event });
