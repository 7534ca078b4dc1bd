-- PostgreSQL twin of prisma/migrations/20261204200000_compressed_events: a
-- command's trace events stored compressed (server/simulator/stored-trace.ts).
-- Rows written before keep their text in "events"; new rows leave it empty.
ALTER TABLE "SessionCommand" ADD COLUMN "eventsDeflated" BYTEA;

-- The append trigger counts what a row stores: its output, and its events as
-- text or deflated, whichever the row holds.
CREATE OR REPLACE FUNCTION "SessionCommand_append"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "Session"
    SET "commandCount" = NEW."index" + 1,
        "nextSeq" = NEW."eventsTo",
        "storedBytes" = "storedBytes" + octet_length(NEW."output") + octet_length(NEW."events") + COALESCE(octet_length(NEW."eventsDeflated"), 0),
        "lastCommandAt" = NEW."createdAt",
        "updatedAt" = NEW."createdAt"
    WHERE "id" = NEW."sessionId" AND "commandCount" = NEW."index";
    IF NOT FOUND THEN
        RAISE EXCEPTION 'SessionCommand: index out of order';
    END IF;
    RETURN NEW;
END;
$$;
