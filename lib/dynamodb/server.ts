/**
 * A real DynamoDB-compatible server (dynalite, in memory) for tests and the local sandbox:
 * start it on loopback, create tables, count and scan what functions wrote, stop it.
 *
 * @module
 */
import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { launch, type Launched } from "./_launch.ts";
import { type DynaliteInstall, ensureDynalite } from "./install.ts";
import { TABLE_KEY } from "./table.ts";

/** Credentials dynalite accepts (it checks none); never real ones. */
export const DUMMY_CREDENTIALS = { accessKeyId: "battle", secretAccessKey: "battle" } as const;
/** The region every local client uses. */
export const LOCAL_REGION = "us-east-1";

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Options of {@linkcode startDynamoDB}. */
export interface StartDynamoDBOptions {
  /** Port on 127.0.0.1; default 0 (a free port). */
  port?: number;
  /** An install from `ensureDynalite`; default: ensure one. */
  install?: DynaliteInstall;
}

/** A running dynalite. Stop it with {@linkcode LocalDynamoDB.stop} or `await using`. */
export class LocalDynamoDB implements AsyncDisposable {
  #server: Launched | null;
  #client: DynamoDBClient | null = null;
  /** The bound port. */
  readonly port: number;
  /** The dynalite version serving. */
  readonly version: string;

  constructor(install: DynaliteInstall, server: Launched) {
    this.#server = server;
    this.port = server.port;
    this.version = install.version;
  }

  /** `http://127.0.0.1:<port>`: what `AWS_ENDPOINT_URL_DYNAMODB` should be. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** True while the server runs. */
  get running(): boolean {
    return this.#server !== null;
  }

  /** A DynamoDB client bound to this server, with dummy credentials. */
  get client(): DynamoDBClient {
    this.#client ??= new DynamoDBClient({
      endpoint: this.endpoint,
      region: LOCAL_REGION,
      credentials: DUMMY_CREDENTIALS,
      maxAttempts: 2,
    });
    return this.#client;
  }

  /** The last lines the server printed (for failure messages). */
  log(): string {
    return this.#server?.log() ?? "";
  }

  /**
   * Creates an on-demand table keyed by the string {@linkcode TABLE_KEY} (idempotent) and
   * waits until it is ACTIVE.
   *
   * @param name Table name (3–255 letters, digits, `_`, `-`, `.`).
   * @returns The name.
   * @throws {RangeError} When the name is not a valid table name.
   * @throws {Error} When the server is stopped or refuses the table.
   */
  async createTable(name: string): Promise<string> {
    this.#assertRunning("create a table");
    if (!TABLE_NAME.test(name)) throw new RangeError(`Invalid DynamoDB table name: "${name}"`);
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: TABLE_KEY, AttributeType: "S" }],
          KeySchema: [{ AttributeName: TABLE_KEY, KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    for (let i = 0; i < 100; i++) {
      const out = await this.client.send(new DescribeTableCommand({ TableName: name }));
      if (out.Table?.TableStatus === "ACTIVE") return name;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`DynamoDB table "${name}" did not become ACTIVE`);
  }

  /**
   * Every item of a table (a full, paginated Scan).
   *
   * @param table The table.
   * @returns The items as DynamoDB returns them (attribute-value maps).
   * @throws {Error} When the server is stopped or the table does not exist.
   */
  async scanItems(table: string): Promise<Record<string, AttributeValue>[]> {
    this.#assertRunning("scan a table");
    const items: Record<string, AttributeValue>[] = [];
    await this.#scan({ TableName: table }, (page) => items.push(...(page.Items ?? [])));
    return items;
  }

  /**
   * How many items a table holds (a paginated `Select: COUNT` Scan).
   *
   * @param table The table.
   * @returns The count.
   * @throws {Error} When the server is stopped or the table does not exist.
   */
  async countItems(table: string): Promise<number> {
    this.#assertRunning("count items");
    let count = 0;
    await this.#scan({ TableName: table, Select: "COUNT" }, (page) => count += page.Count ?? 0);
    return count;
  }

  async #scan(
    input: ScanCommandInput,
    onPage: (page: ScanCommandOutput) => void,
  ): Promise<void> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      onPage(page);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  /** Stops the server and waits for it to exit; a no-op when stopped. */
  async stop(): Promise<void> {
    this.#client?.destroy();
    this.#client = null;
    const server = this.#server;
    this.#server = null;
    await server?.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #assertRunning(what: string): void {
    if (!this.#server) throw new Error(`Cannot ${what}: dynalite on port ${this.port} is stopped`);
  }
}

/**
 * Starts dynalite on 127.0.0.1 (installing it first if needed).
 *
 * @param options Port (default a free one) and install.
 * @returns The running server.
 * @throws {Error} When Node.js or npm is missing or the server does not start.
 * @example
 * ```ts ignore
 * await using db = await startDynamoDB();
 * const table = await db.createTable("battle-requests");
 * // AWS_ENDPOINT_URL_DYNAMODB=db.endpoint, BATTLE_TABLE_NAME=table
 * const items = await db.countItems(table);
 * ```
 */
export async function startDynamoDB(options: StartDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  const install = options.install ?? await ensureDynalite();
  const server = await launch(install, { port: options.port ?? 0 });
  return new LocalDynamoDB(install, server);
}
