// Starts dynalite, prints its port, and waits to be killed (see server_test.ts).
import { startDynamoDB } from "../mod.ts";
const db = await startDynamoDB();
console.log(db.port);
await new Promise(() => setInterval(() => {}, 60_000));
