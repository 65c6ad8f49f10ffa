// Starts ElasticMQ, prints its port, and waits to be killed (see server_test.ts).
import { startElasticMQ } from "../mod.ts";
const sqs = await startElasticMQ();
console.log(sqs.port);
await new Promise(() => setInterval(() => {}, 60_000));
