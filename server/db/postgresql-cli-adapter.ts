/**
 * The PostgreSQL driver adapter the Prisma CLI (migrate deploy) runs on.
 * Prisma 6.19's JS schema engine reads PostgreSQL's catalogue, whose columns
 * of type `name` (and `"char"`) the pg adapter refuses ("Column type 'name'
 * could not be deserialized", prisma/prisma#27403). Both arrive from the
 * server as plain text, so this client reports them as text before the
 * adapter looks.
 *
 * The adapter also runs a migration script by splitting it at every ";",
 * which cuts a PL/pgSQL function body (the triggers) in pieces. PostgreSQL
 * takes a whole script as one simple query, run as one implicit transaction,
 * so the script goes in as it is: a migration applies entirely or not at all.
 *
 * The server's own queries need neither and use the plain adapter (prisma-client.ts).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

const NAME_OID = 19;
const CHAR_OID = 18;
const TEXT_OID = 25;

function asText(result: pg.QueryResult | undefined): void {
  for (const field of result?.fields ?? []) {
    if (field.dataTypeID === NAME_OID || field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  }
}

class CatalogueAsTextClient extends pg.Client {
  // pg's overloads cannot be restated in a subclass. The pool calls the callback
  // form (query, values, callback); a client outside the pool, the promise form.
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === "function") {
      args[args.length - 1] = (err: Error | null, result: pg.QueryResult) => {
        if (err === null) asText(result);
        (last as (err: Error | null, result: pg.QueryResult) => void)(err, result);
      };
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args);
    if (returned instanceof Promise) {
      return returned.then((result: pg.QueryResult) => {
        asText(result);
        return result;
      }) as never;
    }
    return returned as never;
  }
}

class PostgresqlCliAdapter extends PrismaPg {
  constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  override async connect() {
    const adapter = await super.connect();
    // The adapter's own error conversion, so the CLI reports a failing migration as it reports any database error.
    const fail = (adapter as unknown as { onError(error: unknown): never }).onError.bind(adapter);
    adapter.executeScript = async (script: string) => {
      try {
        await this.pool.query(script);
      } catch (err) {
        fail(err);
      }
    };
    return adapter;
  }
}

export function postgresqlCliAdapter(connectionString: string): PrismaPg {
  return new PostgresqlCliAdapter(new pg.Pool({ connectionString, Client: CatalogueAsTextClient }));
}
