/** DATABASE_URL names a SQLite file or a PostgreSQL database; anything else is refused. */
import { describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../server/db/database-url.js";
import { loadConfig } from "../../server/config.js";

describe("parseDatabaseUrl", () => {
  it("resolves a relative SQLite path against the working directory", () => {
    expect(parseDatabaseUrl("file:data/x.db", "/srv/cnlab")).toEqual({ kind: "sqlite", url: "file:/srv/cnlab/data/x.db", file: "/srv/cnlab/data/x.db" });
  });

  it("keeps a PostgreSQL URL as given, in either spelling", () => {
    for (const url of ["postgresql://cnlab:secret@db:5432/cnlab", "postgres://db/cnlab?sslmode=require"]) {
      expect(parseDatabaseUrl(url, "/srv")).toEqual({ kind: "postgresql", url });
    }
  });

  it("refuses a PostgreSQL URL without a database name or host, and other schemes", () => {
    for (const url of ["postgresql://db", "postgresql://db/", "postgresql:///cnlab", "mysql://db/cnlab", "sqlite:x.db", "cnlab.db"]) {
      expect(parseDatabaseUrl(url, "/srv")).toBeNull();
    }
  });

  it("the configuration takes a PostgreSQL URL and never prints it back when it is wrong (it holds a password)", () => {
    const good = loadConfig({ DATABASE_URL: "postgresql://cnlab:s3cret@127.0.0.1:5432/cnlab" });
    expect(good.ok && good.config.databaseUrl).toBe("postgresql://cnlab:s3cret@127.0.0.1:5432/cnlab");
    const bad = loadConfig({ DATABASE_URL: "postgresql://cnlab:s3cret@127.0.0.1:5432" });
    expect(bad).toMatchObject({ ok: false, variable: "DATABASE_URL" });
    expect(!bad.ok && bad.message).not.toContain("s3cret");
  });
});
