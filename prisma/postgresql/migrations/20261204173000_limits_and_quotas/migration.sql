-- PostgreSQL twin of prisma/migrations/20261204173000_limits_and_quotas: the
-- limits a session runs under, the bytes its log stores, archiving, and where
-- a command was stopped by a limit.
ALTER TABLE "Session" ADD COLUMN "limits" TEXT;
ALTER TABLE "Session" ADD COLUMN "storedBytes" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Session" ADD COLUMN "archivedAt" TIMESTAMP(3);
ALTER TABLE "SessionCommand" ADD COLUMN "interruption" TEXT;

-- Sessions already logged count what they store (octet_length: UTF-8 bytes, as SQLite's length(CAST(… AS BLOB))).
UPDATE "Session" SET "storedBytes" = COALESCE(
    (SELECT SUM(octet_length("output") + octet_length("events")) FROM "SessionCommand" WHERE "sessionId" = "Session"."id"), 0);

-- The append trigger (migration command_log_order) also adds the row's stored
-- bytes (output and events as UTF-8) to its session, in the same statement.
CREATE OR REPLACE FUNCTION "SessionCommand_append"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "storedBytes" = "storedBytes" + octet_length(NEW."output") + octet_length(NEW."events"),
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" = NEW."index";
    IF NOT FOUND THEN
        RAISE EXCEPTION 'SessionCommand: index out of order';
    END IF;
    RETURN NEW;
END;
$$;
