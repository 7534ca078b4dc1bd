/** Writes prisma/postgresql/schema.prisma from prisma/schema.prisma (npm run db:schema:pg; see server/db/postgresql-schema.ts). */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { POSTGRESQL_SCHEMA, SQLITE_SCHEMA, postgresqlSchema } from "../server/db/postgresql-schema.js";

mkdirSync(path.dirname(POSTGRESQL_SCHEMA), { recursive: true });
writeFileSync(POSTGRESQL_SCHEMA, postgresqlSchema(readFileSync(SQLITE_SCHEMA, "utf8")));
